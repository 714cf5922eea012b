from django.conf import settings
from django_ratelimit.core import get_usage

from common.ratelimit import RateLimitThrottle


class RegisterThrottle(RateLimitThrottle):
    group = "auth.register"
    rate = "10/m"
    key = "ip"


def _mailbox(address: str) -> str:
    """One key per mailbox: case and a ``+tag`` (sub-addressing) do not make a new one."""
    local, _, domain = address.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}" if local else domain


def _registration_mailbox(group, request) -> str:
    return f"mailbox:{_mailbox(request.data['email'])}"


class RegisterEmailThrottle(RateLimitThrottle):
    """Per address, whatever the caller's IP: every registration mails the address it names
    (a confirmation link, or a notice to the account that holds it), so rotating addresses
    (IPv6, proxies) must not turn sign-up into a way to flood someone's mailbox."""

    group = "auth.register.email"
    rate = "5/h"

    def allow_request(self, request, view):
        self._wait = None
        data = request.data
        email = data.get("email") if isinstance(data, dict) else None
        if not isinstance(email, str) or "@" not in email:
            return True  # the serializer refuses it; nothing is mailed
        usage = get_usage(
            request, group=self.group, key=_registration_mailbox, rate=self.rate, increment=True
        )
        if usage and usage["should_limit"]:
            self._wait = max(1, usage["time_left"])
            return False
        return True


class LoginThrottle(RateLimitThrottle):
    """The per-IP ceiling over every password login (shared with the admin login form).

    Loose on purpose: many users share one carrier-NAT address; guessing one account is
    stopped by the per-account lockout (``users.lockout``), not by this.
    """

    group = "auth.login"
    key = "ip"

    @property
    def rate(self) -> str:  # type: ignore[override]
        return settings.LOGIN_RATE_PER_IP


class TokenRefreshThrottle(RateLimitThrottle):
    group = "auth.refresh"
    rate = "120/m"
    key = "ip"


class MeWriteThrottle(RateLimitThrottle):
    """Profile changes and self-deletion, per user."""

    group = "users.me.write"
    rate = "30/h"
    key = "user"
    methods = ("PATCH", "PUT", "DELETE")


class EmailChangeThrottle(RateLimitThrottle):
    """Each e-mail change sends a mail to the address given: few per user."""

    group = "users.me.email"
    rate = "5/h"
    key = "user"
    methods = ("PATCH", "PUT")

    def allow_request(self, request, view):
        data = request.data
        if not (isinstance(data, dict) and "email" in data):
            self._wait = None
            return True
        return super().allow_request(request, view)


class PasswordChangeThrottle(RateLimitThrottle):
    group = "users.password.change"
    rate = "10/h"
    key = "user"


class PasswordResetThrottle(RateLimitThrottle):
    group = "auth.password_reset"
    rate = "20/h"
    key = "ip"


class TokenConfirmThrottle(RateLimitThrottle):
    """Password-reset and e-mail confirmations (tokens are unguessable; this bounds tries)."""

    group = "auth.confirm"
    rate = "30/m"
    key = "ip"
