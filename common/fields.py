"""Serializer fields with the input rules every app needs.

- ``UTCDateTimeField``: any ISO 8601 offset in, UTC out. PostgreSQL refuses offsets of
  ±16:00 and more (``timestamptz`` input), so a value such as ``...+16:00`` must become UTC
  before it reaches a query, not a 500.
- ``SafeSlugRelatedField``: a slug lookup that refuses NUL and other characters a slug cannot
  hold before querying (PostgreSQL cannot even compare a string containing NUL); with
  ``many=True`` only a JSON array is a list (DRF takes any iterable: ``{}`` or a dict's keys).
- ``JSONBooleanField``: ``true`` or ``false`` only. DRF's BooleanField also takes 0/1, "yes",
  "on"..., which the schema (``type: boolean``) does not promise; bodies are JSON only, so the
  lenient forms would only ever come from a client bug.
- ``JSONCharField`` (and any string field through ``json_strict``): a JSON string only. DRF's
  CharField, EmailField, RegexField... turn a number into its text (``"name": 5`` -> ``"5"``);
  the schema says ``type: string``. Likewise integers and numbers take no strings (DRF reads
  ``"5"`` as 5 and ``true`` as 1.0) and an integer id takes no string or fraction.
- ``QueryBooleanField``: a query-string boolean is ``true`` or ``false``, as the schema
  serializes one; DRF's BooleanField also takes "1", "yes", "on"... and, with ``allow_null``,
  "null" or "none" (read as "no filter", which no schema says).
- ``JSONBodySerializer`` / ``JSONBodyModelSerializer``: the base of every serializer that reads
  a JSON request body. Each writable field, declared or generated, nested or a list's child,
  is swapped for its strict JSON form above, in one place: a new field is strict without anyone
  remembering to. Query-string and multipart serializers must not use them (those values are
  always text).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.core.validators import RegexValidator
from django.db import models
from django.utils.dateparse import parse_datetime
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.relations import MANY_RELATION_KWARGS

SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]{1,100}$")
# DRF's string fields refuse NUL (PostgreSQL text cannot hold it), and one that may not be
# blank refuses whitespace only (it is trimmed first): the schema says so with these.
NO_NUL_PATTERN = r"^[^\x00]*$"
SOME_TEXT_PATTERN = r"^[^\x00]+$"
NOT_BLANK_PATTERN = r"^[^\x00]*[^\s\x00][^\x00]*$"


def parse_utc_datetime(value: str) -> datetime | None:
    """``value`` (ISO 8601, with or without an offset; naive means UTC) in UTC, or None."""
    try:
        parsed = parse_datetime(value.strip())
    except (ValueError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 pushed out of range by the offset
        return None


def is_slug(value: object) -> bool:
    return isinstance(value, str) and SLUG_RE.match(value) is not None


class UTCDateTimeField(serializers.DateTimeField):
    def to_internal_value(self, value):
        if isinstance(value, str):
            parsed = parse_utc_datetime(value)
            if parsed is None:
                self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]")
            return parsed
        return super().to_internal_value(value).astimezone(UTC)


class JSONListRelatedField(serializers.ManyRelatedField):
    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


class SafeSlugRelatedField(serializers.SlugRelatedField):
    @classmethod
    def many_init(cls, *args, **kwargs):
        # DRF's RelatedField.many_init, with the list field that wants a JSON array.
        list_kwargs: dict[str, Any] = {"child_relation": cls(*args, **kwargs)}
        for key in kwargs:
            if key in MANY_RELATION_KWARGS:
                list_kwargs[key] = kwargs[key]
        return JSONListRelatedField(**list_kwargs)

    def to_internal_value(self, data):
        if not is_slug(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:100])
        return super().to_internal_value(data)


class JSONBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


def _digits_pattern(low: str, high: str) -> str:
    """A regular expression for the numbers ``low``..``high``, written with as many digits."""
    if low == high:
        return low
    if low == "0" * len(low) and high == "9" * len(high):
        return f"[0-9]{{{len(low)}}}"
    if len(low) == 1:
        return f"[{low}-{high}]"
    if low[0] == high[0]:
        return f"{low[0]}(?:{_digits_pattern(low[1:], high[1:])})"
    rest = len(low) - 1
    parts = [f"{low[0]}(?:{_digits_pattern(low[1:], '9' * rest)})"]
    if int(high[0]) - int(low[0]) > 1:
        parts.append(f"[{int(low[0]) + 1}-{int(high[0]) - 1}][0-9]{{{rest}}}")
    parts.append(f"{high[0]}(?:{_digits_pattern('0' * rest, high[1:])})")
    return "|".join(parts)


def date_in_years_pattern(first: int, last: int) -> str:
    """The ``pattern`` of a calendar day YYYY-MM-DD in the years ``first``..``last``.

    OpenAPI 3.0 has no bounds for a ``format: date``; this states them exactly, including
    which days a month has and 29 February in leap years only.
    """
    years = _digits_pattern(f"{first:04d}", f"{last:04d}")
    leap_years = "|".join(
        str(year)
        for year in range(first, last + 1)
        if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    )
    days = (
        "(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
        "|(?:0[13-9]|1[0-2])-(?:29|30)"
        "|(?:0[13578]|1[02])-31"
    )
    return f"^(?:(?:{years})-(?:{days})|(?:{leap_years})-02-29)$"


class QueryBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}
    # DRF reads a boolean missing from a QueryDict as false; missing means "not given".
    default_empty_html = empty

    def to_internal_value(self, data):
        if data == "true":
            return True
        if data == "false":
            return False
        self.fail("invalid", input=data)


class JSONStringMixin:
    """A JSON string only (DRF's string fields take numbers and turn them into text)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError("Not a valid string.", code="invalid")
        return super().to_internal_value(data)  # type: ignore[misc]


class JSONNumberMixin:
    """A JSON number only: no string (DRF reads ``"5"``) and no boolean (``true`` is 1.0)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class JSONIntegerIdMixin:
    """An integer id only: DRF looks up ``"5"`` and Django rounds ``1.5`` down to 1."""

    def to_internal_value(self, data):
        if isinstance(data, float) and data.is_integer():
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class JSONCharField(JSONStringMixin, serializers.CharField):
    pass


class JSONStringSchema(OpenApiSerializerFieldExtension):
    """A strict string field of a request body states what DRF refuses besides its length:
    NUL, and whitespace only when it may not be blank (DRF trims first), unless its own
    pattern, format or choices say more. drf-spectacular then adds the ``""`` of a
    blank-allowed field as a second ``oneOf`` branch; the pattern leaves ``""`` out so
    that the two branches stay apart."""

    target_class = JSONStringMixin
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        schema = auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        has_pattern = any(isinstance(v, RegexValidator) for v in field.validators)
        if direction == "request" and not has_pattern and not {"format", "enum"} & set(schema):
            blank_refused = not field.allow_blank and field.trim_whitespace
            schema["pattern"] = NOT_BLANK_PATTERN if blank_refused else SOME_TEXT_PATTERN
        return schema


class JSONIntegerField(JSONNumberMixin, serializers.IntegerField):
    pass


class JSONFloatField(JSONNumberMixin, serializers.FloatField):
    pass


# The lenient DRF field types and the strict mixin each takes in a JSON body. Subclasses are
# covered too (EmailField, RegexField, simplejwt's PasswordField...): see ``_strict_class``.
_STRICT_MIXINS: tuple[tuple[type[serializers.Field], type], ...] = (
    (serializers.CharField, JSONStringMixin),
    (serializers.IntegerField, JSONNumberMixin),
    (serializers.FloatField, JSONNumberMixin),
    (serializers.PrimaryKeyRelatedField, JSONIntegerIdMixin),
)
_STRICT_CLASSES: dict[type, type] = {
    serializers.BooleanField: JSONBooleanField,
    serializers.CharField: JSONCharField,
    serializers.IntegerField: JSONIntegerField,
    serializers.FloatField: JSONFloatField,
}


@cache
def _strict_class(field_class: type) -> type | None:
    """The strict JSON form of ``field_class``, or None when it is strict already or has none."""
    if field_class in _STRICT_CLASSES:
        return _STRICT_CLASSES[field_class]
    if issubclass(field_class, JSONBooleanField | JSONStringMixin | JSONNumberMixin):
        return None
    if issubclass(field_class, JSONIntegerIdMixin):
        return None
    for lenient, mixin in _STRICT_MIXINS:
        if issubclass(field_class, lenient):
            name = f"JSON{field_class.__name__}"
            return type(name, (mixin, field_class), {"__module__": __name__})
    return None


def json_strict(field: Any) -> Any:
    """``field`` taking exactly the JSON type the schema states for it (see the module doc).

    Scalar fields are rebuilt from their arguments (as DRF's own ``deepcopy`` of a field does);
    containers and nested serializers get strict children in place.
    """
    if field.read_only:
        return field
    if isinstance(field, serializers.ListSerializer):
        _strict_children(field.child)
    elif isinstance(field, serializers.BaseSerializer):
        _strict_children(field)
    elif isinstance(field, serializers.ListField | serializers.DictField):
        child = json_strict(field.child)
        if child is not field.child:
            field.child = child
            child.bind(field_name="", parent=field)
    elif isinstance(field, serializers.ManyRelatedField):
        relation = json_strict(field.child_relation)
        if relation is not field.child_relation:
            field.child_relation = relation
            relation.bind(field_name="", parent=field)
    elif isinstance(field, serializers.PrimaryKeyRelatedField) and not _integer_ids(field):
        return field
    else:
        strict_class = _strict_class(field.__class__)
        if strict_class is not None:
            return strict_class(*field._args, **field._kwargs)
    return field


def _integer_ids(field: Any) -> bool:
    if field.queryset is None or field.pk_field is not None:
        return False
    pk = field.queryset.model._meta.pk
    while pk.is_relation:  # a one-to-one primary key: the id of the row it points to
        pk = pk.target_field
    return isinstance(pk, models.IntegerField)  # AutoField and BigAutoField are ones too


def _strict_children(serializer) -> None:
    if isinstance(serializer, JSONBodyMixin):
        return  # its own get_fields made them strict
    for name, field in list(serializer.fields.items()):
        serializer.fields[name] = json_strict(field)


class JSONBodyMixin:
    """Every writable field takes exactly the JSON type the schema states (see the module doc)."""

    def get_fields(self):
        fields = super().get_fields()  # type: ignore[misc]
        return {name: json_strict(field) for name, field in fields.items()}


class JSONBodySerializer(JSONBodyMixin, serializers.Serializer):
    """The base of serializers that read a JSON request body."""


class JSONBodyModelSerializer(JSONBodyMixin, serializers.ModelSerializer):
    """The base of model serializers that read a JSON request body."""
