"""Serving signed stream URLs: byte ranges, signatures and expiry, HEAD, X-Accel-Redirect, and
HLS played over HTTP by PyAV as a player would (a live server, no headers of ours)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from django.conf import settings

from catalog.audio.streaming import SIGNATURE_STEP, parse_range, signed_url
from catalog.models import SongAudioRendition
from catalog.tests import audio_fixtures as af
from catalog.tests.factories import SongFactory
from common import signing

URL = re.compile(r"^(.*/stream/)(\d+)/([pi])/(\d+)/([^/]+)/(.+)$")


@pytest.fixture(autouse=True)
def _no_stray_messages():
    yield
    af.purge_media_queue()


@pytest.fixture
def song(cast):
    return SongFactory(artist=cast.artist)


@pytest.fixture
def rendition(song, django_capture_on_commit_callbacks):
    """The 128 kbps MP3 of a processed 3-second song, and its bytes on disk."""
    af.give_audio(song, af.audio_file("wav", 3.0), capture=django_capture_on_commit_callbacks)
    medium = SongAudioRendition.objects.get(audio__song=song, quality="medium")
    data = (Path(settings.MEDIA_ROOT) / medium.folder / medium.entry).read_bytes()
    return medium, data


def get(client, url: str, **headers):
    return client.get(url, headers=headers)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- ranges -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_whole_file(client, rendition):
    medium, data = rendition
    response = get(client, signed_url(medium))
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "audio/mpeg"
    assert int(response["Content-Length"]) == len(data)
    assert "Content-Range" not in response
    assert response.streaming  # a streamed file, not a body built in memory
    assert body(response) == data


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header, start, end",
    [
        ("bytes=0-99", 0, 99),  # the first bytes (a player probing the header)
        ("bytes=1000-1999", 1000, 1999),  # the middle (a seek)
        ("bytes=1000-", 1000, None),  # from an offset to the end
        ("bytes=-500", -500, None),  # a suffix: the last 500 bytes
        ("bytes=10-99999999", 10, None),  # an end past the end is the last byte
    ],
)
def test_ranges(client, rendition, header, start, end):
    medium, data = rendition
    size = len(data)
    first = start if start >= 0 else size + start
    last = size - 1 if end is None else end

    response = get(client, signed_url(medium), Range=header)

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{size}"
    assert int(response["Content-Length"]) == last - first + 1
    assert body(response) == data[first : last + 1]


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["bytes={size}-", "bytes={size}-{more}", "bytes=-0"])
def test_a_range_past_the_end_is_416(client, rendition, header):
    medium, data = rendition
    size = len(data)

    response = get(client, signed_url(medium), Range=header.format(size=size, more=size + 10))

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{size}"
    assert response.json() == {
        "type": "client_error",
        "errors": [
            {
                "code": "range_not_satisfiable",
                "detail": "The range starts past the end.",
                "attr": None,
            }
        ],
    }


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["bytes=0-9,20-29", "items=0-9", "bytes=9-0", "bytes=abc"])
def test_ranges_we_ignore_send_the_whole_file(client, rendition, header):
    medium, data = rendition
    response = get(client, signed_url(medium), Range=header)
    assert response.status_code == 200
    assert body(response) == data


@pytest.mark.django_db
def test_if_range_with_a_stale_validator_sends_the_whole_file(client, rendition):
    medium, data = rendition
    url = signed_url(medium)
    etag = get(client, url)["ETag"]

    fresh = get(client, url, Range="bytes=0-9", **{"If-Range": etag})
    stale = get(client, url, Range="bytes=0-9", **{"If-Range": '"something-else"'})

    assert fresh.status_code == 206 and body(fresh) == data[:10]
    assert stale.status_code == 200 and body(stale) == data


@pytest.mark.django_db
def test_head_sends_headers_only(client, rendition):
    medium, data = rendition
    response = client.head(signed_url(medium), headers={"Range": "bytes=0-9"})
    assert response.status_code == 206
    assert response["Content-Length"] == "10"
    assert response.content == b""


@pytest.mark.django_db
def test_only_get_and_head(client, rendition):
    medium, _ = rendition
    response = client.post(signed_url(medium))
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response.json()["errors"][0]["code"] == "method_not_allowed"


def test_parse_range_edge_cases():
    assert parse_range(None, 100) is None
    assert parse_range("bytes=-200", 100) == (0, 99)  # a suffix longer than the file
    assert parse_range("bytes=99-", 100) == (99, 99)
    assert parse_range(" bytes=0-0 ", 100) == (0, 0)


# --- signatures -------------------------------------------------------------------------------


def tampered(url: str, part: int, value: str) -> str:
    pieces = list(URL.match(url).groups())
    pieces[part] = value
    return "".join(f"{p}/" if i in (1, 2, 3, 4) else p for i, p in enumerate(pieces))


@pytest.mark.django_db
def test_signature_tampering_is_403(client, rendition, song):
    medium, _ = rendition
    url = signed_url(medium)
    prefix, rendition_id, audience, expires, signature, name = URL.match(url).groups()
    other = SongAudioRendition.objects.get(audio__song=song, quality="low")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]

    for bad in (
        tampered(url, 4, flipped),  # a changed signature
        tampered(url, 3, str(int(expires) + 3600)),  # a later expiry
        tampered(url, 1, str(other.pk)),  # another rendition with this signature
        tampered(url, 2, "i"),  # a public link passed off as an insider's
        tampered(url, 4, signature[:-1]),  # a truncated signature
        tampered(url, 4, "é" * 43),
    ):
        response = client.get(bad)
        assert response.status_code == 403, bad
        assert response.json()["errors"][0]["code"] == "invalid_signature"


@pytest.mark.django_db
def test_an_expired_link_is_403(client, rendition, settings):
    medium, _ = rendition
    url = signed_url(medium, now=time.time() - settings.STREAM_URL_TTL - SIGNATURE_STEP - 1)

    response = client.get(url)

    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "expired_signature"


@pytest.mark.django_db
def test_paths_outside_the_rendition_are_not_served(client, rendition):
    medium, _ = rendition
    url = signed_url(medium)
    for name in ("../low/low.mp3", "medium.wav", "%2e%2e/x.mp3", "a/b/c.ts"):
        assert client.get(tampered(url, 5, name)).status_code == 404, name


def test_signing_verifies_and_rotates_keys(settings):
    signed = signing.sign("audio/7/", ttl=60)
    signing.verify("audio/7/", expires=signed.expires, signature=signed.signature)
    with pytest.raises(signing.BadSignature):
        signing.verify("audio/8/", expires=signed.expires, signature=signed.signature)
    with pytest.raises(signing.BadSignature):
        signing.verify("audio/7/", expires=signed.expires, signature=signed.signature, purpose="x")
    with pytest.raises(signing.SignatureExpired):
        signing.verify(
            "audio/7/", expires=signed.expires, signature=signed.signature, now=signed.expires + 1
        )
    rounded = signing.sign("audio/7/", ttl=60, now=1000, step=300)
    assert rounded.expires == 1200 and rounded == signing.sign(
        "audio/7/", ttl=60, now=1139, step=300
    )
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" + "x" * 50, [old_key]
    signing.verify("audio/7/", expires=signed.expires, signature=signed.signature)
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(signing.BadSignature):
        signing.verify("audio/7/", expires=signed.expires, signature=signed.signature)


# --- behind Nginx, and a player over HTTP ------------------------------------------------------


@pytest.mark.django_db
def test_x_accel_redirect_hands_the_file_to_nginx(client, rendition, settings):
    medium, _ = rendition
    settings.AUDIO_X_ACCEL_REDIRECT = True

    response = client.get(signed_url(medium), headers={"Range": "bytes=0-9"})

    assert response.status_code == 200  # Nginx answers the Range itself
    assert response["X-Accel-Redirect"] == f"/protected/media/{medium.folder}/medium.mp3"
    assert response["Content-Type"] == "audio/mpeg"
    assert response.content == b""
    assert client.get(tampered(signed_url(medium), 4, "x" * 43)).status_code == 403


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_player_streams_hls_over_http(live_server, cast, django_capture_on_commit_callbacks):
    song = SongFactory(artist=cast.artist)
    seconds = 13.0
    af.give_audio(song, af.audio_file("mp3", seconds), capture=django_capture_on_commit_callbacks)
    hls = SongAudioRendition.objects.get(audio__song=song, quality="hls")
    master = live_server.url + signed_url(hls)

    # FFmpeg's HLS demuxer fetches the master playlist, a variant playlist and every
    # segment by their relative URIs, with no header of ours: the signed prefix carries.
    decoded = af.decode(master)

    assert decoded.codec == "aac" and decoded.channels == 2
    assert abs(decoded.seconds - seconds) <= 0.1
    low = SongAudioRendition.objects.get(audio__song=song, quality="low")
    assert abs(af.decode(live_server.url + signed_url(low)).seconds - seconds) <= 0.1


def test_s3_links_are_presigned_even_without_querystring_auth(settings):
    # Presigning is local (no request to S3), so a real S3Storage can be used here.
    from catalog.audio.streaming import _presigned_url

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "media",
                "endpoint_url": "http://127.0.0.1:9000",
                "access_key": "test",
                "secret_key": "test-secret",
                "region_name": "us-east-1",
                "querystring_auth": False,
            },
        },
    }

    url = _presigned_url("audio/1/abc/medium/medium.mp3", 120)

    assert url.startswith("http://127.0.0.1:9000/media/audio/1/abc/medium/medium.mp3?")
    query = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
    assert "Signature" in query or "X-Amz-Signature" in query
    if "Expires" in query:  # SigV2 style: an absolute time
        assert abs(int(query["Expires"]) - (time.time() + 120)) < 5
    else:
        assert query["X-Amz-Expires"] == "120"
