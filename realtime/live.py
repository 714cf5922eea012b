"""``analytics:live``: listening right now, sent to staff sockets every few seconds.

Computed by a loop inside each realtime process, and only while that process has sockets
subscribed to it: no work when nobody watches, no broker round trip every few seconds (as a
Celery Beat task would need), and no duplicate publishes when several realtime processes run
(each sends its result straight to its own sockets, not through the channel layer).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from datetime import timedelta
from typing import Any, Protocol

from channels.db import database_sync_to_async
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from analytics.models import Action, ListeningEvent

logger = logging.getLogger(__name__)

CHANNEL = "analytics:live"
EVENT = "live_stats"
LISTENER_WINDOW = timedelta(minutes=5)


def live_stats(*, now=None) -> dict[str, Any]:
    """Events in the last minute by action and distinct listeners (plays by signed-in users)
    in the last five minutes; flagged events (bots, abuse) left out, as in the dashboard."""
    now = now or timezone.now()
    events = ListeningEvent.objects.filter(flagged=False, occurred_at__lte=now)
    per_minute = dict.fromkeys(Action.values, 0)
    per_minute.update(
        events.filter(occurred_at__gt=now - timedelta(minutes=1))
        .values_list("action")
        .annotate(n=Count("id"))
        .order_by()
    )
    listeners = (
        events.filter(
            occurred_at__gt=now - LISTENER_WINDOW, action=Action.PLAY, user_id__isnull=False
        )
        .values("user_id")
        .distinct()
        .count()
    )
    return {
        "at": now.isoformat(),
        "events_per_minute": per_minute,
        "listeners_5m": listeners,
    }


class LiveSubscriber(Protocol):
    async def send_live(self, data: dict[str, Any]) -> None: ...


class LiveTicker:
    """Sends ``live_stats`` to this process's subscribers every REALTIME_ANALYTICS_INTERVAL."""

    def __init__(self) -> None:
        self.subscribers: set[LiveSubscriber] = set()
        self.task: asyncio.Task | None = None

    def add(self, subscriber: LiveSubscriber) -> None:
        self.subscribers.add(subscriber)
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self._run())

    def discard(self, subscriber: LiveSubscriber) -> None:
        self.subscribers.discard(subscriber)
        if not self.subscribers and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self) -> None:
        while self.subscribers:
            try:
                data = await database_sync_to_async(live_stats)()
                for subscriber in list(self.subscribers):
                    await subscriber.send_live(data)
            except asyncio.CancelledError:
                raise
            except Exception:  # a database blip: try again at the next tick
                logger.exception("realtime: analytics:live tick failed")
            await asyncio.sleep(settings.REALTIME_ANALYTICS_INTERVAL)


_tickers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LiveTicker] = (
    weakref.WeakKeyDictionary()
)


def ticker() -> LiveTicker:
    """This event loop's ticker (one per process in production; one per test loop)."""
    loop = asyncio.get_running_loop()
    if loop not in _tickers:
        _tickers[loop] = LiveTicker()
    return _tickers[loop]
