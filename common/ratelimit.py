"""Rate limits: django-ratelimit counters in Redis behind a DRF throttle (429 + Retry-After).

They fail open (``RATELIMIT_FAIL_OPEN``): while Redis is down no request is limited.
"""

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle


def client_ip(group, request) -> str:
    """The caller's address (from RATELIMIT_IP_META_KEY behind a proxy), never an error.

    A request without the expected header must still be rate-limited, not crash, so it
    falls back to REMOTE_ADDR and then to one shared bucket.
    """
    meta = request.META
    value = meta.get(settings.RATELIMIT_IP_META_KEY) or meta.get("REMOTE_ADDR") or "unknown"
    return value.split(",")[0].strip()


def user_or_ip(group, request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(group, request)}"


KEYS = {"ip": client_ip, "user": user_or_ip}


class RateLimitThrottle(BaseThrottle):
    """A DRF throttle backed by django-ratelimit (Redis), so 429s carry Retry-After.

    Subclasses set ``group``, ``rate`` (e.g. "10/m") and ``key`` ("ip" or "user").
    When Redis is down, django-ratelimit fails open (RATELIMIT_FAIL_OPEN): requests pass.
    """

    group: str = ""
    rate: str = ""
    key: str = "ip"
    methods: tuple[str, ...] = ("POST",)

    def allow_request(self, request, view):
        self._wait = None
        if request.method not in self.methods:
            return True
        usage = get_usage(
            request, group=self.group, key=KEYS[self.key], rate=self.rate, increment=True
        )
        if usage and usage["should_limit"]:
            self._wait = max(1, usage["time_left"])
            return False
        return True

    def wait(self):
        return self._wait
