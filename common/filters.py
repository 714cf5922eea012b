"""Filters shared by the apps' FilterSets."""

import django_filters
from django import forms
from drf_spectacular.drainage import set_override

MAX_ID = 2**63 - 1  # PostgreSQL bigint


def _document(filter_: django_filters.Filter, schema: dict, label) -> None:
    """State a filter's bounds in the schema (drf-spectacular does not read them from the
    form field), so that clients and the fuzzer know what is a 400; the label stays the
    parameter's description."""
    if label:
        schema["description"] = str(label)
    set_override(filter_, "field", schema)


class IntegerFilter(django_filters.NumberFilter):
    """A whole number between ``min_value`` and ``max_value`` (required), documented so."""

    field_class = forms.IntegerField

    def __init__(self, *args, min_value: int, max_value: int, **kwargs):
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)
        schema = {"type": "integer", "minimum": min_value, "maximum": max_value}
        _document(self, schema, kwargs.get("label"))


class IdFilter(IntegerFilter):
    """An integer id (no decimals, no out-of-range values reaching the database)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class BoundedCharFilter(django_filters.CharFilter):
    """A string of at most ``max_length`` characters (required), documented so."""

    def __init__(self, *args, max_length: int, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)
        schema = {"type": "string", "minLength": 1, "maxLength": max_length}
        _document(self, schema, kwargs.get("label"))
