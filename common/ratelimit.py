"""Rate limits: django-ratelimit counters in Redis behind a DRF throttle (429 + Retry-After).

They fail open (``RATELIMIT_FAIL_OPEN``): while Redis is down no request is limited.
"""

import functools
import ipaddress

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle


def _networks(entries) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry)


@functools.lru_cache(maxsize=8)
def _trusted_networks(entries: tuple[str, ...]):
    return _networks(entries)


def _is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in _trusted_networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(group, request) -> str:
    """The caller's address, never an error.

    The forwarded header named by RATELIMIT_IP_META_KEY (X-Real-IP, X-Forwarded-For) is
    believed only when the peer (REMOTE_ADDR) is one of TRUSTED_PROXIES: a client reaching
    gunicorn directly would otherwise pick a new address per request and never be limited.
    In a comma-separated chain the client is the right-most address that is not a trusted
    proxy (each proxy appends the address it saw; everything to its left is the client's word).
    A request without any address still gets limited, in one shared bucket.
    """
    meta = request.META
    remote = (meta.get("REMOTE_ADDR") or "").strip()
    key = settings.RATELIMIT_IP_META_KEY
    if key != "REMOTE_ADDR" and remote and _is_trusted_proxy(remote):
        hops = [hop.strip() for hop in (meta.get(key) or "").split(",") if hop.strip()]
        for hop in reversed(hops):
            if not _is_trusted_proxy(hop):
                return hop
        if hops:
            return hops[0]
    return remote or "unknown"


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
