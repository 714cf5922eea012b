"""Publishing realtime events: the one way apps talk to WebSocket clients (DESIGN.md §4).

Apps call ``publish("playlist:12", "song_added", {...})`` from their services. This module
never imports the ``realtime`` app (no app does, DESIGN.md §1): it writes the message to the
Channels Redis layer's group for that channel name, and the realtime process fans it out to
the sockets subscribed to it.

- The message is sent only when the surrounding transaction commits (a rolled-back write
  tells nobody, and a client that refetches on an event finds the committed rows).
- It never fails the write and never holds the request for long: Redis is given
  ``REALTIME_PUBLISH_TIMEOUT`` seconds; when it is down the event is logged and dropped
  (realtime events are a convenience; the HTTP API stays the source of truth).
- It is synchronous redis-py with a pooled connection, so a gunicorn worker or a Celery task
  needs no event loop to publish. The wire format (group channel name, msgpack serializer) is
  channels_redis' own ``RedisPubSubChannelLayer`` format, taken from that package, so the
  realtime process's layer reads exactly what is written here.

``access_changed(channel)`` publishes the control message that makes every socket on that
channel re-check its access (a collaborator removed, a playlist made private, a user blocked).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from types import SimpleNamespace
from typing import Any

import redis
from channels_redis.pubsub import RedisPubSubLoopLayer
from channels_redis.serializers import registry
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from prometheus_client import Counter
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

# The message type the realtime consumer handles (Channels maps "rt.event" to ``rt_event``).
MESSAGE_TYPE = "rt.event"
# ``event`` of the control message that asks subscribers to re-check their access.
ACCESS_CHANGED = "access_changed"

CHANNEL_NAME = re.compile(r"^[A-Za-z0-9_\-]+(:[A-Za-z0-9_\-]+)*$")
MAX_GROUP_NAME = 99  # channels' limit on group names is < 100 characters

PUBLISHED = Counter(
    "realtime_published_total", "Realtime events handed to the channel layer", ["result"]
)

_client: redis.Redis | None = None
_serializer = None


def group_name(channel: str) -> str:
    """The channel-layer group of a channel name (``playlist:12`` -> ``rt.playlist.12``).

    Group names allow only ASCII letters, digits, ``-``, ``_`` and ``.`` and fewer than 100
    characters; ``:`` becomes ``.`` (which no channel name contains, so the mapping is one to
    one). Any other name is hashed under its own ``rtx.`` prefix, so it cannot collide.
    """
    if CHANNEL_NAME.match(channel):
        group = "rt." + channel.replace(":", ".")
        if len(group) <= MAX_GROUP_NAME:
            return group
    return "rtx." + hashlib.sha256(channel.encode()).hexdigest()


def _layer_config() -> dict[str, Any]:
    layer: dict[str, Any] = dict(settings.CHANNEL_LAYERS["default"])
    return layer.get("CONFIG", {})


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        hosts = _layer_config().get("hosts") or [settings.REDIS_URL]
        host = hosts[0]
        address = host if isinstance(host, str) else host.get("address", settings.REDIS_URL)
        timeout = settings.REALTIME_PUBLISH_TIMEOUT
        _client = redis.Redis.from_url(
            address,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )
    return _client


def _serialize(message: dict[str, Any]) -> bytes:
    global _serializer
    if _serializer is None:
        _serializer = registry.get_serializer(
            "msgpack",
            symmetric_encryption_keys=_layer_config().get("symmetric_encryption_keys"),
        )
    return _serializer.serialize(message)


def _group_channel(group: str) -> str:
    # The Redis pub/sub channel the layer uses for a group, computed by channels_redis itself.
    prefix = _layer_config().get("prefix", "asgi")
    return RedisPubSubLoopLayer._get_group_channel_name(SimpleNamespace(prefix=prefix), group)  # type: ignore[arg-type]


def reset_connection() -> None:
    """Forget the pooled connection (settings changed in tests, or after a fork)."""
    global _client, _serializer
    if _client is not None:
        _client.close()
    _client = None
    _serializer = None


def send_now(channel: str, event: str, data: dict[str, Any] | None, **extra: Any) -> bool:
    """Send one event to ``channel``'s subscribers now; False (logged) when Redis failed."""
    message = {
        "type": MESSAGE_TYPE,
        "channel": channel,
        "event": event,
        "data": data,
        "at": timezone.now().isoformat(),
        # Wall clock of the publish, for the realtime process's fan-out latency metric.
        "sent": time.time(),
        **extra,
    }
    try:
        _redis().publish(_group_channel(group_name(channel)), _serialize(message))
    except Exception as exc:  # redis errors, timeouts, serialization: never the write's problem
        PUBLISHED.labels("dropped").inc()
        logger.warning("realtime: dropped %s on %s (%r)", event, channel, exc)
        return False
    PUBLISHED.labels("sent").inc()
    return True


def publish(channel: str, event: str, data: dict[str, Any] | None, **extra: Any) -> None:
    """Send ``event`` with ``data`` to ``channel``'s subscribers once the transaction commits.

    Outside a transaction it is sent at once. ``data`` must be JSON-serialisable. ``extra``
    are instructions for the realtime process, not shown to clients: ``audiences`` maps an
    audience (``catalog.selectors.song_audience``: callers who see the same songs) to its own
    data, which its subscribers get instead of ``data``; None, there or as ``data``, means
    that those subscribers get no event at all.
    """
    transaction.on_commit(lambda: send_now(channel, event, data, **extra))


def access_changed(channel: str, **extra: Any) -> None:
    """After commit, ask every socket on ``channel`` (``user:<id>`` for a user's own sockets)
    to re-check its access: those that lost it are unsubscribed (or, for a blocked user,
    closed) at once."""
    publish(channel, ACCESS_CHANGED, {}, control=True, **extra)
