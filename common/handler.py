"""The API's exception handler: drf-standardized-errors plus our domain errors and the
client errors Django raises while DRF reads a request (DESIGN.md §3: never a 500 for bad input).
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions, serializers
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from common.errors import DomainError, PayloadTooLarge, ValidationFailed


class _StatusError(exceptions.APIException):
    """A DRF exception with the status of the domain error it stands for."""

    def __init__(self, status_code: int, detail: str, code: str):
        self.status_code = status_code
        super().__init__(detail, code)


def to_api_exception(exc: DomainError) -> exceptions.APIException:
    if isinstance(exc, ValidationFailed) and exc.errors:
        return serializers.ValidationError(
            {
                field: [serializers.ErrorDetail(detail, code=code) for detail, code in items]
                for field, items in exc.errors.items()
            }
        )
    if isinstance(exc, ValidationFailed):
        key = exc.attr or "non_field_errors"
        return serializers.ValidationError(
            {key: [serializers.ErrorDetail(exc.detail, code=exc.code)]}
        )
    return _StatusError(exc.status_code, exc.detail, exc.code)


class ProjectExceptionHandler(ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, DomainError):
            return to_api_exception(exc)
        # Django refuses these while DRF reads the body; they are the client's fault.
        if isinstance(exc, RequestDataTooBig):
            return to_api_exception(PayloadTooLarge())
        if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
            return exceptions.ParseError(
                "The request has too many form fields or files.", code="too_many_fields"
            )
        # simplejwt puts a list of per-token-class messages (or a dict, for a deleted user) in
        # its 401 detail, which the standard format would flatten into several errors; clients
        # need one clear error with a code the OpenAPI schema documents for 401, and the
        # WWW-Authenticate challenge DRF attached to the original exception.
        if isinstance(exc, InvalidToken | TokenError) or (
            isinstance(exc, exceptions.AuthenticationFailed) and not isinstance(exc.detail, str)
        ):
            converted = exceptions.AuthenticationFailed(
                "Token is invalid or expired.", code="authentication_failed"
            )
            converted.auth_header = getattr(exc, "auth_header", None)  # type: ignore[attr-defined]
            return converted
        return super().convert_known_exceptions(exc)
