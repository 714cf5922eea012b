"""The one password check of every login (DRF token, admin): Django's ModelBackend behind
the per-account lockout of ``users.lockout``."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from users import lockout


class LockoutModelBackend(ModelBackend):
    """Refuses a locked username before looking at the password (``LoginLocked``, 429), and
    counts wrong passwords. Authentication raises instead of returning None so callers can
    answer 429 with Retry-After rather than a misleading "wrong password"."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        username = str(username)
        wait = lockout.lock_wait(username)
        if wait:
            raise lockout.LoginLocked(wait)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            lockout.record_failure(username)
        else:
            lockout.forget(username)
        return user

    def get_user(self, user_id):
        """Session logins (the admin) end at once when the account is blocked."""
        user = super().get_user(user_id)
        return None if user is None or user.is_blocked else user
