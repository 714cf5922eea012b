"""Domain errors and their mapping to the one error format of the API (DESIGN.md §3).

Services raise the errors below, never DRF exceptions; ``common.handler`` turns them (and
a few third-party exceptions) into drf-standardized-errors responses:
``{"type": ..., "errors": [{"code", "detail", "attr"}]}``. The error pages for requests that
never reach DRF (unknown URLs, Django's own 400/403/500) use the same shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt


class DomainError(Exception):
    """A rule a request broke. ``attr`` names the field (None: the request as a whole)."""

    status_code = 400
    default_code = "invalid"
    default_detail = "Invalid request."

    def __init__(self, detail: str | None = None, *, code: str | None = None, attr=None):
        self.detail = detail or self.default_detail
        self.code = code or self.default_code
        self.attr = attr
        super().__init__(self.detail)


class ValidationFailed(DomainError):
    """Input that is well-formed but breaks a rule (400, ``validation_error``).

    One error (``detail``, ``code``, ``attr``), or several: ``errors={attr: [detail, ...]}``
    where a detail is a message (code ``invalid``) or a ``(message, code)`` pair.
    """

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        attr=None,
        errors: Mapping[str, Sequence[str | tuple[str, str]]] | None = None,
    ):
        super().__init__(detail, code=code, attr=attr)
        self.errors = {
            field: [
                item if isinstance(item, tuple) else (item, self.default_code) for item in items
            ]
            for field, items in (errors or {}).items()
        }


class PermissionDenied(DomainError):
    status_code = 403
    default_code = "permission_denied"
    default_detail = "You do not have permission to perform this action."


class NotFound(DomainError):
    status_code = 404
    default_code = "not_found"
    default_detail = "Not found."


class PreconditionFailed(DomainError):
    status_code = 412
    default_code = "precondition_failed"
    default_detail = "The resource has changed; read it again."


class PayloadTooLarge(DomainError):
    status_code = 413
    default_code = "request_too_large"
    default_detail = "Request body is too large."


class ServiceUnavailable(DomainError):
    status_code = 503
    default_code = "service_unavailable"
    default_detail = "The task queue is unavailable; try again later."


def field_error(attr: str, detail: str, code: str = "invalid") -> ValidationFailed:
    """The one way to say "this field is wrong" from a service."""
    return ValidationFailed(detail, code=code, attr=attr)


# --- error pages for requests that DRF does not handle --------------------------------------


def error_response(status_code: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(
        {
            "type": "client_error" if status_code < 500 else "server_error",
            "errors": [{"code": code, "detail": detail, "attr": None}],
        },
        status=status_code,
    )


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a refused form post answers in the API's format, not HTML."""
    return error_response(403, "csrf_failed", "CSRF verification failed.")


@csrf_exempt  # also the catch-all for unknown /api/ URLs: a POST there is a 404, not a 403
def not_found(request, exception=None):
    """JSON 404 for URLs that match no route (DRF views format their own)."""
    return error_response(404, "not_found", "Not found.")


def server_error(request):
    return error_response(500, "error", "A server error occurred.")


def bad_request(request, exception=None):
    return error_response(400, "bad_request", "Bad request.")


def permission_denied(request, exception=None):
    return error_response(403, "permission_denied", "You do not have permission.")
