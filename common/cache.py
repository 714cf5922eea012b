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
import logging
import os
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import OpenApiParameter
from redis.exceptions import RedisError
from rest_framework import status
from rest_framework.authentication import (
    BasicAuthentication,
    SessionAuthentication,
    TokenAuthentication,
)
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from common.ratelimit import RateLimitThrottle
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
    """The after-commit callback of ``bump_generations``: one per transaction for each name
    (deleting an artist deletes each of its songs: one bump after commit, not hundreds).

    ``fresh`` holds the names bumped at once since this transaction last looked a cached
    response up: bumping them again before such a read would change nothing anyone can see.
    """

    def __init__(self, names: tuple[str, ...]):
        self.names = names
        self.fresh: set[str] = set()
        self.done = False

    def __call__(self) -> None:
        self.done = True  # a test may run it early; a later bump then registers anew
        _bump_now(self.names)


def _pending_bumps(connection) -> list[_Bump]:
    # Only callbacks of still-open savepoints are in this list; a rolled-back one is gone,
    # so a later bump in the same transaction registers (and bumps at once) again.
    return [
        callback
        for _, callback, _ in connection.run_on_commit
        if isinstance(callback, _Bump) and not callback.done
    ]


def bump_generations(*names: str) -> None:
    """Make every cached response that depends on ``names`` unreachable.

    Outside a transaction the write is committed already: one bump. Inside one, a name is
    bumped at once (so the write's own transaction, a test, a service reading back what it
    wrote, never gets a response stored before the write) and once more after commit. The
    bump after commit is the one that counts: until then other connections still read the
    old rows and may store them under the value of the first bump.

    Several writes in one transaction bump each name once at once and once after commit,
    not once per write: a name already bumped at once is bumped again only if this
    transaction has looked a cached response up since (it may have stored one under the
    value it bumped to). Other connections may store responses of the old rows under that
    value meanwhile, whether it was bumped once or many times: the bump after commit is
    what makes those unreachable.
    """
    names = tuple(dict.fromkeys(names))
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _bump_now(names)
        return
    pending = _pending_bumps(connection)
    fresh = {name for callback in pending for name in callback.fresh}
    now = [name for name in names if name not in fresh]
    _bump_now(now)
    covered = {name for callback in pending for name in callback.names}
    new = tuple(name for name in names if name not in covered)
    if new:
        callback = _Bump(new)
        transaction.on_commit(callback)
        pending.append(callback)
    for name in now:
        next(callback for callback in pending if name in callback.names).fresh.add(name)


def _looking_up(names: Sequence[str]) -> None:
    """A cached response of ``names`` is looked up (and may be stored) in this transaction:
    its next write of one of them has to bump at once again."""
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        for callback in _pending_bumps(connection):
            callback.fresh.difference_update(names)


# --- the lookup of every cached GET: one MGET, straight on a connection -----------------------


class _LookupConnection(threading.local):
    pool: Any = None
    pid = 0
    connection: Any = None


_lookup_connection = _LookupConnection()
logger = logging.getLogger(__name__)


