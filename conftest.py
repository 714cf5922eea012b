"""Project-wide pytest fixtures (real PostgreSQL and Redis), the `realdata` marker, one user
per role (``cast``) and catalog content in every visibility state (``content``)."""

import base64
import copy
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from catalog.models import Album, Artist, Song
from catalog.tests.factories import AlbumFactory, OwnedArtistFactory, SongFactory
from common.tasks import queue_name
from users.tests.factories import AdminFactory, ArtistUserFactory, EditorFactory, UserFactory

# The development machines' environment sets PYTHONDONTWRITEBYTECODE: without cached bytecode
# every run, and every xdist worker in it, compiles and assert-rewrites each module again
# (seconds per process). Test runs write their bytecode to __pycache__ (ignored by git); Python
# checks each cached file against its source, so an edited module is always compiled afresh.
sys.dont_write_bytecode = False


# --- speed: work the tests repeat, done once -----------------------------------------------


class _SchemaCache:
    """drf-spectacular's schema, generated once per test process for each way of asking.

    Many tests read the whole OpenAPI schema (the docs, Postman, the schema check, the fuzzing,
    the documented parameters), through the view, the management commands or the generator
    directly; generating it takes about a second each time. ``SchemaGenerator.get_schema``
    keeps each result here, keyed by what the schema depends on (generator class, URLconf,
    version, public or not, language, the DRF and drf-spectacular settings, and whether a
    request was given), and gives every caller its own deep copy. Only a public schema asked
    for without a request or by an anonymous request is kept (a signed-in caller's schema
    could differ), and only for the default URL patterns. The warnings and errors generated
    the first time are emitted again on each later call, as a fresh generation would, so
    ``spectacular --fail-on-warn`` still fails on them. Tests only: production generates the
    schema on every request, as before."""

    def __init__(self) -> None:
        self.entries: dict[tuple, tuple[dict, dict, dict]] = {}
        self.original = None

    def install(self) -> None:
        from drf_spectacular.generators import SchemaGenerator

        if self.original is not None:
            return
        self.original = SchemaGenerator.get_schema
        cache = self

        def get_schema(generator, request=None, public=False):
            return cache.get_schema(generator, request=request, public=public)

        SchemaGenerator.get_schema = get_schema

    @staticmethod
    def key(generator, request, public) -> tuple | None:
        from django.utils import translation

        if not public or generator.patterns is not None:
            return None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return None
        return (
            type(generator),
            str(generator.urlconf or settings.ROOT_URLCONF),
            generator.api_version or getattr(request, "version", None),
            request is None,
            translation.get_language(),
            repr(settings.SPECTACULAR_SETTINGS),
            repr(settings.REST_FRAMEWORK),
        )

    def get_schema(self, generator, *, request, public):
        from drf_spectacular.drainage import GENERATOR_STATS, reset_generator_stats

        key = self.key(generator, request, public)
        if key is None:
            return self.original(generator, request=request, public=public)
        if key not in self.entries:
            schema = self.original(generator, request=request, public=public)
            self.entries[key] = (
                schema,
                dict(GENERATOR_STATS._warn_cache),
                dict(GENERATOR_STATS._error_cache),
            )
            return copy.deepcopy(schema)
        schema, warnings, errors = self.entries[key]
        reset_generator_stats()
        for messages, stats in ((warnings, GENERATOR_STATS._warn_cache),
                                (errors, GENERATOR_STATS._error_cache)):  # fmt: skip
            for message, count in messages.items():
                if not GENERATOR_STATS.silent:
                    print(message, file=sys.stderr)
                stats[message] += count
        return copy.deepcopy(schema)


SCHEMA_CACHE = _SchemaCache()


