"""Strict query strings, and the schema helper that documents their errors.

Query strings are validated like bodies (DESIGN.md §3): ``validated_query`` refuses a
parameter the endpoint does not know, one given twice, or one given blank, with a 400 that
names it; ``documents_query_errors`` puts those 400s in the OpenAPI schema.
"""

from __future__ import annotations

from collections.abc import Iterable

from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import serializers

# Parameters a list endpoint always accepts (pagination and ordering are not in its
# query serializer). Documented in the schema by the paginator and the ordering filter.
PAGINATION_PARAMS = ("limit", "offset")


# --- strict query strings -------------------------------------------------------------------


class NoQuery(serializers.Serializer):
    """The query string of an endpoint that takes no parameters (pagination aside): with
    ``validated_query`` any parameter is a 400."""


def _error(detail: str, code: str) -> list[serializers.ErrorDetail]:
    return [serializers.ErrorDetail(detail, code=code)]


def check_query_params(request, *, allowed: Iterable[str]) -> None:
    """Refuse, with one 400 naming each offending parameter, a parameter not in ``allowed``
    (``unknown_parameter``), one given more than once (``multiple_values``) or one given
    blank (``blank``)."""
    known = set(allowed)
    errors = {}
    for name, values in request.query_params.lists():
        if name not in known:
            errors[name] = _error("Unknown query parameter.", "unknown_parameter")
        elif len(values) > 1:
            errors[name] = _error("Give this parameter once.", "multiple_values")
        elif values[0].strip() == "":
            errors[name] = _error("This parameter may not be blank.", "blank")
    if errors:
        raise serializers.ValidationError(errors)


def validated_query(
    serializer_class: type[serializers.Serializer],
    request,
    *,
    allowed: Iterable[str] = (),
    context: dict | None = None,
) -> dict:
    """The query string, validated by ``serializer_class`` after ``check_query_params``
    (``allowed`` adds names handled elsewhere, such as pagination)."""
    fields = serializer_class().fields
    check_query_params(request, allowed=[*fields, *allowed])
    data = {name: request.query_params[name] for name in fields if name in request.query_params}
    serializer = serializer_class(data=data, context=context or {})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class StrictQueryMixin:
    """For generic views and viewsets: on GET and HEAD, the query string may hold only the
    filterset's fields, ``ordering`` (with ordering fields), the pagination parameters (on
    paginated views) and the view's ``extra_query_params``; anything else is a 400."""

    extra_query_params: Iterable[str] = ()

    def allowed_query_params(self) -> set[str]:
        allowed = set(self.extra_query_params) | {"format"}  # DRF's own renderer override
        filterset_class = getattr(self, "filterset_class", None)
        if filterset_class is not None:
            allowed |= set(filterset_class.base_filters)
        if getattr(self, "ordering_fields", None):
            allowed.add("ordering")
        if getattr(self, "pagination_class", None) is not None:
            allowed |= set(PAGINATION_PARAMS)
        return allowed

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if request.method in ("GET", "HEAD"):
            check_query_params(request, allowed=self.allowed_query_params())


def _field_codes(field) -> set[str]:
    codes = set(field.error_messages) - {"required", "null"}
    child = getattr(field, "child", None)
    if child is not None:
        codes |= set(child.error_messages) - {"required", "null"}
    if isinstance(field, serializers.CharField) or isinstance(child, serializers.CharField):
        # From the validators DRF adds to every CharField.
        codes |= {"null_characters_not_allowed", "surrogate_characters_not_allowed"}
    return codes | {"invalid", "multiple_values", "blank"}


def documents_query_errors(
    query_serializer: type[serializers.Serializer] | None = None,
    *,
    extra: dict[str | None, Iterable[str]] | None = None,
    methods: Iterable[str] = ("get",),
    actions: Iterable[str] | None = None,
):
    """Declare in the OpenAPI schema the 400s a view raises for its query string (and any
    ``extra`` field -> codes, e.g. a path date), which drf-standardized-errors cannot see
    because the query serializer is used inside the view."""

    def decorate(view):
        codes: dict[str | None, set[str]] = {}
        if query_serializer is not None:
            name: str | None
            for name, field in query_serializer().fields.items():
                codes[name] = _field_codes(field)
            codes["non_field_errors"] = {"invalid"}
        for name, more in (extra or {}).items():
            codes[name] = codes.get(name, set()) | set(more)
        options: dict = {"methods": list(methods)}
        if actions is not None:
            options = {"actions": list(actions)}
        for name, error_codes in codes.items():
            view = extend_validation_errors(sorted(error_codes), field_name=name, **options)(view)
        return view

    return decorate
