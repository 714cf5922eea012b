"""The song admin's audio panel (status, duration, loudness, a player) and re-processing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import AudioStatus, SongAudio
from catalog.tests import audio_fixtures as af
from catalog.tests.factories import SongFactory
from users.tests.factories import EditorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_stray_messages():
    yield
    af.purge_media_queue()


@pytest.fixture
def editor_client(client):
    client.force_login(EditorFactory())
    return client


def test_the_song_page_shows_the_audio_and_a_player(
    editor_client, cast, django_capture_on_commit_callbacks
):
    song = SongFactory(artist=cast.artist)
    audio = af.give_audio(
        song, af.audio_file("wav", 2.0), capture=django_capture_on_commit_callbacks
    )

    page = editor_client.get(reverse("admin:catalog_song_change", args=[song.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert f"{audio.loudness_lufs} LUFS" in html
    assert "0:02" in html and "Ready" in html
    assert '<audio controls preload="none" src="/api/v1/stream/' in html
    assert "/medium.mp3" in html
    listing = editor_client.get(reverse("admin:catalog_song_changelist") + "?audio_status=ready")
    assert song.title in listing.content.decode()


def test_a_failed_upload_shows_why(editor_client, cast, django_capture_on_commit_callbacks):
    from catalog.audio.services import song_audio_fail

    song = SongFactory(artist=cast.artist)
    audio = af.give_audio(
        song, af.audio_file("wav", 2.0), process=False, capture=django_capture_on_commit_callbacks
    )
    song_audio_fail(song_id=song.pk, generation=audio.generation, reason="Disk on fire.")

    html = editor_client.get(reverse("admin:catalog_song_change", args=[song.pk])).content.decode()

    assert "Disk on fire." in html and "<audio" not in html


def test_reprocess_action_starts_a_new_run(editor_client, cast, django_capture_on_commit_callbacks):
    from catalog.audio.services import song_audio_process

    song = SongFactory(artist=cast.artist)
    without_audio = SongFactory(artist=cast.artist)
    first = af.give_audio(
        song, af.audio_file("wav", 2.0), capture=django_capture_on_commit_callbacks
    ).generation

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            reverse("admin:catalog_song_changelist"),
            {"action": "reprocess_audio", "_selected_action": [song.pk, without_audio.pk]},
            follow=True,
        )

    assert "Re-processing queued for 1 song(s)." in response.content.decode()
    song.refresh_from_db()
    audio = SongAudio.objects.get(song=song)
    assert song.audio_status == AudioStatus.PROCESSING and audio.generation != first
    with django_capture_on_commit_callbacks(execute=True):
        assert song_audio_process(song_id=song.pk, generation=audio.generation) == "ready"
    assert {r.generation for r in audio.renditions.all()} == {audio.generation}
