"""The catalog.audio_process task: a corrupt file fails once and clearly; storage outages
are retried with backoff and only fail when the retries run out."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from botocore.exceptions import EndpointConnectionError
from django.conf import settings

from catalog.audio import files
from catalog.audio import services as audio_services
from catalog.models import AudioStatus, SongAudio
from catalog.tasks import AUDIO_MAX_RETRIES, audio_process
from catalog.tests import audio_fixtures as af
from catalog.tests.factories import SongFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_stray_messages():
    yield
    af.purge_media_queue()


@pytest.fixture
def pending(cast, django_capture_on_commit_callbacks):
    song = SongFactory(artist=cast.artist)
    audio = af.give_audio(
        song, af.audio_file("wav", 2.0), process=False, capture=django_capture_on_commit_callbacks
    )
    return song, audio


def test_a_corrupt_original_fails_once_with_a_reason(pending):
    song, audio = pending
    # The stored original went bad after the upload check (a broken frame mid-file).
    (Path(settings.MEDIA_ROOT) / audio.original).write_bytes(af.mp3_with_broken_frame())

    result = audio_process.apply(kwargs={"song_id": song.pk, "generation": audio.generation})

    assert result.state == "SUCCESS" and result.result == "failed"
    song.refresh_from_db()
    audio.refresh_from_db()
    assert song.audio_status == AudioStatus.FAILED
    assert audio.failure_reason.startswith("The audio cannot be decoded")
    assert af.files_under(Path(settings.MEDIA_ROOT) / "audio") == [
        audio.original.removeprefix("audio/")
    ]


class FlakyStorage:
    """``upload_folder`` that fails with EIO ``failures`` times, then works."""

    def __init__(self, failures: int) -> None:
        self.failures, self.calls = failures, 0
        self.real = files.upload_folder

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            raise OSError(errno.EIO, "Input/output error")
        return self.real(*args, **kwargs)


def test_a_storage_outage_is_retried_until_it_passes(pending, monkeypatch):
    song, audio = pending
    storage = FlakyStorage(failures=2)
    monkeypatch.setattr(audio_services.files, "upload_folder", storage)

    # Eagerly applied, Celery runs the retries at once (the countdown is for real workers).
    result = audio_process.apply(kwargs={"song_id": song.pk, "generation": audio.generation})

    assert result.get() == "ready" and storage.calls == 3
    song.refresh_from_db()
    assert song.audio_status == AudioStatus.READY


def test_when_retries_run_out_the_song_fails_clearly(pending, monkeypatch):
    song, audio = pending
    storage = FlakyStorage(failures=100)
    monkeypatch.setattr(audio_services.files, "upload_folder", storage)
    # Two tries instead of the AUDIO_MAX_RETRIES + 1 of production: every try transcodes.
    assert audio_process.max_retries == AUDIO_MAX_RETRIES
    monkeypatch.setattr(audio_process, "max_retries", 1)

    result = audio_process.apply(kwargs={"song_id": song.pk, "generation": audio.generation})

    assert result.state == "FAILURE"
    assert storage.calls == 2
    song.refresh_from_db()
    assert song.audio_status == AudioStatus.FAILED
    assert "storage stayed unavailable" in SongAudio.objects.get(song=song).failure_reason


def test_a_deleted_song_leaves_the_task_nothing_to_do(pending, django_capture_on_commit_callbacks):
    song, audio = pending
    with django_capture_on_commit_callbacks(execute=True):
        song.delete()

    result = audio_process.apply(kwargs={"song_id": song.pk, "generation": audio.generation})

    assert result.result == "obsolete"
    assert af.files_under(Path(settings.MEDIA_ROOT) / "audio") == []


@pytest.mark.parametrize(
    "error, temporary",
    [
        (OSError(errno.EIO, "io"), True),
        (OSError(errno.ENOSPC, "full"), True),
        (TimeoutError(), True),
        (EndpointConnectionError(endpoint_url="http://minio:9000"), True),
        (FileNotFoundError(errno.ENOENT, "gone"), False),
        (PermissionError(errno.EACCES, "no"), False),
        (ValueError("bug"), False),
    ],
)
def test_which_errors_are_temporary(error, temporary):
    assert files.is_temporary_storage_error(error) is temporary
