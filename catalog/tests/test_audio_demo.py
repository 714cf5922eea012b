"""Demo audio: synthesised music, processed in-process, idempotent."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.db import transaction

from catalog.audio.demo import DEMO_SECONDS, seed_demo_audio, synthesize
from catalog.models import AudioStatus, SongAudio
from catalog.tests.factories import SongFactory
from users.tests.factories import EditorFactory

# Transactional: the replaced-file clean-up and on-commit work run as in `make run`.
pytestmark = pytest.mark.django_db(transaction=True)


def test_synthesised_music_is_deterministic_and_not_silent():
    first, again, other = synthesize(1, 4.0), synthesize(1, 4.0), synthesize(2, 4.0)
    assert first.shape == (2, 4 * 44_100)
    assert (first == again).all() and not (first == other).all()
    assert 0.5 < abs(first).max() <= 0.9


@pytest.mark.slow
def test_demo_songs_get_playable_audio_once(cast):
    songs = SongFactory.create_batch(2, artist=cast.artist)
    editor = EditorFactory()

    assert seed_demo_audio(songs=songs, uploader=editor) == 2
    for song in songs:
        song.refresh_from_db()
    assert seed_demo_audio(songs=songs, uploader=editor) == 0

    for song in songs:
        audio = SongAudio.objects.get(song=song)
        assert song.audio_status == AudioStatus.READY
        assert abs(song.duration_ms - DEMO_SECONDS * 1000) <= 100
        assert -30 < audio.loudness_lufs < -5  # music, at a sensible level
        assert {r.quality for r in audio.renditions.all()} == {"low", "medium", "high", "hls"}


@pytest.mark.slow
def test_a_pool_gives_each_song_its_own_files_and_rows(cast):
    songs = SongFactory.create_batch(3, artist=cast.artist)
    editor = EditorFactory()

    assert seed_demo_audio(songs=songs, uploader=editor, workers=2) == 3

    originals, renditions = set(), set()
    for song in songs:
        song.refresh_from_db()
        audio = SongAudio.objects.get(song=song)
        assert song.audio_status == AudioStatus.READY
        assert audio.original.startswith(f"audio/{song.pk}/")
        originals.add(default_storage.open(audio.original).read())
        medium = audio.renditions.get(quality="medium")
        renditions.add(default_storage.open(f"{medium.folder}/{medium.entry}").read())
    assert len(originals) == len(renditions) == 3


@pytest.mark.slow
def test_songs_of_an_open_transaction_are_processed_here(cast):
    editor = EditorFactory()
    with transaction.atomic():  # a pool's processes would not see these songs
        songs = SongFactory.create_batch(2, artist=cast.artist)
        assert seed_demo_audio(songs=songs, uploader=editor, workers=2) == 2
    assert set(SongAudio.objects.values_list("song__audio_status", flat=True)) == {
        AudioStatus.READY
    }
