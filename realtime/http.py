"""The realtime process's own HTTP: /health/, /health/ready/ and /metrics, nothing else.

The HTTP API stays on gunicorn (WSGI); this ASGI app answers only what its probes and
Prometheus need, without Django's request handling.
"""

from __future__ import annotations

import asyncio
import json
import uuid
import weakref
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

READY_TIMEOUT = 2.0


class _Probe:
    """This event loop's probe channel. With the pub/sub layer a channel is a Redis
    subscription that lasts until its reader is cancelled, so a new one per probe would pile
    up; the lock keeps two probes from reading each other's replies."""

    def __init__(self) -> None:
        self.channel: str | None = None
        self.lock = asyncio.Lock()


_probes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Probe] = weakref.WeakKeyDictionary()


async def _check_channel_layer() -> None:
    """A message round trip through Redis on this process's probe channel."""
    layer = get_channel_layer()
    assert layer is not None
    loop = asyncio.get_running_loop()
    probe = _probes.setdefault(loop, _Probe())
    async with probe.lock:
        if probe.channel is None:
            probe.channel = await layer.new_channel()
        nonce = uuid.uuid4().hex
        deadline = loop.time() + READY_TIMEOUT
        try:
            await layer.send(probe.channel, {"type": "ready.check", "nonce": nonce})
            while True:  # a reply to an earlier, timed-out probe may still be queued
                remaining = deadline - loop.time()
                reply = await asyncio.wait_for(layer.receive(probe.channel), remaining)
                if reply.get("nonce") == nonce:
                    return
        except BaseException:
            probe.channel = None  # a cancelled receive gave up the subscription
            raise


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


CHECKS = {
    "channel_layer": _check_channel_layer,
    "database": lambda: database_sync_to_async(_check_database)(),
}


async def _ready() -> tuple[int, dict[str, Any]]:
    results, failed = {}, []
    for name, check in CHECKS.items():
        try:
            await asyncio.wait_for(check(), READY_TIMEOUT + 0.5)
            results[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; report which one
            results[name] = f"error: {exc.__class__.__name__}"
            failed.append(name)
    body = {"status": "ok" if not failed else "unavailable", "checks": results, "failed": failed}
    return (503 if failed else 200), body


def _json(status: int, body: dict[str, Any]) -> tuple[int, bytes, bytes]:
    return status, json.dumps(body).encode(), b"application/json"


async def http_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    path, method = scope["path"], scope["method"]
    if method not in ("GET", "HEAD"):
        status, body, content_type = _json(
            405, {"type": "client_error", "errors": [{"code": "method_not_allowed"}]}
        )
    elif path == "/health/":
        status, body, content_type = _json(200, {"status": "ok"})
    elif path == "/health/ready/":
        status, payload = await _ready()
        status, body, content_type = _json(status, payload)
    elif path == "/metrics":
        status, body, content_type = 200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST.encode()
    else:
        status, body, content_type = _json(
            404,
            {
                "type": "client_error",
                "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}],
            },
        )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})
