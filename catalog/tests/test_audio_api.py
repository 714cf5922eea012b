"""Audio through the API: upload (each format, a real worker), permissions, the ``audio``
block and its streams, stream links, waveform, delete, and bad input leaving nothing."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from celery import current_app
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from catalog.audio.services import song_audio_fail
from catalog.models import AudioStatus, Song, SongAudio, SongAudioRendition
from catalog.tests import audio_fixtures as af
from catalog.tests.factories import SongFactory
from common.tasks import queue_name

SIGNED = re.compile(
    r"^http://testserver/api/v1/stream/(\d+)/([pi])/(\d+)/([A-Za-z0-9_-]{43})/(.+)$"
)


@pytest.fixture(autouse=True)
def _no_stray_messages():
    yield
    af.purge_media_queue()


@pytest.fixture
def ready(django_capture_on_commit_callbacks):
    """``ready(song, data=None)``: give the song processed audio (3 s of WAV by default)."""

    def make(song, data: bytes | None = None):
        return af.give_audio(
            song, data or af.audio_file("wav", 3.0), capture=django_capture_on_commit_callbacks
        )

    return make


def media_files() -> list[str]:
    return af.files_under(Path(settings.MEDIA_ROOT) / "audio")


def put_audio(client, song, data: bytes, name: str = "take.mp3"):
    return client.put(
        f"/api/v1/songs/{song.pk}/audio/",
        {"audio": af.upload(data, name)},
        format="multipart",
    )


def assert_error(response, status: int, code: str, attr: str | None = "audio") -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["type"] == ("validation_error" if status == 400 else "client_error")
    assert [(e["code"], e["attr"]) for e in body["errors"]] == [(code, attr)], body


# --- a real worker, end to end ----------------------------------------------------------------


@pytest.fixture
def worker():
    af.purge_media_queue()
    with start_worker(
        current_app,
        pool="solo",
        perform_ping_check=False,
        queues=[queue_name("media")],
        loglevel="WARNING",
    ):
        yield


def wait_for_status(song: Song, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        song.refresh_from_db()
        if song.audio_status not in (AudioStatus.PROCESSING, AudioStatus.NONE):
            return song.audio_status
        time.sleep(0.2)
    return song.audio_status


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", sorted(af.FORMATS))
def test_an_upload_in_each_format_becomes_playable_through_a_real_worker(
    worker, cast, client_for, tmp_path, fmt
):
    song = SongFactory(artist=cast.artist, duration_ms=None)

    response = client_for(cast.owner).put(
        f"/api/v1/songs/{song.pk}/audio/",
        {"audio": af.upload_of(fmt, 4.0)},
        format="multipart",
    )

    assert response.status_code == 202, response.content
    body = response.json()
    assert body == {"status": "processing", "task_id": body["task_id"]}
    assert SongAudio.objects.get(song=song).task_id == body["task_id"]
    assert wait_for_status(song) == AudioStatus.READY
    detail = client_for(cast.listener).get(f"/api/v1/songs/{song.pk}/").json()
    audio = detail["audio"]
    streams = audio.pop("streams")
    assert audio == {
        "status": "ready",
        "duration_ms": song.duration_ms,
        "loudness_lufs": SongAudio.objects.get(song=song).loudness_lufs,
        "replay_gain_db": SongAudio.objects.get(song=song).replay_gain_db,
    }
    assert abs(song.duration_ms - 4000) <= 100
    assert set(streams) == {"low", "medium", "high", "hls"}
    assert all(SIGNED.match(url) for url in streams.values()), streams
    medium = client_for(None).get(streams["medium"])
    assert medium.status_code == 200
    assert medium["Content-Type"] == "audio/mpeg"
    (tmp_path / "medium.mp3").write_bytes(b"".join(medium.streaming_content))
    decoded = af.decode(tmp_path / "medium.mp3")
    assert decoded.codec == "mp3float" and abs(decoded.seconds - 4.0) <= 0.1


# --- who may upload and delete ----------------------------------------------------------------

UPLOAD_STATUS = {  # role -> (public song, private song, hidden song)
    "anonymous": (401, 401, 401),
    "listener": (403, 404, 404),
    "other_artist_user": (403, 404, 404),
    "owner": (202, 202, 202),
    "editor": (202, 202, 202),
    "admin": (202, 202, 202),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(UPLOAD_STATUS))
@pytest.mark.parametrize("which", ["public_song", "private_song", "hidden_song"])
def test_who_may_upload(content, cast, client_for, role, which):
    song = getattr(content, which)
    expected = UPLOAD_STATUS[role][["public_song", "private_song", "hidden_song"].index(which)]

    response = put_audio(client_for(cast.by_role(role)), song, af.audio_file("wav", 1.5))

    assert response.status_code == expected, response.content
    if expected == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
    stored = SongAudio.objects.filter(song=song).exists()
    assert stored == (expected == 202)
    assert bool(media_files()) == (expected == 202)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, expected",
    [("anonymous", 401), ("listener", 403), ("other_artist_user", 403), ("owner", 204)],
)
def test_who_may_delete(
    content, cast, client_for, ready, django_capture_on_commit_callbacks, role, expected
):
    song = content.public_song
    ready(song)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.by_role(role)).delete(f"/api/v1/songs/{song.pk}/audio/")

    assert response.status_code == expected, response.content
    song.refresh_from_db()
    if expected == 204:
        assert song.audio_status == AudioStatus.NONE
        assert not SongAudio.objects.filter(song=song).exists()
        assert not SongAudioRendition.objects.exists()
        assert media_files() == []
    else:
        assert song.audio_status == AudioStatus.READY
        assert media_files() != []


@pytest.mark.django_db
def test_deleting_the_song_removes_its_files(
    content, cast, client_for, ready, django_capture_on_commit_callbacks
):
    song = content.public_song
    ready(song)
    assert media_files()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.owner).delete(f"/api/v1/songs/{song.pk}/")

    assert response.status_code == 204
    assert media_files() == []


# --- the audio block and its streams ----------------------------------------------------------


@pytest.mark.django_db
def test_streams_only_for_callers_who_may_see_the_song(content, cast, client_for, ready):
    ready(content.public_song)
    ready(content.private_song)

    public = client_for(None).get(f"/api/v1/songs/{content.public_song.pk}/").json()["audio"]
    owner_private = client_for(cast.owner).get(f"/api/v1/songs/{content.private_song.pk}/")
    listener_private = client_for(cast.listener).get(f"/api/v1/songs/{content.private_song.pk}/")

    assert public["status"] == "ready" and set(public["streams"]) == {
        "low",
        "medium",
        "high",
        "hls",
    }
    private_link = owner_private.json()["audio"]["streams"]["medium"]
    assert SIGNED.match(private_link).group(2) == "i"  # an insider's link to a private song
    assert client_for(None).get(private_link).status_code == 200
    public_link = public["streams"]["medium"]
    assert SIGNED.match(public_link).group(2) == "p"
    assert listener_private.status_code == 404
    for who in (None, cast.listener):
        link = client_for(who).get(f"/api/v1/songs/{content.private_song.pk}/stream/")
        assert link.status_code == 404


@pytest.mark.django_db
def test_lists_carry_the_status_without_signing(content, cast, client_for, ready):
    ready(content.public_song)

    results = client_for(cast.listener).get("/api/v1/songs/").json()["results"]

    by_id = {song["id"]: song["audio"] for song in results}
    assert by_id[content.public_song.pk] == {
        "status": "ready",
        "duration_ms": Song.objects.get(pk=content.public_song.pk).duration_ms,
    }
    assert all(set(audio) == {"status", "duration_ms"} for audio in by_id.values())


@pytest.mark.django_db
def test_a_song_without_audio(content, client_for):
    body = client_for(None).get(f"/api/v1/songs/{content.public_song.pk}/").json()
    assert body["audio"] == {
        "status": "none",
        "duration_ms": content.public_song.duration_ms,
        "loudness_lufs": None,
        "replay_gain_db": None,
        "streams": None,
    }
    assert (
        client_for(None).get(f"/api/v1/songs/{content.public_song.pk}/stream/").status_code == 404
    )
    assert (
        client_for(None).get(f"/api/v1/songs/{content.public_song.pk}/waveform/").status_code == 404
    )


@pytest.mark.django_db
def test_a_song_hidden_after_signing_is_no_longer_offered(content, cast, client_for, ready):
    song = content.public_song
    ready(song)
    listener = client_for(cast.listener)
    assert listener.get(f"/api/v1/songs/{song.pk}/").json()["audio"]["streams"]["hls"]
    old_link = listener.get(f"/api/v1/songs/{song.pk}/stream/")["Location"]
    assert listener.get(old_link).status_code == 200

    response = client_for(cast.editor).patch(
        f"/api/v1/songs/{song.pk}/", {"is_visible": False}, format="json"
    )
    assert response.status_code == 200, response.content

    assert listener.get(f"/api/v1/songs/{song.pk}/").status_code == 404
    assert listener.get(f"/api/v1/songs/{song.pk}/stream/").status_code == 404
    assert listener.get(old_link).status_code == 404  # a public link stops at once
    assert listener.get(f"/api/v1/songs/{song.pk}/waveform/").status_code == 404
    assert all(s["id"] != song.pk for s in listener.get("/api/v1/songs/").json()["results"])
    # Staff still get it, through an insider's link.
    staff_link = client_for(cast.editor).get(f"/api/v1/songs/{song.pk}/stream/")
    assert staff_link.status_code == 302 and SIGNED.match(staff_link["Location"]).group(2) == "i"
    assert client_for(None).get(staff_link["Location"]).status_code == 200


@pytest.mark.django_db
def test_the_uploader_sees_why_processing_failed(
    content, cast, client_for, django_capture_on_commit_callbacks
):
    song = content.public_song
    audio = af.give_audio(
        song, af.audio_file("wav", 2.0), process=False, capture=django_capture_on_commit_callbacks
    )
    song_audio_fail(song_id=song.pk, generation=audio.generation, reason="The encoder gave up.")

    for_owner = client_for(cast.owner).get(f"/api/v1/songs/{song.pk}/").json()["audio"]
    for_listener = client_for(cast.listener).get(f"/api/v1/songs/{song.pk}/").json()["audio"]

    assert for_owner["status"] == "failed"
    assert for_owner["failure_reason"] == "The encoder gave up."
    assert for_owner["streams"] is None
    assert "failure_reason" not in for_listener and for_listener["status"] == "failed"


# --- the stream link and the waveform ---------------------------------------------------------


@pytest.mark.django_db
def test_stream_link_redirects_to_a_fresh_signed_url(content, client_for, ready):
    song = content.public_song
    ready(song)
    client = client_for(None)

    response = client.get(f"/api/v1/songs/{song.pk}/stream/?quality=low")

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    location = response["Location"]
    assert response.json() == {"url": location}
    rendition_id = int(SIGNED.match(location).group(1))
    assert SongAudioRendition.objects.get(pk=rendition_id).quality == "low"
    played = client.get(location)
    assert played.status_code == 200 and played["Content-Type"] == "audio/mpeg"
    hls = client.get(f"/api/v1/songs/{song.pk}/stream/?quality=hls")["Location"]
    assert hls.endswith("/master.m3u8")
    default = client.get(f"/api/v1/songs/{song.pk}/stream/")["Location"]
    assert default.endswith("/medium.mp3")


@pytest.mark.django_db
def test_high_falls_back_to_medium_for_a_128_kbps_upload(content, client_for, ready):
    song = content.public_song
    mp3_128 = af.Format("mp3", "mp3", "mp3", "libmp3lame", 44_100, 128_000, "audio/mpeg")
    ready(song, af.encode(af.music(3.0), mp3_128))

    detail = client_for(None).get(f"/api/v1/songs/{song.pk}/").json()
    response = client_for(None).get(f"/api/v1/songs/{song.pk}/stream/?quality=high")

    assert detail["audio"]["streams"]["high"] is None
    assert response["Location"].endswith("/medium.mp3")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, attr, code",
    [
        ("quality=ultra", "quality", "invalid_choice"),
        ("quality=", "quality", "blank"),
        ("quality=low&quality=high", "quality", "multiple_values"),
        ("bitrate=320", "bitrate", "unknown_parameter"),
    ],
)
def test_stream_link_query_is_validated(content, client_for, ready, query, attr, code):
    ready(content.public_song)
    response = client_for(None).get(f"/api/v1/songs/{content.public_song.pk}/stream/?{query}")
    assert_error(response, 400, code, attr)


@pytest.mark.django_db
def test_waveform(content, client_for, ready):
    song = content.public_song
    ready(song)

    response = client_for(None).get(f"/api/v1/songs/{song.pk}/waveform/")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "duration_ms": SongAudio.objects.get(song=song).duration_ms,
        "peaks": body["peaks"],
    }
    assert len(body["peaks"]) == 200 and all(0 <= p <= 1 for p in body["peaks"])
    assert_error(
        client_for(None).get(f"/api/v1/songs/{song.pk}/waveform/?points=50"),
        400,
        "unknown_parameter",
        "points",
    )


# --- replacing audio --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_upload_replaces_the_old_one_without_mixing(
    content, cast, client_for, ready, django_capture_on_commit_callbacks
):
    from catalog.audio.services import song_audio_process

    song = content.public_song
    ready(song, af.audio_file("wav", 3.0))
    listener = client_for(cast.listener)
    old_streams = listener.get(f"/api/v1/songs/{song.pk}/").json()["audio"]["streams"]

    with django_capture_on_commit_callbacks(execute=True):
        response = put_audio(client_for(cast.owner), song, af.audio_file("flac", 2.0))
    assert response.status_code == 202

    during = listener.get(f"/api/v1/songs/{song.pk}/").json()["audio"]
    assert during["status"] == "processing" and during["streams"] is None
    assert abs(during["duration_ms"] - 2000) <= 100
    assert listener.get(old_streams["low"]).status_code == 200  # links handed out still play

    generation = SongAudio.objects.get(song=song).generation
    with django_capture_on_commit_callbacks(execute=True):
        song_audio_process(song_id=song.pk, generation=generation)

    new_streams = listener.get(f"/api/v1/songs/{song.pk}/").json()["audio"]["streams"]
    assert set(new_streams) == set(old_streams)
    assert all(new_streams[q] != old_streams[q] for q in old_streams)
    assert listener.get(old_streams["low"]).status_code == 404  # the old files are gone
    assert {r.generation for r in SongAudioRendition.objects.filter(audio__song=song)} == {
        generation
    }
    folders = {f.split("/")[1] for f in media_files()}
    assert folders == {"originals", generation}


# --- bad input leaves nothing -----------------------------------------------------------------

BAD_UPLOADS = {
    "text named .mp3": (lambda: b"ID3 this is not audio\n" * 50, 400, "invalid_audio"),
    "zero-length": (lambda: b"", 400, "invalid_audio"),
    "truncated mp3": (af.truncated_mp3, 400, "decode_error"),
    "broken frame in the middle": (af.mp3_with_broken_frame, 400, "decode_error"),
    "no audio stream": (af.video_without_audio, 400, "no_audio_stream"),
    "half a second": (lambda: af.audio_file("wav", 0.5), 400, "too_short"),
    "too long": (lambda: af.audio_file("mp3", 3.0), 400, "too_long"),
    "too large": (lambda: af.audio_file("wav", 2.0), 413, "request_too_large"),
    "too large, caught while streaming": (
        lambda: af.audio_file("wav", 1.2),
        413,
        "request_too_large",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_bad_input_leaves_nothing_half_written(content, cast, client_for, ready, settings, case):
    make, status, code = BAD_UPLOADS[case]
    fresh = content.private_song
    replaced = content.public_song
    ready(replaced)
    before = (SongAudio.objects.get(song=replaced).generation, media_files())
    if case == "too long":
        settings.AUDIO_MAX_SECONDS = 2
    if case == "too large":
        settings.AUDIO_MAX_BYTES = 100_000  # refused from Content-Length, before reading
    if case == "too large, caught while streaming":
        settings.AUDIO_MAX_BYTES = 150_000  # the body fits the envelope; the file does not
    data = make()
    owner = client_for(cast.owner)

    for song in (fresh, replaced):
        response = put_audio(owner, song, data, "take.mp3")
        assert_error(response, status, code, "audio" if status == 400 else None)

    assert not SongAudio.objects.filter(song=fresh).exists()
    fresh_song = Song.objects.get(pk=fresh.pk)
    assert (fresh_song.audio_status, fresh_song.duration_ms) == ("none", fresh.duration_ms)
    # The song that had audio keeps it, whole.
    assert Song.objects.get(pk=replaced.pk).audio_status == AudioStatus.READY
    assert (SongAudio.objects.get(song=replaced).generation, media_files()) == before