def _flush_only_tables_with_rows() -> None:
    """After each transactional test (``django_db(transaction=True)``) Django empties every
    table with one TRUNCATE of all of them; PostgreSQL gives each truncated table and index
    new files, a few hundred milliseconds for the whole schema. A test writes a few tables:
    only those with a row are truncated (CASCADE: a referencing table is emptied too, as the
    full flush would), with the same result, every table empty. Sequences are not reset by
    this flush, as before; a flush asked to reset them takes Django's way."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate_all = DatabaseOperations.sql_flush
    if getattr(truncate_all, "only_tables_with_rows", False):
        return

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables:
            return truncate_all(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        probe = " UNION ALL ".join(
            f"SELECT %s WHERE EXISTS (SELECT 1 FROM {self.quote_name(table)})" for table in tables
        )
        with self.connection.cursor() as cursor:
            cursor.execute(probe, list(tables))
            with_rows = [table for (table,) in cursor.fetchall()]
        if not with_rows:
            return []
        return truncate_all(self, style, with_rows, reset_sequences=False, allow_cascade=True)

    sql_flush.only_tables_with_rows = True
    DatabaseOperations.sql_flush = sql_flush


def pytest_configure(config):
    SCHEMA_CACHE.install()
    _flush_only_tables_with_rows()


def _required(variable: str) -> bool:
    return os.environ.get(variable, "").lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str, *, required_by: str) -> None:
    """Skip with ``reason``; fail instead when CI sets ``required_by`` (a missing dependency
    of a mandatory check must never pass silently as a skip)."""
    if _required(required_by):
        pytest.fail(f"{reason} ({required_by}=1 makes this a failure)", pytrace=False)
    pytest.skip(reason)


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def chromium() -> str:
    """Headless Chromium's path; skipped without it, failed under REQUIRE_BROWSER=1 (CI)."""
    import shutil

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        skip_or_fail("Chromium is not installed", required_by="REQUIRE_BROWSER")
    return path


@pytest.fixture
def browser_dom(chromium, tmp_path):
    """``browser_dom(url)``: the DOM after headless Chromium loaded ``url`` and ran its
    scripts (up to 10 s of virtual time)."""
    import subprocess

    def load(url: str) -> str:
        return subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}",
             "--virtual-time-budget=10000", "--dump-dom", url],
            capture_output=True, text=True, timeout=120, check=False,
        ).stdout  # fmt: skip

    return load


def music_data_path(*parts: str) -> Path:
    """A path under the real datasets (``settings.MUSIC_DATA_DIR``)."""
    return Path(settings.MUSIC_DATA_DIR).joinpath(*parts)


def pytest_runtest_setup(item):
    marker = item.get_closest_marker("realdata")
    if marker is None:
        return
    missing = [
        str(music_data_path(folder))
        for folder in (marker.args or ("",))
        if not music_data_path(folder).exists()
    ]
    if missing:
        skip_or_fail(
            f"real datasets not found: MUSIC_DATA_DIR={settings.MUSIC_DATA_DIR} lacks "
            + ", ".join(missing),
            required_by="REQUIRE_MUSIC_DATA",
        )


@pytest.fixture
def music_data_dir() -> Path:
    """The real datasets' folder; use it in tests marked ``realdata``."""
    return Path(settings.MUSIC_DATA_DIR)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _steady_ratelimit_clock(monkeypatch):
    """Rate-limit windows end at a moment of each period; a test whose requests straddled one
    would see its count reset and fail at random. Tests run at one fixed instant instead."""
    import types

    import django_ratelimit.core

    now = 1_800_000_000.0 + 1
    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: now))


TEST_WORKER_START_SECONDS = 60


@pytest.fixture(autouse=True)
def _in_thread_workers_start_or_fail(monkeypatch):
    """Celery's in-thread test worker (``celery.contrib.testing.worker.start_worker``) has two
    ways to hang a run: it waits for its thread to be ready with no time limit, and when a
    worker thread fails to stop in time it raises before resetting the process-wide
    ``celery.worker.state.should_terminate``, so every later worker of that process shuts down
    as it starts and is waited for forever. Each test starts with that flag clear, and a
    worker not ready in TEST_WORKER_START_SECONDS fails its test instead of hanging the run."""
    from celery.contrib.testing.worker import TestWorkController
    from celery.worker import state

    state.should_terminate = None
    state.should_stop = None

    def ensure_started(self) -> None:
        if not self._on_started.wait(TEST_WORKER_START_SECONDS):
            raise RuntimeError(
                f"the test's Celery worker was not ready within {TEST_WORKER_START_SECONDS} s"
            )

    monkeypatch.setattr(TestWorkController, "ensure_started", ensure_started)


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def queued_tasks():
    """``queued_tasks("default")``: the tasks waiting in that queue of the test broker, oldest
    first, as ``(task name, kwargs, task id)``. The broker is the test Redis database, so the
    autouse cache flush empties it before each test."""
    import redis

    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("reads the queue of a Redis broker")
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)

    def read(queue: str = "default") -> list[tuple[str, dict, str]]:
        tasks = []
        for raw in reversed(client.lrange(queue_name(queue), 0, -1)):
            message = json.loads(raw)
            _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            tasks.append((message["headers"]["task"], kwargs, message["headers"]["id"]))
        return tasks

    return read


