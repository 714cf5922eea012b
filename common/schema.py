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


def _singular(segment: str) -> str:
    noun = segment.replace("-", " ")
    return noun[:-1] if noun.endswith("s") else noun


class ProjectAutoSchema(AutoSchema):
    def _get_parameters(self):
        # Typed path converters (``<int:pk>``, ``\d+``) and bare ``OpenApiParameter``s leave a
        # path parameter's description empty; say whose identifier it is, from the path
        # segment it follows (``/albums/{id}/`` -> "The album's id."). A description given
        # with ``OpenApiParameter`` still wins.
        parameters = super()._get_parameters()
        segments = [part for part in self.path.split("/") if part]
        for parameter in parameters:
            if parameter.get("description") or parameter.get("in") != "path":
                continue
            name = parameter["name"]
            placeholder = "{" + name + "}"
            index = segments.index(placeholder) if placeholder in segments else 0
            owner = _singular(segments[index - 1]) if index > 0 else "resource"
            if name in ("id", "pk"):
                parameter["description"] = f"The {owner}'s id."
            elif name.endswith("_id"):
                parameter["description"] = f"The {name[:-3].replace('_', ' ')}'s id."
            else:
                parameter["description"] = f"The {owner}'s {name.replace('_', ' ')}."
        # Strict query strings refuse a blank parameter (400 "blank"): say so in the schema,
        # or a client (and the fuzzer) reads ``?search=`` as valid.
        for parameter in parameters:
            if parameter.get("in") != "query":
                continue
            schema = parameter.get("schema", {})
            for part in (schema, schema.get("items", {})):
                if part.get("type") == "string" and "enum" not in part:
                    part.setdefault("minLength", 1)
        return parameters

    def _get_request_body(self, direction="request"):
        # A body schema written by hand (``request={media type: schema}``, e.g. the event
        # batch) describes a body the endpoint needs; drf-spectacular cannot tell, and marks
        # it optional, so an empty request would be "valid" by the schema.
        body = super()._get_request_body(direction)
        if body is not None and isinstance(self.get_request_serializer(), dict):
            body["required"] = True
        return body

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
