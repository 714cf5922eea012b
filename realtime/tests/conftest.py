"""Fixtures for the realtime tests: a WebSocket client on the real ASGI application and the
real Redis channel layer, run from synchronous tests so that the consumer's database calls
come back to the test's thread (and see the test's transaction)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from common import realtime as common_realtime
from music_platform.asgi import application

TIMEOUT = 3.0


@pytest.fixture(autouse=True)
def _keep_test_connection(monkeypatch):
    # Channels closes "old" database connections around each database_sync_to_async call;
    # inside a test's transaction that would roll it back. The ASGI server keeps doing it.
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)
    common_realtime.reset_connection()
    yield
    common_realtime.reset_connection()


def token_for(user) -> str:
    return str(AccessToken.for_user(user))


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    """Run an async scenario from a sync test (database calls come back to this thread)."""
    return async_to_sync(scenario)()


def orm(function: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """``await orm(fn)(...)``: run ORM code from a scenario, on the test's thread."""
    return sync_to_async(function)


class Client:
    """One WebSocket on /ws/v1/, speaking JSON."""

    def __init__(
        self,
        user=None,
        *,
        token: str | None = None,
        path: str = "/ws/v1/",
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        if token is None and user is not None:
            token = token_for(user)
        self.url = path + (f"?token={token}" if token is not None else "")
        self.communicator = WebsocketCommunicator(application, self.url, headers=headers)

    async def __aenter__(self) -> Client:
        connected, _ = await self.communicator.connect(timeout=TIMEOUT)
        assert connected
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.communicator.disconnect(timeout=TIMEOUT)

    async def send(self, message: Any) -> None:
        text = message if isinstance(message, str) else json.dumps(message)
        await self.communicator.send_to(text_data=text)

    async def receive(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        output = await self.communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            return {"closed": output.get("code")}
        return json.loads(output["text"])

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout)

    async def subscribe(self, channel: str) -> dict[str, Any]:
        await self.send({"action": "subscribe", "channel": channel})
        return await self.receive()

    async def closed_with(self, timeout: float = TIMEOUT) -> int | None:
        return (await self.receive(timeout)).get("closed")


async def settle() -> None:
    """Let Redis deliver what was just published."""
    await asyncio.sleep(0.05)


@pytest.fixture
def committing(django_capture_on_commit_callbacks):
    """``await committing(fn, **kwargs)``: run a service and its on-commit publishes."""

    def call(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return lambda function, **kwargs: orm(call)(function, **kwargs)
