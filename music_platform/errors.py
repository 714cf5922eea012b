"""The project's exception handler: drf-standardized-errors plus a few conversions."""

from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError


class ProjectExceptionHandler(ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        # simplejwt puts a list of per-token-class messages in its 401 detail, which the
        # standard format would flatten into several errors; clients need one clear error
        # with a code the OpenAPI schema documents for 401.
        if isinstance(exc, InvalidToken | TokenError):
            return exceptions.AuthenticationFailed(
                "Token is invalid or expired.", code="authentication_failed"
            )
        return super().convert_known_exceptions(exc)
