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
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS

SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]{1,100}$")


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
