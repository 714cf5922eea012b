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
    async def scenario():
        async with Client():
            response = await HttpCommunicator(application, "GET", "/metrics").get_response()
            return response["body"].decode()

    text = run(scenario)
    assert 'realtime_open_sockets{auth="anonymous"} 1.0' in text
    assert "realtime_fanout_latency_seconds_bucket" in text
    assert "realtime_messages_sent_total" in text


def test_anything_else_is_404_and_writes_are_405():
    assert get("/api/v1/songs/")[0] == 404
    assert get("/health/", method="POST")[0] == 405
