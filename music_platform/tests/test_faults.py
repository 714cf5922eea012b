"""Fault injection with real processes: each test starts its own redis-server on a free port and
stops it (SIGKILL, as a crash) while requests run, or SIGKILLs a real Celery worker mid-task.

- Redis as the cache goes away: every endpoint still answers (cache misses, rate limits fail
  open), readiness says which check failed, and the cache is used again once Redis is back.
- Redis as the broker goes away: every request that enqueues answers 503 in the standard
  format and leaves nothing half-written (no account, no pending export, no changed e-mail);
  once the broker is back the same requests are accepted and their tasks are in the queue.
- A worker SIGKILLed in the middle of an acks_late task on the Redis broker: the task comes
  back after the visibility timeout and its effect happens exactly once.
"""

from __future__ import annotations

import copy
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis
from celery import current_app
from django.conf import settings

from catalog.models import PlaylistExport
from catalog.tests.factories import AlbumFactory, PlaylistFactory, SongFactory
from catalog.tests.worker_faults import StallFirstHandler, start_worker, wait_for
from charts.tests.factories import ChartFactory, FeedChartFactory
from common.tasks import queue_name
from users.models import User
from users.tests.factories import EditorFactory, UserFactory

pytestmark = pytest.mark.slow

PASSWORD = "correct-horse-battery"


