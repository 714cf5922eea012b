"""The process's fan-out: one channel-layer channel per realtime process, not one per socket.

Channels' usual pattern gives every socket its own layer channel and group membership; each
group message is then decoded, dispatched and encoded once per socket, through a chain of
asyncio tasks per socket (~1 ms of one core per socket here: 1,000 subscribers took a
second). The hub instead joins each group once for the whole process, decodes each message
once, encodes the client's JSON once per message, and hands the same text to every local
socket subscribed to it. A message rendered per audience (``audiences``: playlist events
whose positions count only the songs each may see) is encoded once per audience, not per
socket. Messages that need per-socket work (access re-checks) go to that socket's own
ordered lane (``RealtimeConsumer.deliver``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from typing import Any, Protocol

from channels.layers import get_channel_layer

from common.realtime import group_name

logger = logging.getLogger(__name__)


class Outgoing:
    """One published message and the client's JSON of it, encoded once per audience that
    asks for it (``text_for``)."""

    __slots__ = ("message", "texts")

    def __init__(self, message: dict[str, Any]) -> None:
        self.message = message
        self.texts: dict[str | None, str | None] = {}

    def text_for(self, audience: str) -> str | None:
        """The event as ``audience`` gets it; None: that audience gets no event."""
        variants = self.message.get("audiences")
        key = audience if isinstance(variants, dict) and audience in variants else None
        if key not in self.texts:
            data = self.message.get("data") if key is None else variants[key]  # type: ignore[index]
            self.texts[key] = None if data is None else self._encode(data)
        return self.texts[key]

    def _encode(self, data: Any) -> str:
        return json.dumps(
            {
                "type": "event",
                "channel": client_channel(self.message["channel"]),
                "event": self.message.get("event"),
                "data": data,
                "at": self.message.get("at"),
            },
            separators=(",", ":"),
        )


class Member(Protocol):
    def deliver(self, outgoing: Outgoing) -> None: ...


def client_channel(published_as: str) -> str:
    # Every socket sees its own notifications as user:me; nobody else is in a user's group.
    return "user:me" if published_as.startswith("user:") else published_as


class Hub:
    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.channel: str | None = None
        self.members: dict[str, set[Member]] = {}
        self.reader: asyncio.Task | None = None
        self.lock = asyncio.Lock()

    async def join(self, group: str, member: Member) -> None:
        async with self.lock:
            assert self.layer is not None
            if self.channel is None:
                self.channel = await self.layer.new_channel()
                self.reader = asyncio.ensure_future(self._read())
            members = self.members.setdefault(group, set())
            first = not members
            members.add(member)
            if first:
                await self.layer.group_add(group, self.channel)

    async def leave(self, group: str, member: Member) -> None:
        async with self.lock:
            members = self.members.get(group)
            if not members or member not in members:
                return
            members.discard(member)
            if not members:
                del self.members[group]
                if self.layer is not None and self.channel is not None:
                    await self.layer.group_discard(group, self.channel)

    async def _read(self) -> None:
        assert self.layer is not None and self.channel is not None
        while True:
            try:
                message = await self.layer.receive(self.channel)
                self.fan_out(message)
            except asyncio.CancelledError:
                raise
            except Exception:  # a Redis blip or a malformed message: keep serving
                logger.exception("realtime: hub receive failed")
                await asyncio.sleep(0.5)

    def fan_out(self, message: dict[str, Any]) -> None:
        published_as = message.get("channel")
        if not isinstance(published_as, str):
            return
        members = self.members.get(group_name(published_as))
        if not members:
            return
        outgoing = Outgoing(message)
        for member in list(members):
            member.deliver(outgoing)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """This event loop's hub (one per process in production; one per test loop)."""
    loop = asyncio.get_running_loop()
    if loop not in _hubs:
        _hubs[loop] = Hub()
    return _hubs[loop]
