"""End to end against live processes: the HTTP API (pytest-django's live server), the realtime
process (uvicorn started as a subprocess on this test database and channel layer), a Celery
worker, and a real WebSocket client (the ``websockets`` library)."""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest
import requests
import websockets
from celery import current_app
from celery.contrib.testing.worker import start_worker
from django.db import connection

from analytics.tests.factories import ListeningEventFactory
from catalog.models import Playlist
from catalog.tests.factories import PlaylistFactory, SongFactory
from charts.models import ChartEntry, ChartSnapshot
from charts.services.platform import PLATFORM_CHARTS, platform_chart_get_or_create
from charts.tests.factories import FeedChartFactory
from charts.tests.samples import APPLE_V2_SONGS, fixture
from common.tasks import queue_name
from realtime.tests.conftest import token_for
from users.tests.factories import EditorFactory, UserFactory

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


def running_worker(*queues: str):
    return start_worker(
        current_app,
        pool="solo",
        perform_ping_check=False,
        queues=[queue_name(queue) for queue in queues],
        loglevel="WARNING",
    )


@pytest.fixture
def worker():
    with running_worker("default"):
        yield


@pytest.fixture
def feed_url():
    """A chart feed server on loopback: the invented Apple Music feed of the charts tests."""
    body = fixture(APPLE_V2_SONGS)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v2/tr/music/most-played/10/songs.json"
    server.shutdown()


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


def test_a_listener_gets_positions_over_the_songs_it_may_see(live_server, realtime_url):
    # A hidden song first in a public playlist: the owner's HTTP add lands at stored position
    # 1; the listener's socket says 0, as the listener's REST API does; an editor's says 1.
    owner, listener = UserFactory(), UserFactory()
    hidden, song = SongFactory(is_visible=False), SongFactory(title="Seen")
    playlist = PlaylistFactory(owner=owner, is_public=True, songs=[hidden])
    editor = EditorFactory()  # staff see the hidden song; the listener does not
    tokens = {"listener": token_for(listener), "editor": token_for(editor)}
    channel = f"playlist:{playlist.pk}"

    async def scenario():
        sockets = {}
        for role, token in tokens.items():
            sockets[role] = await websockets.connect(f"{realtime_url}?token={token}")
            await sockets[role].send(json.dumps({"action": "subscribe", "channel": channel}))
            assert json.loads(await sockets[role].recv())["type"] == "subscribed"
        try:
            response = await asyncio.to_thread(
                requests.post,
                f"{live_server.url}/api/v1/playlists/{playlist.pk}/songs/",
                json={"song_id": song.pk},
                headers={"Authorization": f"Bearer {token_for(owner)}"},
                timeout=10,
            )
            assert response.status_code == 201, response.text
            events = {role: await next_event(ws) for role, ws in sockets.items()}
            listed = await asyncio.to_thread(
                requests.get,
                f"{live_server.url}/api/v1/playlists/{playlist.pk}/songs/",
                headers={"Authorization": f"Bearer {tokens['listener']}"},
                timeout=10,
            )
            return events, listed.json()
        finally:
            for ws in sockets.values():
                await ws.close()

    events, listed = asyncio.run(scenario())
    positions = {
        role: [(e["song"]["id"], e["position"]) for e in event["data"]["entries"]]
        for role, event in events.items()
    }
    assert positions == {"listener": [(song.pk, 0)], "editor": [(song.pk, 1)]}
    assert [(e["song"]["id"], e["position"]) for e in listed["results"]] == [(song.pk, 0)]


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


def test_a_chart_pull_run_by_a_worker_reaches_chart_subscribers(
    live_server, realtime_url, feed_url
):
    """Staff ask for a pull over HTTP; a worker on the feeds queue fetches the feed from a
    real server and ingests it; an anonymous socket on chart:<slug> hears of the snapshot."""
    chart = FeedChartFactory(slug="apple-tr-live", country="tr", feed_url=feed_url)
    editor_token = token_for(EditorFactory())

    async def scenario():
        async with websockets.connect(realtime_url) as ws:
            await ws.send(json.dumps({"action": "subscribe", "channel": f"chart:{chart.slug}"}))
            assert json.loads(await ws.recv())["type"] == "subscribed"
            response = await asyncio.to_thread(
                requests.post,
                f"{live_server.url}/api/v1/charts/{chart.slug}/ingest/",
                headers={"Authorization": f"Bearer {editor_token}"},
                timeout=10,
            )
            assert response.status_code == 202, response.text
            return await next_event(ws, timeout=60)

    with running_worker("feeds"):
        event = asyncio.run(scenario())
    snapshot = ChartSnapshot.objects.get(chart=chart)
    assert (event["channel"], event["event"]) == (f"chart:{chart.slug}", "snapshot_ingested")
    assert event["data"] == {
        "date": snapshot.date.isoformat(),
        "dates": [snapshot.date.isoformat()],
    }
    assert ChartEntry.objects.filter(snapshot=snapshot).count() == snapshot.entry_count > 0


def test_a_platform_chart_computed_by_a_worker_reaches_chart_subscribers(realtime_url):
    """Beat's daily task, run by a worker on the heavy queue, publishes like an import."""
    day = date(2026, 11, 18)  # a Wednesday: the daily charts only
    platform_chart_get_or_create(spec=PLATFORM_CHARTS[0])  # one may subscribe to a chart
    song = SongFactory(title="Heard Live")
    for user in UserFactory.create_batch(3):
        ListeningEventFactory(user=user, song=song, occurred_at=f"{day}T12:00:00Z")

    async def scenario():
        async with websockets.connect(realtime_url) as ws:
            await ws.send(
                json.dumps({"action": "subscribe", "channel": "chart:platform-daily-songs"})
            )
            assert json.loads(await ws.recv())["type"] == "subscribed"
            current_app.send_task(
                "music_platform.compute_platform_charts",
                kwargs={"day": day.isoformat()},
                queue=queue_name("heavy"),
            )
            return await next_event(ws, timeout=60)

    with running_worker("heavy"):
        event = asyncio.run(scenario())
    assert (event["channel"], event["event"]) == ("chart:platform-daily-songs", "snapshot_ingested")
    assert event["data"] == {"date": day.isoformat(), "dates": [day.isoformat()]}
    entry = ChartEntry.objects.get(snapshot__chart__slug="platform-daily-songs")
    assert (entry.position, entry.song_id, entry.streams) == (1, song.pk, 3)
