"""Signed URLs: the one home for links that grant access for a while without a login.

A signature is HMAC-SHA256 over ``"<scope>\\n<expires>"`` with a key derived from
``SECRET_KEY`` (and a purpose, so a stream signature is never valid for anything else).
``scope`` is a path, or a path prefix ending in ``/`` that covers every file below it: an
HLS playlist and its segments share one signed prefix, so the relative segment URIs inside
the playlist inherit the signature and a player needs no headers or query strings.

Keys rotate like Django's own signing: ``SECRET_KEY_FALLBACKS`` still verify (never sign),
so links already handed out keep working until they expire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

from django.conf import settings

DEFAULT_PURPOSE = "stream"


class BadSignature(Exception):
    """The signature does not match the scope and expiry (tampered or forged)."""


class SignatureExpired(BadSignature):
    """The signature is genuine but its expiry time has passed."""


@dataclass(frozen=True)
class Signed:
    scope: str
    expires: int  # Unix time, seconds
    signature: str


def _key(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"music_platform.signing.{purpose}:{secret}".encode()).digest()


def _mac(secret: str, purpose: str, scope: str, expires: int) -> str:
    digest = hmac.new(
        _key(secret, purpose), f"{scope}\n{expires}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign(
    scope: str,
    *,
    ttl: int | None = None,
    purpose: str = DEFAULT_PURPOSE,
    now: float | None = None,
    step: int = 1,
) -> Signed:
    """Sign ``scope`` for at least ``ttl`` seconds (default ``STREAM_URL_TTL``).

    ``step`` rounds the expiry up to a multiple of that many seconds, so every link made
    within one step is the same URL (browser and CDN caches, ETags of the pages holding it)
    and lives between ``ttl`` and ``ttl + step`` seconds.
    """
    ttl = settings.STREAM_URL_TTL if ttl is None else ttl
    expires = int(time.time() if now is None else now) + int(ttl)
    expires = -(-expires // step) * step
    return Signed(scope, expires, _mac(settings.SECRET_KEY, purpose, scope, expires))


def verify(
    scope: str,
    *,
    expires: int,
    signature: str,
    purpose: str = DEFAULT_PURPOSE,
    now: float | None = None,
) -> None:
    """Raise ``BadSignature`` unless ``signature`` is ours for ``scope`` and ``expires``,
    then ``SignatureExpired`` if that time has passed. Comparisons are constant-time."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    given = signature.encode("utf-8", "replace")
    genuine = False
    for secret in secrets:
        # No early exit: the time taken does not tell which key (if any) matched.
        expected = _mac(secret, purpose, scope, expires).encode("ascii")
        genuine |= hmac.compare_digest(expected, given)
    if not genuine:
        raise BadSignature("The signature does not match.")
    if expires < (time.time() if now is None else now):
        raise SignatureExpired("The link has expired.")
