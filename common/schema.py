"""OpenAPI generation: drf-standardized-errors' AutoSchema plus what our plumbing adds.

- Strict pagination: a bad ``limit``/``offset`` is a documented 400 on list views.
- Strict query strings (``common.api``): every operation's 400 also lists the error for
  a query parameter the endpoint does not know, whose ``attr`` is whatever
  the client sent (so the error items are a plain oneOf, without a discriminator on
  ``attr``).
"""

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer
from drf_standardized_errors.openapi import AutoSchema
from drf_standardized_errors.openapi_serializers import ValidationErrorEnum
from drf_standardized_errors.openapi_utils import get_error_serializer
from rest_framework import serializers

from common.pagination import DefaultPagination


class ErrorResponseSerializer(serializers.Serializer):
    """The project's error format (drf-standardized-errors), for responses documented by hand
    (412, 413, 503 ...)."""

    class _ErrorItem(serializers.Serializer):
        code = serializers.CharField()
        detail = serializers.CharField()
        attr = serializers.CharField(allow_null=True)

        class Meta:
            ref_name = "ErrorItem"

    type = serializers.CharField()
    errors = _ErrorItem(many=True)  # type: ignore[assignment]  # the body's "errors"

    class Meta:
        ref_name = "ErrorResponse"


class _UnknownParameterErrorSerializer(serializers.Serializer):
    attr = serializers.CharField(help_text="The query parameter the endpoint does not know.")
    code = serializers.ChoiceField(choices=["unknown_parameter"])
    detail = serializers.CharField()

    class Meta:
        ref_name = "UnknownQueryParameterError"


class ProjectAutoSchema(AutoSchema):
    def _get_extra_validation_errors(self) -> dict[str, set[str]]:
        # DefaultPagination answers 400 for a bad limit/offset; document it on list views.
        errors = dict(super()._get_extra_validation_errors())
        paginated = isinstance(self._get_paginator(), DefaultPagination)
        if self.method == "GET" and paginated and self._is_list_view():
            for name in (DefaultPagination.limit_query_param, DefaultPagination.offset_query_param):
                errors[name] = {*errors.get(name, set()), "invalid"}
        return errors

    def _get_serializer_for_validation_error_response(self):
        codes = self._get_validation_error_codes_by_field(self._determine_fields_with_error_codes())
        # Strict query strings: any parameter of the operation may come twice or blank.
        names = [p["name"] for p in self._get_filter_parameters()]
        names += [p["name"] for p in self._get_pagination_parameters()]
        names += [
            p.name
            for p in self.get_override_parameters()
            if isinstance(p, OpenApiParameter) and p.location == OpenApiParameter.QUERY
        ]
        for name in names:
            codes[name] = {*codes.get(name, set()), "blank", "multiple_values"}
        operation_id = self.get_operation_id()
        prefix = "".join(part.capitalize() for part in operation_id.split("_"))
        items = [
            get_error_serializer(operation_id, name, field_codes)
            for name, field_codes in sorted(codes.items(), key=lambda item: str(item[0]))
        ]

        class ValidationErrorSerializer(serializers.Serializer):
            type = serializers.ChoiceField(choices=ValidationErrorEnum.choices)
            errors = PolymorphicProxySerializer(  # type: ignore[assignment]  # the body's "errors"
                component_name=f"{prefix}Error",
                resource_type_field_name=None,
                serializers=[*items, _UnknownParameterErrorSerializer],
                many=True,
            )

            class Meta:
                ref_name = f"{prefix}ValidationError"

        return ValidationErrorSerializer
