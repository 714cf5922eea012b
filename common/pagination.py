"""Strict limit/offset pagination (DESIGN.md §3): default 20, max 100, bad values are a 400."""

from rest_framework import exceptions
from rest_framework.pagination import LimitOffsetPagination


class DefaultPagination(LimitOffsetPagination):
    """limit/offset pages (default 20, max 100); bad values are a 400, not silently ignored."""

    default_limit = 20
    max_limit = 100

    def _whole_number(
        self, request, name: str, default: int, minimum: int, maximum: int | None = None
    ) -> int:
        raw = request.query_params.getlist(name)
        if not raw:
            return default
        bounds = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        if (
            len(raw) > 1
            or not raw[0].isdigit()
            or int(raw[0]) < minimum
            or (maximum is not None and int(raw[0]) > maximum)
        ):
            raise exceptions.ValidationError(
                {name: [f"Give a whole number {bounds}, once."]}, code="invalid"
            )
        return int(raw[0])

    def get_limit(self, request):
        # Above the documented maximum is a 400 like any other bad value, not quietly capped.
        return self._whole_number(
            request, self.limit_query_param, self.default_limit, 1, self.max_limit
        )

    def get_offset(self, request):
        return self._whole_number(request, self.offset_query_param, 0, 0)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1, "maximum": self.max_limit},
            self.offset_query_param: {"minimum": 0},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters
