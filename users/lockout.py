"""Per-account login lockout, shared by every password login (API token, admin).

After ``LOGIN_LOCKOUT_FAILURES`` wrong passwords for one username (within
``LOGIN_LOCKOUT_MAX`` seconds of the first), that username is locked for
``LOGIN_LOCKOUT_BASE`` seconds; each further lockout doubles, up to ``LOGIN_LOCKOUT_MAX``.
A correct login after the lock, or a password reset, forgets everything, so an attacker can
keep an account locked only while attacking it, at most ``LOGIN_LOCKOUT_MAX`` at a time, and
the owner can always get in through a password reset. The key is the username as typed
(case-folded), whether or not such an account exists, so a lockout says nothing about which
accounts exist.

State lives in Redis through the cache, which ignores connection errors: with Redis down,
``lock_wait`` reads nothing and nobody is locked out (fail open, like the rate limits).
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

from common.errors import DomainError


class LoginLocked(DomainError):
    status_code = 429
    default_code = "throttled"

    def __init__(self, wait: int):
        super().__init__("Too many failed logins for this account.")
        self.wait = wait


def _key(kind: str, username: str) -> str:
    digest = hashlib.sha256(username.casefold().encode()).hexdigest()
    return f"login:{kind}:{digest}"


def _now() -> float:
    return time.time()


def lock_wait(username: str) -> int:
    """Seconds this username stays locked (0: not locked)."""
    until = cache.get(_key("locked", username))
    if until is None:
        return 0
    return max(0, math.ceil(until - _now()))


def _incr(key: str, timeout: int) -> int | None:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        return None


def record_failure(username: str) -> int:
    """Count a wrong password; return the new lock's length when this failure starts one."""
    fails = _incr(_key("fails", username), settings.LOGIN_LOCKOUT_MAX)
    # Exactly at the threshold: parallel failures past it do not stack lockouts.
    if fails != settings.LOGIN_LOCKOUT_FAILURES:
        return 0
    level = _incr(_key("level", username), settings.LOGIN_LOCKOUT_MEMORY) or 1
    duration = min(
        settings.LOGIN_LOCKOUT_BASE * 2 ** min(level - 1, 16), settings.LOGIN_LOCKOUT_MAX
    )
    cache.set(_key("locked", username), _now() + duration, timeout=duration + 1)
    cache.delete(_key("fails", username))
    return duration


def forget(username: str) -> None:
    """A correct login or a password reset: no failures, no lock, lockouts start small again."""
    cache.delete_many([_key(kind, username) for kind in ("fails", "level", "locked")])