def _fetch_many(names: Sequence[str]) -> dict[str, Any] | None:
    """What ``cache.get_many(names)`` returns (missing keys left out), for the lookup every
    cached GET makes, where a hit or a 304 is this round trip and little else; ``None`` when
    Redis cannot be reached (the caller serves uncached, as with ``IGNORE_EXCEPTIONS``).

    Same keys, values and server: the connection is made by the cache's own pool (its
    database, timeouts and parser) and kept by this thread; the MGET is sent and read on it
    directly. redis-py's per-command machinery (pool checkout and release, retry wrapper,
    event dispatch, metrics recorders) cost 40-60 us a call here, half the round trip
    itself (a MGET of two keys: 122-164 us through the client, 85-96 us direct). Any error
    drops the connection (a reply left unread must never answer the next command)."""
    client = getattr(cache, "client", None)
    if client is None or not hasattr(client, "get_client"):
        return cache.get_many(names)  # not django-redis: its own get_many
    state = _lookup_connection
    try:
        pool = client.get_client(write=False).connection_pool
        if state.connection is None or state.pool is not pool or state.pid != os.getpid():
            state.connection, state.pool, state.pid = pool.make_connection(), pool, os.getpid()
        keys = [cache.make_key(name) for name in names]
        state.connection.send_command("MGET", *keys)
        values = state.connection.read_response()
    except (RedisError, OSError) as exc:
        connection, state.connection = state.connection, None
        if connection is not None:
            connection.disconnect()
        logger.warning("cache lookup failed, serving uncached: %r", exc)
        return None
    return {
        name: client.decode(value)
        for name, value in zip(names, values, strict=True)
        if value is not None
    }


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
    # Django's 304 carries no Content-Type: a cache updates its stored headers from a 304
    # (RFC 9111 4.3.4), and HttpResponse's default "text/html" would relabel the stored JSON.
    response = HttpResponseNotModified()
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

    A GET that carries no credentials at all is looked up earlier, in ``dispatch``, before
    DRF's content negotiation, authentication, throttles and handler: its caller is
    anonymous, so its audience is the anonymous one, which is all a lookup needs. A hit or a
    304 then costs the Redis round trip and little else. This early lookup is skipped
    (and the request takes the full path above) when anything could make the answer differ:

    - credentials of any kind: an ``Authorization`` header (a valid token may see more, an
      invalid or blocked one is a 401), a session cookie (a staff member browsing), a test
      client's forced authentication, or an authentication class it does not know;
    - a throttle that counts this request (``RateLimitThrottle.methods``, or any other
      throttle class): a rate-limited endpoint counts its 304s and hits too, so the limit
      holds however the answer is made;
    - a permission class refusing an anonymous caller.
    """

    schema = CachedReadSchema()
    cache_generations: Sequence[str] = ()
    cache_timeout: int = DEFAULT_TIMEOUT
    cache_max_age: int = PUBLIC_MAX_AGE

    _cache_key: str | None = None
    _cache_generations: tuple[int, ...] = ()
    _prefetched: tuple[str, tuple[int, ...], Any] | None = None

    def cache_audience(self, request) -> str | None:
        """Who shares the response: anonymous callers share the public one; by default a
        logged-in caller's response is not stored."""
        return PUBLIC if _is_anonymous(request) else None

    def cache_generation_names(self, request) -> Sequence[str]:
        return self.cache_generations

    def _response_key(self, request, audience: str) -> str:
        # Absolute URLs in bodies (covers, stream links) depend on the scheme and host. The
        # path and query string as they came (a key, not a URL to show: no escaping needed),
        # read from Django's request under DRF's (whose attribute proxy costs on every read).
        http = getattr(request, "_request", request)
        meta = http.META
        raw = "\x1f".join(
            [
                type(self).__module__ + "." + type(self).__qualname__,
                audience,
                http.scheme,
                http.get_host(),
                http.path,
                meta.get("QUERY_STRING", ""),
                meta.get("HTTP_ACCEPT", ""),
            ]
        )
        return RESPONSE_PREFIX + hashlib.blake2b(raw.encode(), digest_size=20).hexdigest()

    def _lookup(self, request, audience: str) -> tuple[str, tuple[int, ...], Any] | None:
        """(key, current generations, stored entry or None); None when Redis is down.

        One round trip: the generations and the stored response together. The response
        holds the generations it was built under; it is current only if they still are."""
        names = self.cache_generation_names(request)
        key = self._response_key(request, audience)
        prefetched = self._prefetched
        self._prefetched = None
        if prefetched is not None and prefetched[0] == key:
            return prefetched  # the early lookup of this request found no current entry
        _looking_up(names)
        generation_keys = [_generation_key(name) for name in names]
        found = _fetch_many([*generation_keys, key])
        if found is None:
            return None
        raw_values: list[Any] = [found.get(k) for k in generation_keys]
        values: tuple[int, ...] | None
        if any(value is None for value in raw_values):
            values = generations(names)  # missing ones created (or Redis is down: None)
        else:
            values = tuple(int(value) for value in raw_values)
        if values is None:
            return None
        stored = found.get(key)
        if stored is not None and stored[0] != values:
            stored = None
        return key, values, stored

    def _stored_response(self, request, stored) -> HttpResponse:
        _, content_type, body, etag = stored
        if _etag_matches(request, etag):
            return _not_modified(request, etag=etag, max_age=self.cache_max_age)
        response = HttpResponse(body, content_type=content_type)
        response["X-Cache"] = "hit"
        conditional_headers(response, request, etag=etag, max_age=self.cache_max_age)
        return response

    # --- early: a GET without credentials ----------------------------------------------------

    def dispatch(self, request, *args, **kwargs):
        if request.method in ("GET", "HEAD") and self._credential_free(request):
            response = self._early_response(request, *args, **kwargs)
            if response is not None:
                return response
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def _credential_free(self, request) -> bool:
        if getattr(request, "_force_auth_user", None) is not None:
            return False  # the test client's force_authenticate
        if getattr(request, "_force_auth_token", None) is not None:
            return False
        meta = request.META
        for authentication_class in self.authentication_classes:  # type: ignore[attr-defined]
            if issubclass(authentication_class, SessionAuthentication):
                if settings.SESSION_COOKIE_NAME in request.COOKIES:
                    return False
            elif issubclass(authentication_class, JWTAuthentication):
                if jwt_settings.AUTH_HEADER_NAME in meta or "HTTP_AUTHORIZATION" in meta:
                    return False
            elif issubclass(authentication_class, (BasicAuthentication, TokenAuthentication)):
                if "HTTP_AUTHORIZATION" in meta:
                    return False
            else:
                return False  # credentials it does not know where to look for
        return True

    def _early_response(self, request, *args, **kwargs) -> HttpResponse | None:
        # What DRF's dispatch and initialize_request set first, for an anonymous caller.
        self.args, self.kwargs = args, kwargs
        drf_request = Request(request, authenticators=())  # no credentials: anonymous
        action_map = getattr(self, "action_map", None)
        if action_map is not None:  # a viewset: what ViewSetMixin.initialize_request does
            self.action = action_map.get(request.method.lower())
        self.request = drf_request
        for throttle in self.get_throttles():  # type: ignore[attr-defined]
            if not isinstance(throttle, RateLimitThrottle) or request.method in throttle.methods:
                return None
        for permission in self.get_permissions():  # type: ignore[attr-defined]
            if not permission.has_permission(drf_request, self):
                return None
        audience = self.cache_audience(drf_request)
        if audience is None:
            return None
        found = self._lookup(drf_request, audience)
        if found is None:
            return None
        if found[2] is None:
            self._prefetched = found  # the full path needs the same lookup: reuse it
            return None
        self.headers = self.default_response_headers  # type: ignore[attr-defined]
        response = self.finalize_response(drf_request, self._stored_response(drf_request, found[2]))
        authentication_classes = self.authentication_classes  # type: ignore[attr-defined]
        if any(issubclass(c, SessionAuthentication) for c in authentication_classes):
            # The full path reads the session (SessionMiddleware then adds Cookie to Vary):
            # an anonymous answer is not the answer to a request with a session cookie.
            patch_vary_headers(response, ["Cookie"])
        return response

    # --- the full path: after authentication, permissions and throttles ---------------------

    def check_throttles(self, request):
        super().check_throttles(request)  # type: ignore[misc]
        self._cache_key = None
        if request.method not in ("GET", "HEAD"):
            return
        audience = self.cache_audience(request)
        if audience is None:
            return
        found = self._lookup(request, audience)
        if found is None:
            return
        self._cache_key, self._cache_generations, stored = found
        if stored is not None:
            raise _CachedHit(self._stored_response(request, stored))

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