@pytest.fixture
def broker_down(settings):
    """Point Celery at a closed port, as when the broker is stopped."""
    from celery import current_app

    closed = "redis://127.0.0.1:1/0"
    previous = current_app.conf.broker_url, current_app.conf.broker_write_url
    current_app.conf.broker_url = current_app.conf.broker_write_url = closed
    settings.CELERY_BROKER_URL = closed
    yield
    current_app.conf.broker_url, current_app.conf.broker_write_url = previous


RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")


@pytest.fixture
def rabbitmq_broker(settings):
    """Celery on the real RabbitMQ broker for one test; skipped when RabbitMQ is not running,
    failed under REQUIRE_RABBITMQ=1 (CI)."""
    from celery import current_app
    from kombu import Connection

    try:
        with Connection(RABBITMQ_URL, connect_timeout=2) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:
        skip_or_fail(
            f"RabbitMQ is not reachable at {RABBITMQ_URL}: {exc}", required_by="REQUIRE_RABBITMQ"
        )
    previous = current_app.conf.broker_url, current_app.conf.broker_write_url
    current_app.conf.broker_url = current_app.conf.broker_write_url = RABBITMQ_URL
    settings.CELERY_BROKER_URL = RABBITMQ_URL
    yield RABBITMQ_URL
    current_app.conf.broker_url, current_app.conf.broker_write_url = previous


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def bearer_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def client_for():
    """``client_for(user)`` -> an APIClient authenticated with a real JWT (None: anonymous)."""

    def make(user=None) -> APIClient:
        return bearer_client(user) if user is not None else APIClient()

    return make


# --- one user per role, content in every visibility state -------------------------------


@dataclass
class Cast:
    listener: object
    owner: object  # artist account owning ``artist``
    other_artist_user: object  # artist account owning ``other_artist``
    editor: object
    admin: object
    artist: Artist
    other_artist: Artist

    def by_role(self, role: str):
        return None if role == "anonymous" else getattr(self, role)


ROLES = ["anonymous", "listener", "owner", "other_artist_user", "editor", "admin"]
INSIDERS = {"owner", "editor", "admin"}


def make_cast() -> Cast:
    owner = ArtistUserFactory(username="owner")
    other = ArtistUserFactory(username="other_artist")
    return Cast(
        listener=UserFactory(username="listener"),
        owner=owner,
        other_artist_user=other,
        editor=EditorFactory(username="editor"),
        admin=AdminFactory(username="admin"),
        artist=OwnedArtistFactory(name="Owned Artist", user=owner),
        other_artist=OwnedArtistFactory(name="Other Artist", user=other),
    )


@dataclass
class Content:
    public_album: Album
    private_album: Album
    hidden_album: Album
    public_song: Song
    private_song: Song  # song's own switch off, in the public album
    hidden_song: Song  # staff hid it, in the public album
    song_in_hidden_album: Song
    song_in_private_album: Song


@pytest.fixture
def cast(db) -> Cast:
    return make_cast()


def make_content(cast: Cast) -> Content:
    artist = cast.artist
    public_album = AlbumFactory(artist=artist, title="Public Album")
    private_album = AlbumFactory(artist=artist, title="Private Album", is_public=False)
    hidden_album = AlbumFactory(artist=artist, title="Hidden Album", is_visible=False)
    return Content(
        public_album=public_album,
        private_album=private_album,
        hidden_album=hidden_album,
        public_song=SongFactory(
            artist=artist, album=public_album, title="Public Song", track_number=1
        ),
        private_song=SongFactory(
            artist=artist, album=public_album, title="Private Song", is_public=False, track_number=2
        ),
        hidden_song=SongFactory(
            artist=artist, album=public_album, title="Hidden Song", is_visible=False, track_number=3
        ),
        song_in_hidden_album=SongFactory(artist=artist, album=hidden_album, title="Buried Song"),
        song_in_private_album=SongFactory(artist=artist, album=private_album, title="Secret Song"),
    )


@pytest.fixture
def content(cast) -> Content:
    return make_content(cast)
