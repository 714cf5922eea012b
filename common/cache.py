"""Cached public reads and conditional requests (DESIGN.md §3 "Reads are cacheable").

One mechanism for every app:

- **Generations.** A named counter in Redis (``"catalog"``, ``"charts"``,
  ``"album-likes:user:7"``...). A cached response is stored with the values of the
  generations it depends on, read before it was built, and is served only while they are
  still current (fetched with it, in one round trip), so a write only has to bump the
  generation (``bump_generations``, by the owning app) and every response built before it
  is stale: no key listing, no stale read after the write.
  Bumps happen at once and again after commit: a reader that saw the old rows before the
  commit cached them under a value nobody asks for any more once the second bump is done.
  A generation that is missing (never bumped, or evicted) starts at the clock in
  nanoseconds, never at a value an older key may hold.
- **Response cache.** ``CachedReadMixin`` on a DRF view serves a GET from Redis when the
  same query was answered for the same audience under the same generations: the body is
  stored rendered (bytes), so a hit costs one Redis round trip and no SQL. Only 200s are
  stored. Which callers share a response is the view's ``cache_audience``: ``None`` means
  "not stored" (callers who see private content), ``"public"`` a response every caller of
  that audience gets, anything else (``"user:7"``) a response of that caller alone.
- **Conditional requests.** Every 200 GET of such a view carries a weak ``ETag`` (a digest
  of the body), ``Vary: Authorization`` and ``Cache-Control``: ``public, max-age=...`` for
  anonymous callers, ``private, no-cache`` for logged-in ones; ``If-None-Match`` with that
  ETag is a 304 without a body.

Redis down: the cache is django-redis with ``IGNORE_EXCEPTIONS``, so every get is a miss and
every set/bump a no-op; reads are computed from the database, never an error. Entries also
expire (``cache_timeout``), which bounds how long an entry written before an outage could
outlive a write made during it (a bump that could not reach Redis).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.response import Response

from common.schema import ProjectAutoSchema

GENERATION_PREFIX = "gen:"
RESPONSE_PREFIX = "resp:"
DEFAULT_TIMEOUT = 5 * 60
PUBLIC_MAX_AGE = 60
PUBLIC = "public"


# --- generations -------------------------------------------------------------------------------


def _generation_key(name: str) -> str:
    return GENERATION_PREFIX + name


def generations(names: Sequence[str]) -> tuple[int, ...] | None:
    """The current value of each generation (creating missing ones); None if Redis is down."""
    keys = [_generation_key(name) for name in names]
    found = cache.get_many(keys)
    values = []
    for key in keys:
        value = found.get(key)
        if value is None:
            # Missing, or Redis is down (then add() fails too and we give up: uncached).
            cache.add(key, time.time_ns(), timeout=None)
            value = cache.get(key)
            if value is None:
                return None
        values.append(int(value))
    return tuple(values)


def _bump_now(names: Iterable[str]) -> None:
    for name in names:
        key = _generation_key(name)
        try:
            cache.incr(key)
        except ValueError:  # missing: any fresh value differs from what old keys hold
            cache.set(key, time.time_ns(), timeout=None)


class _Bump:
    """The after-commit callback of ``bump_generations``; equal ones are registered once per
    transaction (deleting an artist deletes each of its songs: one bump, not hundreds)."""

    def __init__(self, names: tuple[str, ...]):
        self.names = names

    def __call__(self) -> None:
        _bump_now(self.names)


def bump_generations(*names: str) -> None:
    """Make every cached response that depends on ``names`` unreachable: at once and again
    after commit (like ``catalog.services._invalidate_album_likes``). The bump after commit is
    the one that counts: a reader between the write and the commit still reads the old rows
    and may cache them under the value of the first bump. The first one makes the write's
    own transaction (a test, a service reading back what it wrote) see it."""
    _bump_now(names)
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        # Only callbacks of still-open savepoints are in this list; a rolled-back one is
        # gone, so a later bump in the same transaction registers again.
        for _, callback, _ in connection.run_on_commit:
            if isinstance(callback, _Bump) and callback.names == names:
                return
    transaction.on_commit(_Bump(names))


# --- conditional requests ----------------------------------------------------------------------


def weak_etag(body: bytes) -> str:
    return 'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def _etag_matches(request, etag: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in header.split(","))


def _is_anonymous(request) -> bool:
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


def conditional_headers(response, request, *, etag: str, max_age: int) -> None:
    response["ETag"] = etag
    if _is_anonymous(request) and "HTTP_AUTHORIZATION" not in request.META:
        response["Cache-Control"] = f"public, max-age={max_age}"
    else:
        response["Cache-Control"] = "private, no-cache"
    patch_vary_headers(response, ["Authorization"])


def _not_modified(request, *, etag: str, max_age: int) -> HttpResponse:
    response = HttpResponse(status=status.HTTP_304_NOT_MODIFIED)
    conditional_headers(response, request, etag=etag, max_age=max_age)
    return response


# --- the schema says so -------------------------------------------------------------------------

_STRING = {"type": "string"}
_RESPONSE_HEADERS = {
    "ETag": {"schema": _STRING, "description": "Weak validator of the body, for If-None-Match."},
    "Cache-Control": {
        "schema": _STRING,
        "description": "`public, max-age=60` for anonymous callers, else `private, no-cache`.",
    },
    "Vary": {"schema": _STRING, "description": "Includes `Authorization`."},
}


class CachedReadSchema(ProjectAutoSchema):
    """GETs of a ``CachedReadMixin`` view: the ``If-None-Match`` header, the caching headers
    of a 200 and the 304 answer, in the OpenAPI schema."""

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "GET":
            parameters.append(
                OpenApiParameter(
                    "If-None-Match",
                    str,
                    OpenApiParameter.HEADER,
                    description="The ETag of a copy you hold: 304 without a body if current.",
                )
            )
        return parameters

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        if self.method == "GET" and direction == "response" and "200" in bodies:
            bodies["200"].setdefault("headers", {}).update(_RESPONSE_HEADERS)
            bodies["304"] = {
                "description": "Not modified: the If-None-Match ETag is current (no body).",
                "headers": _RESPONSE_HEADERS,
            }
        return bodies


# --- the view mixin ----------------------------------------------------------------------------


class _CachedHit(Exception):  # noqa: N818 - not an error: carries the response out of initial()
    def __init__(self, response: HttpResponse):
        self.response = response


class CachedReadMixin:
    """Cached GETs, ETags and 304s for a DRF view (see the module docstring).

    A view sets ``cache_generations`` (what its responses depend on) and may override
    ``cache_audience`` and ``cache_generation_names``. The lookup runs once the caller is
    authenticated and allowed (after ``check_throttles``, the last step of DRF's
    ``initial``), before anything the view resolves itself.
    """

    schema = CachedReadSchema()
    cache_generations: Sequence[str] = ()
    cache_timeout: int = DEFAULT_TIMEOUT
    cache_max_age: int = PUBLIC_MAX_AGE

    _cache_key: str | None = None
    _cache_generations: tuple[int, ...] = ()

    def cache_audience(self, request) -> str | None:
        """Who shares the response: anonymous callers share the public one; by default a
        logged-in caller's response is not stored."""
        return PUBLIC if _is_anonymous(request) else None

    def cache_generation_names(self, request) -> Sequence[str]:
        return self.cache_generations

    def _response_key(self, request, audience: str) -> str:
        # Absolute URLs in bodies (covers, stream links) depend on the scheme and host.
        raw = "\x1f".join(
            [
                type(self).__module__ + "." + type(self).__qualname__,
                audience,
                request.scheme,
                request.get_host(),
                request.get_full_path(),
                request.META.get("HTTP_ACCEPT", ""),
            ]
        )
        return RESPONSE_PREFIX + hashlib.blake2b(raw.encode(), digest_size=20).hexdigest()

    def check_throttles(self, request):
        super().check_throttles(request)  # type: ignore[misc]
        self._cache_key = None
        if request.method not in ("GET", "HEAD"):
            return
        audience = self.cache_audience(request)
        if audience is None:
            return
        # One round trip: the generations and the stored response together. The response
        # holds the generations it was built under; it is current only if they still are.
        names = self.cache_generation_names(request)
        key = self._response_key(request, audience)
        generation_keys = [_generation_key(name) for name in names]
        found = cache.get_many([*generation_keys, key])
        raw_values: list[Any] = [found.get(k) for k in generation_keys]
        values: tuple[int, ...] | None
        if any(value is None for value in raw_values):
            values = generations(names)  # missing ones created (or Redis is down: None)
        else:
            values = tuple(int(value) for value in raw_values)
        if values is None:
            return
        self._cache_key, self._cache_generations = key, values
        stored = found.get(key)
        if stored is None or stored[0] != values:
            return
        _, content_type, body, etag = stored
        if _etag_matches(request, etag):
            raise _CachedHit(_not_modified(request, etag=etag, max_age=self.cache_max_age))
        response = HttpResponse(body, content_type=content_type)
        response["X-Cache"] = "hit"
        conditional_headers(response, request, etag=etag, max_age=self.cache_max_age)
        raise _CachedHit(response)

    def handle_exception(self, exc):
        if isinstance(exc, _CachedHit):
            return exc.response
        return super().handle_exception(exc)  # type: ignore[misc]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if (
            request.method not in ("GET", "HEAD")
            or response.status_code != status.HTTP_200_OK
            or not isinstance(response, Response)
        ):
            return response
        response.render()
        body = response.content
        etag = weak_etag(body)
        if self._cache_key is not None:
            response["X-Cache"] = "miss"
            stored = (self._cache_generations, response["Content-Type"], body, etag)
            cache.set(self._cache_key, stored, self.cache_timeout)
        if _etag_matches(request, etag):
            return _not_modified(request, etag=etag, max_age=self.cache_max_age)
        conditional_headers(response, request, etag=etag, max_age=self.cache_max_age)
        return response
