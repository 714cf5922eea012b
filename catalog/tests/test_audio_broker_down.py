"""The broker is down when an upload or a re-process is queued (at commit): the caller gets a
503 and the song is not left "processing" with no task to ever finish it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from catalog.audio.services import (
    QUEUE_DOWN_REASON,
    song_audio_process,
    song_audio_reprocess,
    song_audio_upload,
)
from catalog.models import AudioStatus, Song, SongAudio, SongAudioRendition
from catalog.tests import audio_fixtures as af
from catalog.tests.factories import SongFactory
from common.errors import ServiceUnavailable

# Real commits: the enqueue (and its failure) happens inside the request, as in production.
pytestmark = pytest.mark.django_db(transaction=True)


def media_files() -> list[str]:
    return af.files_under(Path(settings.MEDIA_ROOT))


def test_an_upload_the_queue_cannot_take_is_503_and_fails_clearly(cast, client_for, broker_down):
    song = SongFactory(artist=cast.artist, duration_ms=None)
    owner = client_for(cast.owner)
    owner.raise_request_exception = False  # answer the 503 as a server would

    response = owner.put(
        f"/api/v1/songs/{song.pk}/audio/",
        {"audio": af.upload(af.audio_file("wav", 2.0), "take.wav")},
        format="multipart",
    )

    assert response.status_code == 503, response.content
    assert response.json()["errors"][0]["code"] == "service_unavailable"
    song.refresh_from_db()
    assert song.audio_status == AudioStatus.FAILED  # not "processing" forever
    audio = owner.get(f"/api/v1/songs/{song.pk}/").json()["audio"]
    assert audio["status"] == "failed" and audio["streams"] is None
    assert audio["failure_reason"] == QUEUE_DOWN_REASON
    # The checked original is kept for a re-process; nothing else was written.
    stored = SongAudio.objects.get(song=song)
    assert media_files() == [stored.original]
    assert not SongAudioRendition.objects.filter(audio=stored).exists()

    # A staff re-process while the broker is still down: still failed, for the same reason.
    with pytest.raises(ServiceUnavailable):
        song_audio_reprocess(song_id=song.pk)
    assert Song.objects.get(pk=song.pk).audio_status == AudioStatus.FAILED
    assert SongAudio.objects.get(song=song).failure_reason == QUEUE_DOWN_REASON

    # The kept original still makes every rendition once a run gets to it.
    generation = SongAudio.objects.get(song=song).generation
    assert song_audio_process(song_id=song.pk, generation=generation) == "ready"
    assert Song.objects.get(pk=song.pk).audio_status == AudioStatus.READY


def test_a_reprocess_the_queue_cannot_take_leaves_a_ready_song_as_it_was(
    content, cast, client_for, broker_down
):
    song = content.public_song
    upload = af.upload(af.audio_file("wav", 2.0), "take.wav")
    song_audio_upload(user=cast.owner, song=song, upload=upload, enqueue=False)  # no broker
    before = SongAudio.objects.get(song=song)
    assert song_audio_process(song_id=song.pk, generation=before.generation) == "ready"
    before.refresh_from_db()
    renditions = sorted(SongAudioRendition.objects.values_list("pk", "generation", "folder"))
    files_before = media_files()

    with pytest.raises(ServiceUnavailable):
        song_audio_reprocess(song_id=song.pk)

    after = SongAudio.objects.get(song=song)
    assert Song.objects.get(pk=song.pk).audio_status == AudioStatus.READY
    assert (after.generation, after.task_id, after.failure_reason, after.processed_at) == (
        before.generation,
        before.task_id,
        "",
        before.processed_at,
    )
    assert (after.loudness_lufs, after.waveform) == (before.loudness_lufs, before.waveform)
    assert sorted(SongAudioRendition.objects.values_list("pk", "generation", "folder")) == (
        renditions
    )
    assert media_files() == files_before
    streams = client_for(cast.listener).get(f"/api/v1/songs/{song.pk}/").json()["audio"]
    assert streams["status"] == "ready"
    assert client_for(None).get(streams["streams"]["medium"]).status_code == 200
