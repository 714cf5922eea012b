"""Signed stream URLs: making them, and serving the bytes behind them.

A URL names a rendition by id and an audience, and carries a signature over
``audio/<rendition id>/<audience>/`` and an expiry (``common.signing``):
``/api/v1/stream/<id>/<audience>/<expires>/<signature>/<file>``. The signature covers the
rendition's whole folder, so an HLS master playlist, its variant playlists and their segments
all resolve relative to one signed prefix: a player fetches them without any header or query
string of ours.

The audience is ``p`` for a link handed out while anyone may see the song, ``i`` for one made
for an insider (the artist, staff) of a song that is not public. Serving a ``p`` link checks
that the song is still public, so hiding a song stops its public links at once; an ``i``
link lives until it expires, as only insiders ever got one.

Serving, in order of preference:
- ``AUDIO_X_ACCEL_REDIRECT``: Nginx serves the file from an internal location (Range,
  sendfile and keep-alive handled there); Django only checks the signature;
- S3 storage: a redirect to a presigned object URL valid as long as ours (playlists are
  answered directly, because their relative URIs must resolve against our signed prefix);
- otherwise Django streams the file itself, honouring single ``Range`` requests.
"""

from __future__ import annotations

import os
import re
import time
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Exists, OuterRef
from django.http import FileResponse, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse

from catalog.audio.files import is_local
from catalog.models import SongAudioRendition
from catalog.selectors import songs_visible_to
from common import signing
from common.errors import error_response

# Files inside a rendition folder: "low.mp3", "master.m3u8", "a64/index.m3u8", "a64/seg00001.ts".
FILE_NAME = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)?\.(mp3|m3u8|ts)")
CONTENT_TYPES = {
    "mp3": "audio/mpeg",
    "m3u8": "application/vnd.apple.mpegurl",
    "ts": "video/mp2t",
}
RANGE = re.compile(r"bytes=(\d*)-(\d*)")
CHUNK = 64 * 1024


PUBLIC, INSIDER = "p", "i"


def rendition_scope(rendition_id: int, audience: str) -> str:
    return f"audio/{rendition_id}/{audience}/"


# Links made within the same five minutes are the same URL (cacheable; see signing.sign).
SIGNATURE_STEP = 300


def signed_url(
    rendition: SongAudioRendition,
    *,
    audience: str = PUBLIC,
    request=None,
    now: float | None = None,
) -> str:
    signed = signing.sign(rendition_scope(rendition.pk, audience), now=now, step=SIGNATURE_STEP)
    path = reverse(
        "audio-stream-file",
        kwargs={
            "rendition_id": rendition.pk,
            "audience": audience,
            "expires": signed.expires,
            "signature": signed.signature,
            "name": rendition.entry,
        },
    )
    return request.build_absolute_uri(path) if request is not None else path


# --- byte ranges -----------------------------------------------------------------------------


class Unsatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte of a single-range ``Range`` header, None to send the
    whole file (no header, a syntax we ignore as RFC 9110 allows, or several ranges), or
    ``Unsatisfiable`` when the range starts past the end."""
    if not header:
        return None
    match = RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # a suffix: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - length), size - 1
    start = int(first)
    if last != "" and int(last) < start:
        return None  # invalid: ignore the header
    if start >= size:
        raise Unsatisfiable
    end = size - 1 if last == "" else min(int(last), size - 1)
    return start, end


class _Window:
    """A read-only view of bytes [start, start + length) of an open file."""

    def __init__(self, file, start: int, length: int) -> None:
        self.file = file
        self.remaining = length
        file.seek(start)

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        size = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self.file.read(size)
        self.remaining -= len(data)
        return data

    def fileno(self) -> int:
        # Lets gunicorn use sendfile(): it sends Content-Length bytes from the current
        # offset, which is exactly this window.
        return self.file.fileno()

    def close(self) -> None:
        self.file.close()


def _if_range_allows(request, etag: str, last_modified: float) -> bool:
    condition = request.headers.get("If-Range")
    if not condition:
        return True
    if condition.startswith(('"', "W/")):
        return condition == etag
    try:
        return parsedate_to_datetime(condition).timestamp() >= int(last_modified)
    except (TypeError, ValueError):
        return False


def ranged_file_response(request, path: str, content_type: str, headers: dict[str, str]):
    """Stream a local file, or the one byte range asked for (206), never all in memory."""
    stat = os.stat(path)
    size = stat.st_size
    etag = f'"{stat.st_mtime_ns:x}-{size:x}"'
    common = {
        **headers,
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
    }
    try:
        span = (
            parse_range(request.headers.get("Range"), size)
            if _if_range_allows(request, etag, stat.st_mtime)
            else None
        )
    except Unsatisfiable:
        refused = error_response(416, "range_not_satisfiable", "The range starts past the end.")
        refused["Content-Range"] = f"bytes */{size}"
        refused["Accept-Ranges"] = "bytes"
        return refused
    start, end = span if span is not None else (0, size - 1)
    length = max(0, end - start + 1)
    response: HttpResponseBase
    if request.method == "HEAD":
        response = HttpResponse(content_type=content_type, status=206 if span else 200)
    else:
        response = FileResponse(
            _Window(open(path, "rb"), start, length),  # noqa: SIM115 - closed by the response
            content_type=content_type,
            status=206 if span else 200,
        )
        response.block_size = CHUNK  # type: ignore[attr-defined]
    for name, value in common.items():
        response[name] = value
    response["Content-Length"] = str(length)
    if span is not None:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response


# --- the signed URL view ---------------------------------------------------------------------


def _presigned_url(name: str, seconds: int) -> str:
    """A time-limited S3 URL whatever the storage's ``querystring_auth`` says."""
    storage: Any = default_storage  # django-storages' S3Storage
    key = storage._normalize_name(name)  # django-storages: the object key for a name
    return storage.bucket.meta.client.generate_presigned_url(
        "get_object", Params={"Bucket": storage.bucket.name, "Key": key}, ExpiresIn=seconds
    )


def stream_file(request, rendition_id: int, audience: str, expires: int, signature: str, name: str):
    """GET/HEAD a file of a rendition through its signed URL (no login: the URL is the key)."""
    if request.method not in ("GET", "HEAD"):
        refused = error_response(405, "method_not_allowed", "Only GET and HEAD are allowed.")
        refused["Allow"] = "GET, HEAD"
        return refused
    try:
        signing.verify(
            rendition_scope(rendition_id, audience), expires=expires, signature=signature
        )
    except signing.SignatureExpired:
        return error_response(403, "expired_signature", "This stream link has expired.")
    except signing.BadSignature:
        return error_response(403, "invalid_signature", "This stream link is not valid.")
    if FILE_NAME.fullmatch(name) is None:
        return error_response(404, "not_found", "Not found.")
    public_song = songs_visible_to(user=None).filter(pk=OuterRef("audio__song_id"))
    found = (
        SongAudioRendition.objects.filter(pk=rendition_id)
        .annotate(public=Exists(public_song))
        .values_list("folder", "public")
        .first()
    )
    if found is None:  # the audio was replaced or deleted since the link was made
        return error_response(404, "not_found", "Not found.")
    folder, public = found
    if audience == PUBLIC and not public:  # hidden or made private since the link was made
        return error_response(404, "not_found", "Not found.")
    stored = f"{folder}/{name}"
    content_type = CONTENT_TYPES[name.rsplit(".", 1)[1]]
    remaining = max(1, expires - int(time.time()))
    # The bytes behind a URL never change; a client may keep them while the link is valid.
    headers = {"Cache-Control": f"private, max-age={remaining}, immutable"}
    response: HttpResponseBase
    if settings.AUDIO_X_ACCEL_REDIRECT:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.AUDIO_X_ACCEL_PREFIX + stored
        for header, value in headers.items():
            response[header] = value
        return response
    if is_local():
        path = default_storage.path(stored)
        if not os.path.isfile(path):
            return error_response(404, "not_found", "Not found.")
        return ranged_file_response(request, path, content_type, headers)
    if not default_storage.exists(stored):
        return error_response(404, "not_found", "Not found.")
    if name.endswith(".m3u8"):  # small, and its relative URIs must resolve against our URL
        with default_storage.open(stored, "rb") as playlist:
            response = HttpResponse(playlist.read(), content_type=content_type)
    else:
        response = HttpResponseRedirect(_presigned_url(stored, remaining))
    for header, value in headers.items():
        response[header] = value
    return response
