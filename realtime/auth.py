"""Who is on a socket: the access JWT of ``?token=``, read like the HTTP API reads it."""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.auth import get_user
from channels.db import database_sync_to_async
from django.conf import settings
from django.http.request import validate_host
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings

from users.authentication import BlockAwareJWTAuthentication
from users.models import User

UNAUTHENTICATED = 4401  # bad, expired or revoked token; unknown or inactive account
BLOCKED = 4403


class Refused(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def user_for_token(raw: str) -> User:
    """The user the access token names, re-read now; ``Refused`` with the close code if not.

    The same authentication class as the API (signature, expiry, token type, revocation
    claim, the account re-read), so a token the API refuses is refused here too.
    """
    auth = BlockAwareJWTAuthentication()
    try:
        validated = auth.get_validated_token(raw.encode())
    except (InvalidToken, TokenError):
        raise Refused(UNAUTHENTICATED) from None
    try:
        return auth.get_user(validated)
    except (AuthenticationFailed, InvalidToken):
        user_id = validated.get(api_settings.USER_ID_CLAIM)
        if user_id is not None and account_state(user_id) == BLOCKED:
            raise Refused(BLOCKED) from None
        raise Refused(UNAUTHENTICATED) from None


def account_state(user_id) -> int | None:
    """None while the account may use sockets, else the close code for it."""
    row = User.objects.filter(pk=user_id).values("is_active", "is_blocked").first()
    if row is None or not row["is_active"]:
        return UNAUTHENTICATED
    if row["is_blocked"]:
        return BLOCKED
    return None


def fresh_user(user_id) -> User | None:
    """The account re-read (its role may have changed), or None when it may not connect."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.is_active or user.is_blocked:
        return None
    return user


def same_site_origin(scope) -> bool:
    """The browser says the page is from one of our own hosts (``ALLOWED_HOSTS``).

    A session cookie is sent by the browser whatever page opens the socket; believing it
    only for our own origins keeps other sites from opening sockets as the signed-in user
    (cross-site WebSocket hijacking). Token sockets need no such check.
    """
    origin = dict(scope.get("headers", [])).get(b"origin", b"").decode("latin-1")
    host = urlsplit(origin).hostname if origin else None
    return bool(host) and validate_host(host, settings.ALLOWED_HOSTS)


async def user_for_session(scope) -> User | None:
    """The signed-in user of the Django session cookie (None: no session), checked like a
    token's user: blocked -> ``Refused(4403)``."""
    if "session" not in scope:
        return None
    user = await get_user(scope)
    if not getattr(user, "is_authenticated", False):
        return None
    state = await database_sync_to_async(account_state)(user.pk)
    if state is not None:
        raise Refused(state)
    return user
