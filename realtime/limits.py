"""Per-socket and per-user limits of the realtime process."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref

from django.conf import settings
from redis import asyncio as aioredis

logger = logging.getLogger(__name__)


class TokenBucket:
    """``burst`` messages at once, refilled at ``rate`` per second (one bucket per socket)."""

    def __init__(self, *, burst: int, rate: float) -> None:
        self.capacity = float(burst)
        self.tokens = float(burst)
        self.rate = rate
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


# One asyncio Redis client per event loop (a client belongs to the loop that made it).
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
    weakref.WeakKeyDictionary()
)


def _redis() -> aioredis.Redis:
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = aioredis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5
        )
        _clients[loop] = client
    return client


def _key(owner: str) -> str:
    return f"{settings.CHANNEL_LAYER_PREFIX}:rt:sockets:{owner}"


def socket_ttl() -> float:
    # A socket's entry outlives a few missed refreshes; a crashed process's entries expire.
    return max(30.0, 3 * settings.REALTIME_ACCOUNT_RECHECK_SECONDS)


async def socket_register(*, owner: str, socket: str, limit: int) -> bool:
    """Count this socket against its owner's ``limit`` (``user:<id>``, or ``ip:<address>``
    for anonymous sockets), across processes; False when over it.

    Entries are scored by expiry, refreshed by the socket's watchdog and removed at
    disconnect. A Redis outage lets the socket in (the channel layer is down then anyway).
    """
    key, now = _key(owner), time.time()
    try:
        async with _redis().pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", now)
            pipe.zadd(key, {socket: now + socket_ttl()})
            pipe.zcard(key)
            pipe.expire(key, int(socket_ttl()) + 1)
            _, _, count, _ = await pipe.execute()
        if count > limit:
            await _redis().zrem(key, socket)
            return False
    except Exception as exc:
        logger.warning("realtime: socket count unavailable (%r); letting it in", exc)
    return True


async def socket_refresh(*, owner: str, socket: str) -> None:
    key = _key(owner)
    try:
        await _redis().zadd(key, {socket: time.time() + socket_ttl()}, xx=True)
        await _redis().expire(key, int(socket_ttl()) + 1)
    except Exception as exc:
        logger.warning("realtime: socket refresh failed (%r)", exc)


async def socket_unregister(*, owner: str, socket: str) -> None:
    try:
        await _redis().zrem(_key(owner), socket)
    except Exception as exc:
        logger.warning("realtime: socket unregister failed (%r)", exc)
