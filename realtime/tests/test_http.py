"""The realtime process's own HTTP: liveness, readiness (the channel layer) and metrics."""

from __future__ import annotations

import json

import pytest
from channels.testing import HttpCommunicator

from music_platform.asgi import application
from realtime.tests.conftest import Client, run

pytestmark = pytest.mark.django_db


def get(path: str, method: str = "GET") -> tuple[int, dict[str, bytes], bytes]:
    async def scenario():
        response = await HttpCommunicator(application, method, path).get_response(timeout=5)
        return response["status"], dict(response["headers"]), response["body"]

    return run(scenario)


def test_health():
    status, headers, body = get("/health/")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    assert headers[b"content-type"] == b"application/json"


def test_ready_checks_the_channel_layer_and_database():
    status, _, body = get("/health/ready/")
    assert status == 200, body
    assert json.loads(body) == {
        "status": "ok",
        "checks": {"channel_layer": "ok", "database": "ok"},
        "failed": [],
    }


def test_ready_is_503_when_the_channel_layer_is_down(settings):
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            **settings.CHANNEL_LAYERS["default"],
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    channel_layers.backends.clear()
    try:
        status, _, body = get("/health/ready/")
    finally:
        channel_layers.backends.clear()
    assert status == 503
    assert json.loads(body)["failed"] == ["channel_layer"]


def test_metrics_count_open_sockets():
    def open_anonymous(text: str) -> float:
        prefix = 'realtime_open_sockets{auth="anonymous"} '
        lines = [x for x in text.splitlines() if x.startswith(prefix)]
        return float(lines[0].rsplit(" ", 1)[1]) if lines else 0.0

    async def scenario():
        before = (await HttpCommunicator(application, "GET", "/metrics").get_response())["body"]
        async with Client() as ws:
            await ws.send({"action": "ping"})  # connect() has finished
            assert await ws.receive() == {"type": "pong"}
            response = await HttpCommunicator(application, "GET", "/metrics").get_response()
            return before.decode(), response["body"].decode()

    before, during = run(scenario)
    assert open_anonymous(during) == open_anonymous(before) + 1
    assert "realtime_fanout_latency_seconds_bucket" in during
    assert "realtime_messages_sent_total" in during


def test_anything_else_is_404_and_writes_are_405():
    assert get("/api/v1/songs/")[0] == 404
    assert get("/health/", method="POST")[0] == 405


def test_readiness_probes_reuse_one_channel():
    from channels.layers import get_channel_layer

    async def scenario():
        counts = []
        for _ in range(3):
            response = await HttpCommunicator(application, "GET", "/health/ready/").get_response()
            assert response["status"] == 200
            counts.append(len(get_channel_layer()._get_layer().channels))
        return counts

    counts = run(scenario)
    assert counts[0] == counts[1] == counts[2]
