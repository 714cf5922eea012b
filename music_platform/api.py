"""Cross-cutting API plumbing: pagination, body limits, rate limits, JSON error pages."""

import io

from django.conf import settings
from django.http import JsonResponse
from django_ratelimit.core import get_usage
from rest_framework import exceptions, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.throttling import BaseThrottle


class DefaultPagination(LimitOffsetPagination):
    """limit/offset pages (default 20, max 100); bad values are a 400, not silently ignored."""

    default_limit = 20
    max_limit = 100

    def _whole_number(self, request, name: str, default: int, minimum: int) -> int:
        raw = request.query_params.getlist(name)
        if not raw:
            return default
        if len(raw) > 1 or not raw[0].isdigit() or int(raw[0]) < minimum:
            raise exceptions.ValidationError(
                {name: [f"Give a whole number >= {minimum}, once."]}, code="invalid"
            )
        return int(raw[0])

    def get_limit(self, request):
        limit = self._whole_number(request, self.limit_query_param, self.default_limit, 1)
        return min(limit, self.max_limit)

    def get_offset(self, request):
        return self._whole_number(request, self.offset_query_param, 0, 0)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "request_too_large"


class LimitedJSONParser(JSONParser):
    """JSON parser that refuses bodies above ``API_MAX_JSON_BODY`` bytes.

    DRF reads the raw stream, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE never applies to
    JSON bodies; without this a client could post an arbitrarily large document.
    A view may lower or raise the limit with a ``max_body_size`` attribute.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        view = parser_context.get("view")
        limit = getattr(view, "max_body_size", None) or settings.API_MAX_JSON_BODY
        request = parser_context.get("request")
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0) if request else 0
        except ValueError:
            declared = 0
        if declared > limit:
            raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise PayloadTooLarge(f"Request body is larger than {limit} bytes.")
        return super().parse(io.BytesIO(body), media_type, parser_context)


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


def _error_response(status_code: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(
        {
            "type": "client_error" if status_code < 500 else "server_error",
            "errors": [{"code": code, "detail": detail, "attr": None}],
        },
        status=status_code,
    )


def not_found(request, exception=None):
    """JSON 404 for URLs that match no route (DRF views format their own)."""
    return _error_response(404, "not_found", "Not found.")


def server_error(request):
    return _error_response(500, "error", "A server error occurred.")


def bad_request(request, exception=None):
    return _error_response(400, "bad_request", "Bad request.")


def permission_denied(request, exception=None):
    return _error_response(403, "permission_denied", "You do not have permission.")
