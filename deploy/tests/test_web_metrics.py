"""The web process's own metrics (music_platform.metrics) counted from real requests, and
gunicorn's workers adding up at /metrics (prometheus_client's multiprocess mode)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from catalog.audio.streaming import signed_url
from catalog.models import SongAudioRendition
from catalog.tests import audio_fixtures as af
from catalog.tests.factories import SongFactory
from music_platform.metrics import EVENTS_INGESTED, STREAM_BYTES, STREAM_RESPONSES


def value(metric, **labels) -> float:
    child = metric.labels(**labels) if labels else metric
    return child._value.get()


@pytest.mark.django_db
def test_events_ingested_counts_the_events_stored(client_for, cast, content):
    listener = client_for(cast.listener)
    before = value(EVENTS_INGESTED)
    song = content.public_song.pk
    batch = [
        {"song": song, "action": "play", "event_id": f"deploy-{uuid.uuid4().hex}"},
        {"song": song, "action": "like", "event_id": f"deploy-{uuid.uuid4().hex}"},
    ]
    response = listener.post("/api/v1/analytics/events/", batch, format="json")
    assert response.status_code in (200, 201, 202), response.content
    assert response.json()["accepted"] == 2
    assert value(EVENTS_INGESTED) - before == 2
    # the same events again are duplicates: nothing more is stored, nothing counted
    again = listener.post("/api/v1/analytics/events/", batch, format="json")
    assert again.json()["accepted"] == 0
    # refused input counts nothing either
    bad = listener.post("/api/v1/analytics/events/", {"song": song, "action": "x"}, format="json")
    assert bad.status_code == 400
    assert value(EVENTS_INGESTED) - before == 2


@pytest.fixture
def rendition(cast, django_capture_on_commit_callbacks):
    song = SongFactory(artist=cast.artist)
    af.give_audio(song, af.audio_file("wav", 3.0), capture=django_capture_on_commit_callbacks)
    yield SongAudioRendition.objects.get(audio__song=song, quality="medium")
    af.purge_media_queue()


@pytest.mark.django_db
def test_stream_answers_and_the_bytes_django_sends_are_counted(client, rendition, settings):
    url = signed_url(rendition)
    size = (Path(settings.MEDIA_ROOT) / rendition.folder / rendition.entry).stat().st_size
    bytes_before = value(STREAM_BYTES)
    whole_before = value(STREAM_RESPONSES, served_by="django", status="200")
    assert client.get(url).status_code == 200
    assert client.get(url, headers={"Range": "bytes=0-99"}).status_code == 206
    assert client.head(url).status_code == 200  # headers only: no bytes sent
    assert value(STREAM_BYTES) - bytes_before == size + 100
    assert value(STREAM_RESPONSES, served_by="django", status="200") - whole_before == 2
    # behind Nginx Django only hands the file over: counted as such, bytes counted by MinIO
    settings.AUDIO_X_ACCEL_REDIRECT = True
    nginx_before = value(STREAM_RESPONSES, served_by="nginx", status="200")
    assert client.get(url).has_header("X-Accel-Redirect")
    assert value(STREAM_RESPONSES, served_by="nginx", status="200") - nginx_before == 1
    assert value(STREAM_BYTES) - bytes_before == size + 100
    # a tampered link is a 403, counted with its status
    refused_before = value(STREAM_RESPONSES, served_by="django", status="403")
    assert client.get(url.replace("/p/", "/i/", 1)).status_code == 403
    assert value(STREAM_RESPONSES, served_by="django", status="403") - refused_before == 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _worker_files(folder: Path) -> set[str]:
    """The process ids of the counter files in a multiprocess metrics folder."""
    return {path.stem.rsplit("_", 1)[1] for path in folder.glob("counter_*.db")}


@pytest.mark.slow
def test_gunicorn_metrics_add_up_every_worker_process(tmp_path):
    port = free_port()
    base = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "music_platform.settings_test",
        "DATABASE_URL": f"postgres://{base['USER']}@{base['HOST']}:{base['PORT'] or 5432}/"
        f"{base['NAME']}",
        "GUNICORN_WORKERS": "3",
        "GUNICORN_BIND_HOST": "127.0.0.1",
        "PORT": str(port),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
    }
    (tmp_path / "counter_999999.db").write_bytes(b"stale")  # a previous run's: removed at start
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "music_platform.wsgi:application",
         "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null"],
        cwd=settings.BASE_DIR, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                # answered once a worker has booted (a timed-out request would still count)
                requests.get(f"http://127.0.0.1:{port}/health/", timeout=60)
                break
            except requests.ConnectionError:  # not listening yet
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        # Twenty at a time, each on a new connection, until at least two workers have counted
        # some: one at a time, a quiet machine may hand every connection to the same worker
        # (seen: 60 of 60), and the test is about adding up several workers' counts.
        sent = 1  # the one above
        with ThreadPoolExecutor(max_workers=8) as pool:
            while len(_worker_files(tmp_path)) < 2 and sent < 1000:
                for response in pool.map(
                    lambda _: requests.get(f"http://127.0.0.1:{port}/health/", timeout=5),
                    range(20),
                ):
                    assert response.status_code == 200
                sent += 20
        pids = _worker_files(tmp_path)
        # A file a worker has just created, not yet sized: the scrape must read past it.
        (tmp_path / "counter_888888.db").touch()
        counts = []
        for _ in range(5):  # whichever worker answers the scrape, it has every worker's count
            text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if (
                        sample.name == "django_http_responses_total_by_status_view_method_total"
                        and sample.labels.get("view") == "health-live"
                    ):
                        counts.append(sample.value)
        assert counts == [float(sent)] * 5
        assert len(pids) >= 2 and "999999" not in pids  # several workers wrote theirs
    finally:
        server.terminate()
        server.wait(timeout=30)
