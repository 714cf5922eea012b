"""End to end against live processes: the HTTP API (pytest-django's live server), the realtime
process (uvicorn started as a subprocess on this test database and channel layer), a Celery
worker, and a real WebSocket client (the ``websockets`` library)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import requests
import websockets
from celery import current_app
from celery.contrib.testing.worker import start_worker
from django.db import connection

from catalog.models import Playlist
from catalog.tests.factories import PlaylistFactory, SongFactory
from common.tasks import queue_name
from realtime.tests.conftest import token_for
from users.tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host, port = s["HOST"] or "127.0.0.1", s["PORT"] or 5432
    return f"postgres://{s['USER']}{password}@{host}:{port}/{s['NAME']}"


def start_realtime(port: int) -> subprocess.Popen:
    """The realtime process as `make run` starts it (Procfile), on the test database."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "music_platform.settings_test",
        "DATABASE_URL": database_url(),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "music_platform.asgi:application",
         "--host", "127.0.0.1", "--port", str(port), "--lifespan", "off",
         "--ws", "websockets-sansio", "--ws-max-size", "65536",
         "--ws-per-message-deflate", "false", "--no-access-log"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(process.stdout.read().decode() if process.stdout else "exited")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/ready/", timeout=2) as r:
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the realtime process did not become ready")


@pytest.fixture
def realtime_url():
    port = free_port()
    process = start_realtime(port)
    yield f"ws://127.0.0.1:{port}/ws/v1/"
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def worker():
    with start_worker(
        current_app,
        pool="solo",
        perform_ping_check=False,
        queues=[queue_name("default")],
        loglevel="WARNING",
    ):
        yield


async def next_event(ws, timeout: float = 10.0) -> dict:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if message["type"] == "event":
            return message


def test_a_collaborator_sees_another_users_song_added_live(live_server, realtime_url):
    owner, collaborator = UserFactory(), UserFactory()
    song = SongFactory(title="Live One")
    playlist = PlaylistFactory(owner=owner, collaborators=[collaborator])
    owner_token, collaborator_token = token_for(owner), token_for(collaborator)

    async def scenario():
        async with websockets.connect(f"{realtime_url}?token={collaborator_token}") as ws:
            await ws.send(json.dumps({"action": "subscribe", "channel": f"playlist:{playlist.pk}"}))
            assert json.loads(await ws.recv()) == {
                "type": "subscribed",
                "channel": f"playlist:{playlist.pk}",
            }
            response = await asyncio.to_thread(
                requests.post,
                f"{live_server.url}/api/v1/playlists/{playlist.pk}/songs/",
                json={"song_id": song.pk},
                headers={"Authorization": f"Bearer {owner_token}"},
                timeout=10,
            )
            assert response.status_code == 201, response.text
            return response.json(), await next_event(ws)

    written, event = asyncio.run(scenario())
    snapshot_id = Playlist.objects.get(pk=playlist.pk).snapshot_id
    assert written["snapshot_id"] == snapshot_id
    assert (event["channel"], event["event"]) == (f"playlist:{playlist.pk}", "song_added")
    assert event["data"]["snapshot_id"] == snapshot_id
    assert [
        (e["position"], e["song"]["id"], e["song"]["title"]) for e in event["data"]["entries"]
    ] == [(0, song.pk, "Live One")]


def test_an_export_sent_by_a_worker_reaches_user_me(live_server, realtime_url, worker):
    user = UserFactory(email="fan@example.com")
    playlist = PlaylistFactory(owner=user)
    token = token_for(user)

    async def scenario():
        async with websockets.connect(f"{realtime_url}?token={token}") as ws:
            await ws.send(json.dumps({"action": "subscribe", "channel": "user:me"}))
            assert json.loads(await ws.recv())["type"] == "subscribed"
            response = await asyncio.to_thread(
                requests.post,
                f"{live_server.url}/api/v1/playlists/{playlist.pk}/export/",
                json={},
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert response.status_code == 202, response.text
            return response.json()["task_id"], await next_event(ws, timeout=30)

    task_id, event = asyncio.run(scenario())
    assert (event["channel"], event["event"]) == ("user:me", "export_sent")
    assert event["data"] == {
        "export_id": task_id,
        "playlist_id": playlist.pk,
        "name": playlist.name,
    }


def test_bad_tokens_and_blocked_users_are_closed_by_the_live_process(realtime_url):
    blocked = UserFactory(is_blocked=True)

    async def close_code(url: str) -> int | None:
        async with websockets.connect(url) as ws:
            try:
                await asyncio.wait_for(ws.recv(), 5)
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None
        return None

    assert asyncio.run(close_code(f"{realtime_url}?token=garbage")) == 4401
    assert asyncio.run(close_code(f"{realtime_url}?token={token_for(blocked)}")) == 4403
