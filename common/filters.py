"""Filters shared by the apps' FilterSets."""

import django_filters
from django import forms
from drf_spectacular.drainage import set_override

MAX_ID = 2**63 - 1  # PostgreSQL bigint


class IdFilter(django_filters.NumberFilter):
    """An integer id (no decimals, no out-of-range values reaching the database)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
        # The schema states the bounds (an integer, not a "number", from 1), so a client and
        # the fuzzer know that 0 or 1.5 is a 400; the label stays the parameter's description.
        schema = {"type": "integer", "minimum": kwargs["min_value"], "maximum": kwargs["max_value"]}
        if kwargs.get("label"):
            schema["description"] = str(kwargs["label"])
        set_override(self, "field", schema)