class RedisProcess:
    """A redis-server of our own on ``port``: start, crash (SIGKILL), start again."""

    def __init__(self, port: int, workdir: Path):
        self.port = port
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError as exc:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from exc
                time.sleep(0.05)

    def crash(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None


@pytest.fixture
def own_redis(free_tcp_port_factory, tmp_path):
    server = RedisProcess(free_tcp_port_factory(), tmp_path)
    server.start()
    yield server
    server.crash()


# --- Redis as the cache -----------------------------------------------------------------------


@pytest.fixture
def cache_on_own_redis(own_redis, settings):
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = own_redis.url(0)
    settings.CACHES = caches  # Django rebuilds its cache handlers on this change
    return own_redis


def cache_scenario_requests(client_for, users, album, song, chart) -> list[tuple[str, int]]:
    """Requests over every app as different roles; (what, status) of each."""
    listener, editor = users
    listener_client, editor_client, anonymous = (
        client_for(listener),
        client_for(editor),
        client_for(None),
    )
    for client in (listener_client, editor_client, anonymous):
        client.raise_request_exception = False
    calls = [
        ("songs", anonymous.get("/api/v1/songs/")),
        ("song", anonymous.get(f"/api/v1/songs/{song.pk}/")),
        ("albums", listener_client.get("/api/v1/albums/")),
        ("album", listener_client.get(f"/api/v1/albums/{album.pk}/")),
        ("artists", anonymous.get("/api/v1/artists/")),
        ("like", listener_client.post(f"/api/v1/albums/{album.pk}/like/")),
        ("likes", anonymous.get(f"/api/v1/albums/{album.pk}/likes/")),
        ("trending", anonymous.get("/api/v1/songs/trending/")),
        ("similar", anonymous.get(f"/api/v1/songs/{song.pk}/similar/")),
        ("picks", listener_client.get("/api/v1/recommendations/me/")),
        ("genre-seeds", anonymous.get("/api/v1/recommendations/genre-seeds/")),
        ("charts", anonymous.get("/api/v1/charts/")),
        ("chart", anonymous.get(f"/api/v1/charts/{chart.slug}/")),
        (
            "event",
            listener_client.post(
                "/api/v1/analytics/events/", {"song": song.pk, "action": "like"}, format="json"
            ),
        ),
        ("summary", editor_client.get("/api/v1/analytics/summary/")),
        ("me", listener_client.get("/api/v1/users/me/")),
        ("playlists", listener_client.get("/api/v1/playlists/")),
        (
            "login",
            anonymous.post(
                "/api/v1/auth/token/",
                {"username": listener.username, "password": PASSWORD},
                format="json",
            ),
        ),
        (
            "wrong-password",
            anonymous.post(
                "/api/v1/auth/token/",
                {"username": listener.username, "password": "not-it"},
                format="json",
            ),
        ),
    ]
    return [(what, response.status_code) for what, response in calls]


@pytest.mark.django_db
def test_redis_cache_down_means_misses_not_errors_and_it_recovers(
    cache_on_own_redis, client_for, api_client
):
    listener, editor = UserFactory(), EditorFactory()
    album = AlbumFactory()
    song = SongFactory(album=album, artist=album.artist)
    chart = ChartFactory()
    users = (listener, editor)
    likes_url = f"/api/v1/albums/{album.pk}/likes/"

    up = cache_scenario_requests(client_for, users, album, song, chart)
    assert all(status < 500 for _, status in up), up
    api_client.get(likes_url)
    assert api_client.get(likes_url)["X-Data-Source"] == "cache"

    cache_on_own_redis.crash()
    down = cache_scenario_requests(client_for, users, album, song, chart)
    assert [what for what, status in down if status >= 500] == []
    # Same answers as with the cache (the like was already there: 200 instead of 201).
    assert dict(down) == {**dict(up), "like": dict(down)["like"]}
    likes = api_client.get(likes_url)
    assert (likes.status_code, likes.json(), likes["X-Data-Source"]) == (
        200,
        {"likes": 1},
        "database",
    )
    ready = api_client.get("/health/ready/")
    assert ready.status_code == 503
    assert "cache" in ready.content.decode()

    cache_on_own_redis.start()  # same port, empty
    back = cache_scenario_requests(client_for, users, album, song, chart)
    assert all(status < 500 for _, status in back), back
    api_client.get(likes_url)
    assert api_client.get(likes_url)["X-Data-Source"] == "cache"


# --- Redis as the broker ----------------------------------------------------------------------


@pytest.fixture
def broker_on_own_redis(own_redis, settings):
    previous = current_app.conf.broker_url, current_app.conf.broker_write_url
    url = own_redis.url(0)
    current_app.conf.broker_url = current_app.conf.broker_write_url = url
    settings.CELERY_BROKER_URL = url
    yield own_redis
    current_app.conf.broker_url, current_app.conf.broker_write_url = previous


def queued(broker: RedisProcess) -> list[bytes]:
    client = redis.Redis(port=broker.port)
    return [
        raw
        for queue in ("default", "feeds", "heavy")
        for raw in client.lrange(queue_name(queue), 0, -1)
    ]


@pytest.mark.django_db(transaction=True)
def test_broker_down_means_503_and_nothing_half_written_then_recovery(
    broker_on_own_redis, client_for
):
    owner, editor = UserFactory(email="owner@example.com"), EditorFactory()
    playlist = PlaylistFactory(owner=owner)
    chart = FeedChartFactory()

    def attempt(tag: str) -> dict[str, int]:
        anonymous, owner_client, editor_client = (
            client_for(None),
            client_for(owner),
            client_for(editor),
        )
        for client in (anonymous, owner_client, editor_client):
            client.raise_request_exception = False
        return {
            "register": anonymous.post(
                "/api/v1/auth/register/",
                {"username": f"new-{tag}", "email": f"{tag}@example.com", "password": PASSWORD},
                format="json",
                REMOTE_ADDR=f"10.77.0.{len(tag)}",
            ).status_code,
            "export": owner_client.post(f"/api/v1/playlists/{playlist.pk}/export/").status_code,
            "email-change": owner_client.patch(
                "/api/v1/users/me/", {"email": f"owner-{tag}@example.com"}, format="json"
            ).status_code,
            "picks-refresh": owner_client.post("/api/v1/recommendations/me/refresh/").status_code,
            "ingest": editor_client.post(f"/api/v1/charts/{chart.slug}/ingest/").status_code,
        }

    assert attempt("up") == {
        "register": 201,
        "export": 202,
        "email-change": 200,
        "picks-refresh": 202,
        "ingest": 202,
    }
    accepted = len(queued(broker_on_own_redis))
    assert accepted >= 5  # every accepted request has its task in the broker

    broker_on_own_redis.crash()
    exports_before = list(PlaylistExport.objects.values_list("task_id", "status"))
    down = attempt("down")
    assert down == dict.fromkeys(down, 503), down
    assert not User.objects.filter(username="new-down").exists()
    owner.refresh_from_db()
    assert owner.email == "owner@example.com"
    # The export row is kept as a record of the refusal, marked failed (never left "queued").
    new_exports = PlaylistExport.objects.exclude(task_id__in=[t for t, _ in exports_before])
    assert [export.status for export in new_exports] == ["failed"]
    # Everything accepted before the outage is still there.
    assert User.objects.filter(username="new-up").exists()
    assert set(exports_before) <= set(PlaylistExport.objects.values_list("task_id", "status"))

    broker_on_own_redis.start()  # empty: a crashed Redis without persistence lost its queue
    again = attempt("again")
    assert again == {
        "register": 201,
        "export": 202,
        "email-change": 200,
        "picks-refresh": 202,
        "ingest": 202,
    }
    assert len(queued(broker_on_own_redis)) >= 5


# --- a worker SIGKILLed mid-task on the Redis broker ------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_task_on_redis_is_redelivered_and_runs_once(
    broker_on_own_redis, client_for, free_tcp_port_factory
):
    from aiosmtpd.controller import Controller

    handler = StallFirstHandler()
    smtp_port = free_tcp_port_factory()
    smtp = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    owner = UserFactory(email="owner@example.com")
    playlist = PlaylistFactory(owner=owner, name="Killed Mid-Send")
    broker = broker_on_own_redis.url(0)
    # A short visibility timeout stands for "longer than the task's time limit" in real time.
    first = start_worker(broker_url=broker, smtp_port=smtp_port, CELERY_VISIBILITY_TIMEOUT="4")
    second = None
    try:
        response = client_for(owner).post(f"/api/v1/playlists/{playlist.pk}/export/")
        assert response.status_code == 202
        task_id = response.json()["task_id"]
        assert handler.stalled.wait(60), "the first worker never reached the SMTP server"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert PlaylistExport.objects.get(task_id=task_id).status == "queued"
        unacked = redis.Redis(port=broker_on_own_redis.port).hlen("unacked")
        assert unacked == 1  # the message waits, taken but not acknowledged

        second = start_worker(broker_url=broker, smtp_port=smtp_port, CELERY_VISIBILITY_TIMEOUT="4")
        assert wait_for(
            lambda: PlaylistExport.objects.get(task_id=task_id).status == "sent", timeout=40
        ), "the export was not redelivered"  # within visibility timeout + one 10 s sweep
        time.sleep(6)  # past another visibility timeout: a second delivery would land now
        assert len(handler.accepted) == 1
        assert b"Killed Mid-Send" in handler.accepted[0]
        assert PlaylistExport.objects.filter(playlist=playlist).count() == 1
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.terminate()
                worker.wait(20)
        smtp.stop()


# --- the visibility timeout against the tasks' own limits (fast) ------------------------------


def test_the_visibility_timeout_exceeds_every_acks_late_time_limit_and_retry_wait():
    """A Redis broker hands an unacknowledged message to another worker after the visibility
    timeout: a task still running (acks_late) or a retry waiting for its countdown would then
    run twice. Every registered task must fit under it."""
    current_app.loader.import_default_modules()
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    too_long = {}
    for name, task in current_app.tasks.items():
        if name.startswith("celery."):
            continue
        limit = task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        if task.acks_late and limit >= timeout:
            too_long[name] = f"time_limit {limit} s"
        if getattr(task, "autoretry_for", None) and getattr(task, "retry_backoff", False):
            backoff_max = getattr(task, "retry_backoff_max", 600)
            if backoff_max >= timeout:
                too_long[name] = f"retry backoff up to {backoff_max} s"
    assert too_long == {}, f"visibility_timeout {timeout} s is too short for {too_long}"
    assert timeout == settings.REDIS_BROKER_VISIBILITY_TIMEOUT
