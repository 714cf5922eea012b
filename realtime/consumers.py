"""The WebSocket at /ws/v1/: authentication, the subscribe protocol, fan-out and limits.

Protocol (DESIGN.md §4). Client -> server: ``{"action": "subscribe"|"unsubscribe"|"ping",
"channel": "<name>"}``. Server -> client: ``subscribed``, ``unsubscribed``, ``pong``,
``event`` and ``error`` (codes ``not_found``, ``forbidden``, ``invalid``, and for the limits
``too_large``, ``rate_limited``, ``too_many_subscriptions``).

Close codes: 4401 bad/expired/revoked token or account gone, 4403 blocked, 4408 idle,
4429 too many sockets for this user.

Each socket handles one message at a time (Channels dispatches in order), which the access
re-checks rely on: an ``access_changed`` control message is handled before any event
published after it, so a socket that lost access never receives the next event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections import deque
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from common.realtime import ACCESS_CHANGED, group_name
from realtime import access, auth, hub, limits, live
from realtime.metrics import CLIENT_MESSAGES, CLOSES, FANOUT_LATENCY, MESSAGES_SENT, OPEN_SOCKETS

logger = logging.getLogger(__name__)

IDLE = 4408
TOO_MANY_SOCKETS = 4429
SLOW_CLIENT = 4008
# Messages waiting to be written to one socket before it is closed as too slow to keep up.
MAX_PENDING_SENDS = 200


class RealtimeConsumer(AsyncWebsocketConsumer):
    user: Any = None
    # No channel-layer channel per socket: the process's hub (realtime.hub) receives each
    # group message once and hands it to the subscribed sockets (``deliver``).
    channel_layer_alias = "realtime.no-layer-per-socket"

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' dispatch first runs close_old_connections in the one thread-sensitive
        # thread for every message: a fan-out to 1,000 sockets queued 1,000 thread hops behind
        # each other (~1 ms each). Every database call here goes through
        # database_sync_to_async, which closes old connections around itself, so it is skipped.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # --- connection -------------------------------------------------------------------------

    async def connect(self) -> None:
        self.user = None
        self.audience = access.audience(None)
        self.socket_id = uuid.uuid4().hex
        self.subscriptions: dict[str, access.Channel] = {}
        self.lane: deque[hub.Outgoing] | None = None
        self.held: list[hub.Outgoing] | None = None
        self.pending_sends = 0
        self.groups_joined: set[str] = set()
        self.registered = False
        self.counted = False
        self.watchdog: asyncio.Task | None = None
        self.closing = False
        self.last_seen = time.monotonic()
        self.bucket = limits.TokenBucket(
            burst=settings.REALTIME_RATE_BURST, rate=settings.REALTIME_RATE_PER_SECOND
        )
        # Accept first: a close before the handshake is a bare HTTP 403 and loses the code.
        await self.accept()
        token = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("token")
        try:
            if token:
                self.user = await database_sync_to_async(auth.user_for_token)(token[-1])
            elif auth.same_site_origin(self.scope):
                # The staff pages (signed in with a session, no JWT) on this site's own origin.
                self.user = await auth.user_for_session(self.scope)
        except auth.Refused as refused:
            await self._close(refused.code)
            return
        # Which rendering of playlist events this socket gets; re-read with the account.
        self.audience = access.audience(self.user)
        if self.user is not None:
            self.owner = f"user:{self.user.pk}"
            limit = settings.REALTIME_MAX_SOCKETS_PER_USER
        else:
            # Anonymous sockets count against their address (the proxy's X-Forwarded-For is
            # believed from FORWARDED_ALLOW_IPS only, by uvicorn).
            client = self.scope.get("client") or ("unknown", 0)
            self.owner = f"ip:{client[0]}"
            limit = settings.REALTIME_MAX_ANONYMOUS_SOCKETS_PER_IP
        self.registered = await limits.socket_register(
            owner=self.owner, socket=self.socket_id, limit=limit
        )
        if not self.registered:
            await self._close(TOO_MANY_SOCKETS)
            return
        if self.user is not None:
            # Always joined: the user's own control messages (blocked, role changed).
            await self._join(f"user:{self.user.pk}")
        self.counted = True
        OPEN_SOCKETS.labels(self._auth_label()).inc()
        self.watchdog = asyncio.ensure_future(self._watch())

    async def disconnect(self, code: int) -> None:
        if self.watchdog is not None:
            self.watchdog.cancel()
        live.ticker().discard(self)
        for group in list(getattr(self, "groups_joined", ())):
            await hub.hub().leave(group, self)
        if getattr(self, "registered", False):
            await limits.socket_unregister(owner=self.owner, socket=self.socket_id)
        if getattr(self, "counted", False):
            OPEN_SOCKETS.labels(self._auth_label()).dec()
            self.counted = False

    async def _close(self, code: int) -> None:
        if not self.closing:
            self.closing = True
            CLOSES.labels(str(code)).inc()
            await self.close(code=code)

    def _auth_label(self) -> str:
        return "user" if self.user is not None else "anonymous"

    async def _join(self, channel: str) -> None:
        group = group_name(channel)
        if group not in self.groups_joined:
            self.groups_joined.add(group)
            await hub.hub().join(group, self)

    async def _leave(self, channel: str) -> None:
        group = group_name(channel)
        if group in self.groups_joined:
            self.groups_joined.discard(group)
            await hub.hub().leave(group, self)

    async def _watch(self) -> None:
        """Idle timeout, the account re-read and the socket count's refresh, every few seconds
        (jittered so that sockets opened together do not query together)."""
        interval = min(settings.REALTIME_ACCOUNT_RECHECK_SECONDS, settings.REALTIME_IDLE_TIMEOUT)
        while not self.closing:
            await asyncio.sleep(interval * random.uniform(0.8, 1.0))
            if time.monotonic() - self.last_seen > settings.REALTIME_IDLE_TIMEOUT:
                await self._close(IDLE)
                return
            if self.user is not None:
                try:
                    await self._recheck_account()
                except Exception:  # a database blip: the next tick tries again
                    logger.exception("realtime: account re-check failed")
            if self.registered and not self.closing:
                await limits.socket_refresh(owner=self.owner, socket=self.socket_id)

    # --- client messages ---------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        self.last_seen = time.monotonic()
        if self.closing:
            return
        if not self.bucket.take():
            CLIENT_MESSAGES.labels("rate_limited").inc()
            await self._error(None, "rate_limited", "Too many messages; slow down.")
            return
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > settings.REALTIME_MAX_MESSAGE_BYTES:
            CLIENT_MESSAGES.labels("too_large").inc()
            await self._error(
                None,
                "too_large",
                f"Messages are at most {settings.REALTIME_MAX_MESSAGE_BYTES} bytes.",
            )
            return
        if text_data is None:
            CLIENT_MESSAGES.labels("invalid").inc()
            await self._error(None, access.INVALID, "Send JSON in text frames.")
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            CLIENT_MESSAGES.labels("invalid").inc()
            await self._error(None, access.INVALID, "Send a JSON object with an action.")
            return
        action, channel = message.get("action"), message.get("channel")
        shown = channel if isinstance(channel, str) and len(channel) <= 200 else None
        if action == "ping":
            CLIENT_MESSAGES.labels("ping").inc()
            await self._send({"type": "pong"})
        elif action == "subscribe":
            CLIENT_MESSAGES.labels("subscribe").inc()
            await self._subscribe(channel, shown)
        elif action == "unsubscribe":
            CLIENT_MESSAGES.labels("unsubscribe").inc()
            await self._unsubscribe(channel, shown)
        else:
            CLIENT_MESSAGES.labels("invalid").inc()
            await self._error(shown, access.INVALID, "action is subscribe, unsubscribe or ping.")

    async def _subscribe(self, name: object, shown: str | None) -> None:
        if isinstance(name, str) and name in self.subscriptions:
            await self._send({"type": "subscribed", "channel": name})
            return
        try:
            channel = access.parse(name, user=self.user)
        except access.Refused as refused:
            await self._error(shown, refused.code, refused.detail)
            return
        if len(self.subscriptions) >= settings.REALTIME_MAX_SUBSCRIPTIONS:
            await self._error(
                shown,
                "too_many_subscriptions",
                f"At most {settings.REALTIME_MAX_SUBSCRIPTIONS} channels per socket.",
            )
            return
        # Join before the check, holding what arrives meanwhile: a revocation committed after
        # the check's read arrives as a control message and is handled after this subscribe,
        # so none is missed.
        joined_here = channel.kind in (access.PLAYLIST, access.CHART)
        self.held = []
        try:
            if joined_here:
                await self._join(channel.published_as)
            try:
                await database_sync_to_async(access.check_access)(channel, user=self.user)
            except access.Refused as refused:
                if joined_here:
                    await self._leave(channel.published_as)
                await self._error(channel.name, refused.code, refused.detail)
                return
            self.subscriptions[channel.name] = channel
            await self._send({"type": "subscribed", "channel": channel.name})
            if channel.kind == access.ANALYTICS:
                live.ticker().add(self)
        finally:
            held, self.held = self.held, None
            for outgoing in held:
                self.deliver(outgoing)

    async def _unsubscribe(self, name: object, shown: str | None) -> None:
        if not isinstance(name, str) or name not in self.subscriptions:
            try:
                access.parse(name, user=self.user)
            except access.Refused as refused:
                await self._error(shown, refused.code, refused.detail)
                return
            await self._send({"type": "unsubscribed", "channel": name})
            return
        await self._drop(self.subscriptions[name])
        await self._send({"type": "unsubscribed", "channel": name})

    async def _drop(self, channel: access.Channel) -> None:
        self.subscriptions.pop(channel.name, None)
        if channel.kind in (access.PLAYLIST, access.CHART):
            await self._leave(channel.published_as)
        elif channel.kind == access.ANALYTICS:
            live.ticker().discard(self)

    # --- messages from the hub (realtime.hub) ------------------------------------------------

    def deliver(self, outgoing: hub.Outgoing) -> None:
        """Take one published message, shared by every local subscriber.

        The common case is one write of the text encoded for this socket's audience, without
        a task chain or a database call. Messages that need this socket's own check (access
        changes) go to its ordered lane, and so does everything after them until the lane is
        empty: one socket never gets an event before the access change published ahead of
        it, and its audience is read after that change.
        """
        if self.closing:
            return
        if self.held is not None:
            self.held.append(outgoing)
            return
        message = outgoing.message
        if self.lane is not None or message.get("control"):
            if self.lane is None:
                self.lane = deque()
                asyncio.ensure_future(self._run_lane())
            self.lane.append(outgoing)
            return
        if hub.client_channel(message["channel"]) in self.subscriptions:
            text = outgoing.text_for(self.audience)
            if text is not None:
                self._send_soon(text, message.get("sent"))

    def _send_soon(self, text: str, sent: object) -> None:
        if self.pending_sends >= MAX_PENDING_SENDS:
            asyncio.ensure_future(self._close(SLOW_CLIENT))
            return
        self.pending_sends += 1
        asyncio.ensure_future(self._send_event(text, sent))

    async def _send_event(self, text: str, sent: object) -> None:
        try:
            MESSAGES_SENT.labels("event").inc()
            await self.send(text_data=text)
            if isinstance(sent, int | float):
                FANOUT_LATENCY.observe(max(0.0, time.time() - sent))
        finally:
            self.pending_sends -= 1

    async def _run_lane(self) -> None:
        try:
            while self.lane and not self.closing:
                await self._handle_in_lane(self.lane.popleft())
        except Exception:
            logger.exception("realtime: a message failed on one socket")
        finally:
            self.lane = None

    async def _handle_in_lane(self, outgoing: hub.Outgoing) -> None:
        message = outgoing.message
        published_as = message["channel"]
        if message.get("control") and message.get("event") == ACCESS_CHANGED:
            await self._access_changed(published_as, message)
            return
        if hub.client_channel(published_as) not in self.subscriptions:
            return
        text = outgoing.text_for(self.audience)
        if text is None:
            return
        MESSAGES_SENT.labels("event").inc()
        await self.send(text_data=text)
        sent = message.get("sent")
        if isinstance(sent, int | float):
            FANOUT_LATENCY.observe(max(0.0, time.time() - sent))

    async def send_live(self, data: dict[str, Any]) -> None:
        if live.CHANNEL in self.subscriptions and not self.closing:
            await self._send(
                {
                    "type": "event",
                    "channel": live.CHANNEL,
                    "event": live.EVENT,
                    "data": data,
                    "at": timezone.now().isoformat(),
                }
            )

    async def _access_changed(self, published_as: str, message: dict[str, Any]) -> None:
        if self.user is not None and published_as == f"user:{self.user.pk}":
            await self._recheck_account()
            return
        channel = self.subscriptions.get(published_as)
        users = message.get("users")  # when only some users' access changed
        if channel is None or (users is not None and getattr(self.user, "pk", None) not in users):
            return
        if not await database_sync_to_async(access.has_access)(channel, user=self.user):
            await self._revoke(channel)

    async def _recheck_account(self) -> None:
        """Re-read the account: blocked or gone closes the socket; a changed role re-checks
        every subscription."""
        user = await database_sync_to_async(auth.fresh_user)(self.user.pk)
        if user is None:
            code = await database_sync_to_async(auth.account_state)(self.user.pk)
            await self._close(code or auth.UNAUTHENTICATED)
            return
        self.user = user
        self.audience = access.audience(user)
        for channel in list(self.subscriptions.values()):
            if not await database_sync_to_async(access.has_access)(channel, user=user):
                await self._revoke(channel)

    async def _revoke(self, channel: access.Channel) -> None:
        await self._drop(channel)
        await self._send({"type": "unsubscribed", "channel": channel.name, "reason": "access"})

    # --- sending ----------------------------------------------------------------------------

    async def _send(self, body: dict[str, Any]) -> None:
        MESSAGES_SENT.labels(body["type"]).inc()
        await self.send(text_data=json.dumps(body, separators=(",", ":")))

    async def _error(self, channel: str | None, code: str, detail: str) -> None:
        await self._send({"type": "error", "channel": channel, "code": code, "detail": detail})


class NoRouteConsumer(AsyncWebsocketConsumer):
    """Any other WebSocket path: accepted only to be closed with a code that says why."""

    async def connect(self) -> None:
        await self.accept()
        await self.close(code=4404)
