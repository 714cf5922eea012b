"""Audio end to end with the S3 storage backend against a real S3-compatible HTTP server
(moto's server mode, started as its own process; MinIO cannot be installed here): upload,
process, stream (302 to a presigned object URL, ranges served by S3), HLS played over HTTP
by PyAV, and deletion removing every object. Skipped, with the reason, when the server
cannot start."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from catalog.audio.services import song_audio_delete, song_audio_process, song_audio_upload
from catalog.audio.streaming import signed_url
from catalog.models import AudioStatus, SongAudio, SongAudioRendition
from catalog.tests import audio_fixtures as af
from catalog.tests.factories import SongFactory

BUCKET = "media"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """The URL of a moto S3 server of our own, for this module."""
    try:
        import boto3
        import moto.server  # noqa: F401 - only to know it is installed
    except ImportError as exc:
        pytest.skip(f"moto's server is not installed: {exc}")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except (OSError, urllib.error.URLError):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.skip(f"the moto S3 server did not start on {url}")
                time.sleep(0.1)
        boto3.client(
            "s3",
            endpoint_url=url,
            aws_access_key_id="test",
            aws_secret_access_key="test-secret",
            region_name="us-east-1",
        ).create_bucket(Bucket=BUCKET)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def s3_storage(s3_endpoint, settings):
    """The default storage is S3 on that server (as with AWS_STORAGE_BUCKET_NAME set)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "access_key": "test",
                "secret_key": "test-secret",
                "region_name": "us-east-1",
                "querystring_auth": False,
            },
        },
    }
    yield s3_endpoint


def bucket_keys(endpoint: str) -> list[str]:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test-secret",
        region_name="us-east-1",
    )
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_upload_is_processed_and_streamed_from_s3(
    s3_storage, live_server, cast, client_for, tmp_path
):
    song = SongFactory(artist=cast.artist, duration_ms=None)
    seconds = 7.0
    upload = af.upload(af.audio_file("flac", seconds), "take.flac")
    song_audio_upload(user=cast.owner, song=song, upload=upload, enqueue=False)
    audio = SongAudio.objects.get(song=song)
    assert bucket_keys(s3_storage) == [audio.original]  # the original went to S3

    assert song_audio_process(song_id=song.pk, generation=audio.generation) == "ready"

    song.refresh_from_db()
    assert song.audio_status == AudioStatus.READY
    keys = bucket_keys(s3_storage)
    prefix = f"audio/{song.pk}/{audio.generation}/"
    assert {k.split("/")[3] for k in keys if k.startswith(prefix)} == {
        "low",
        "medium",
        "high",
        "hls",
    }
    assert all(k.startswith(prefix) or k == audio.original for k in keys), keys

    # The signed URL redirects to a presigned object URL; S3 itself serves ranges.
    streams = client_for(cast.listener).get(f"/api/v1/songs/{song.pk}/").json()["audio"]["streams"]
    redirect = client_for(None).get(streams["medium"])
    assert redirect.status_code == 302
    location = redirect["Location"]
    assert location.startswith(f"{s3_storage}/{BUCKET}/{prefix}medium/medium.mp3?")
    ranged = urllib.request.Request(location, headers={"Range": "bytes=0-99"})
    with urllib.request.urlopen(ranged, timeout=10) as response:
        assert response.status == 206 and len(response.read()) == 100
    with urllib.request.urlopen(location, timeout=10) as response:
        (tmp_path / "medium.mp3").write_bytes(response.read())
    decoded = af.decode(tmp_path / "medium.mp3")
    assert decoded.codec == "mp3float" and abs(decoded.seconds - seconds) <= 0.1
    # (moto does not check signatures, so a tampered presigned URL is not tested here.)

    # A player opens the master playlist from our server: playlists come from Django (their
    # relative URIs resolve against the signed prefix), segments redirect to S3.
    hls = SongAudioRendition.objects.get(audio__song=song, quality="hls")
    decoded = af.decode(live_server.url + signed_url(hls))
    assert decoded.codec == "aac" and abs(decoded.seconds - seconds) <= 0.1

    # Deleting the audio removes every object of the song.
    song_audio_delete(user=cast.owner, song=song)
    assert bucket_keys(s3_storage) == []
