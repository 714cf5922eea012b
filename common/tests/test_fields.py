"""JSON request bodies take exactly the JSON type their schema states (common.fields)."""

import re
from datetime import date

import pytest
from rest_framework import serializers

from common.fields import (
    JSONBodyModelSerializer,
    JSONBodySerializer,
    JSONBooleanField,
    QueryBooleanField,
    date_in_years_pattern,
    json_strict,
)
from users.models import User


class Nested(serializers.Serializer):  # a plain serializer, strict once nested in a body
    level = serializers.IntegerField()


class Body(JSONBodySerializer):
    name = serializers.CharField(max_length=10)
    email = serializers.EmailField(required=False)
    code = serializers.RegexField(r"^[a-z]+$", required=False)
    count = serializers.IntegerField(required=False, min_value=0)
    ratio = serializers.FloatField(required=False)
    flag = serializers.BooleanField(required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)
    nested = Nested(required=False)
    label = serializers.CharField(read_only=True)


def errors(data) -> dict:
    body = Body(data=data)
    assert not body.is_valid()
    return {name: [e.code for e in errs] for name, errs in body.errors.items()}


@pytest.mark.parametrize(
    "data, field, code",
    [
        ({"name": 5}, "name", "invalid"),  # DRF's CharField would store "5"
        ({"name": 1.5}, "name", "invalid"),
        ({"name": "a", "email": 7}, "email", "invalid"),
        ({"name": "a", "code": 12}, "code", "invalid"),
        ({"name": "a", "count": "3"}, "count", "invalid"),  # DRF's IntegerField reads "3"
        ({"name": "a", "count": True}, "count", "invalid"),
        ({"name": "a", "ratio": "0.5"}, "ratio", "invalid"),
        ({"name": "a", "ratio": True}, "ratio", "invalid"),  # DRF's FloatField reads 1.0
        ({"name": "a", "flag": 1}, "flag", "invalid"),
        ({"name": "a", "flag": "true"}, "flag", "invalid"),
        ({"name": "a", "user": "1"}, "user", "incorrect_type"),  # DRF looks "1" up
        ({"name": "a", "user": 1.5}, "user", "incorrect_type"),  # Django rounds 1.5 down
    ],
)
def test_a_json_body_refuses_what_its_schema_type_forbids(data, field, code):
    assert errors(data)[field] == [code]


def test_children_of_lists_and_nested_serializers_are_strict():
    body = Body(data={"name": "a", "tags": ["x", 5], "nested": {"level": "2"}})
    assert not body.is_valid()
    assert body.errors["tags"][1][0].code == "invalid"
    assert body.errors["nested"]["level"][0].code == "invalid"


@pytest.mark.django_db
def test_what_the_schema_allows_is_taken_unchanged():
    user = User.objects.create(username="strict-fields")
    data = {
        "name": "a",
        "email": "a@example.com",
        "code": "abc",
        "count": 3.0,  # an integer in JSON Schema
        "ratio": 2,
        "flag": False,
        "tags": ["x"],
        "user": float(user.pk),
        "nested": {"level": 2},
    }
    body = Body(data=data)
    assert body.is_valid(), body.errors
    assert body.validated_data == {**data, "count": 3, "user": user, "nested": {"level": 2}}


def test_the_bounds_and_messages_of_the_original_fields_stay():
    assert errors({"name": "x" * 11})["name"] == ["max_length"]
    assert errors({"name": "a", "count": -1})["count"] == ["min_value"]
    assert errors({"name": "a", "email": "nope"})["email"] == ["invalid"]


def test_model_serializers_get_strict_generated_fields():
    class UserBody(JSONBodyModelSerializer):
        class Meta:
            model = User
            fields = ["display_name"]

    body = UserBody(data={"display_name": 5})
    assert not body.is_valid()
    assert body.errors["display_name"][0].code == "invalid"


def test_strict_fields_are_left_as_they_are():
    field = JSONBooleanField()
    assert json_strict(field) is field
    read_only = serializers.CharField(read_only=True)
    assert json_strict(read_only) is read_only
    assert Body().fields["label"].__class__ is serializers.CharField


def test_query_booleans_are_true_or_false_only():
    class Query(serializers.Serializer):
        flag = QueryBooleanField(required=False)

    for raw, expected in (("true", True), ("false", False)):
        query = Query(data={"flag": raw})
        assert query.is_valid() and query.validated_data == {"flag": expected}
    for raw in ("null", "none", "1", "yes", "True", ""):
        query = Query(data={"flag": raw})
        assert not query.is_valid(), raw
        assert query.errors["flag"][0].code == "invalid"
    query = Query(data={})
    assert query.is_valid() and query.validated_data == {}


def test_date_in_years_pattern_is_exactly_the_calendar_days_of_those_years():
    pattern = re.compile(date_in_years_pattern(1900, 2100))
    for year in [1, 259, 1899, 1900, 1999, 2000, 2024, 2023, 2100, 2101, 9999]:
        for month in range(1, 13):
            for day in range(1, 32):
                text = f"{year:04d}-{month:02d}-{day:02d}"
                try:
                    expected = 1900 <= date(year, month, day).year <= 2100
                except ValueError:  # 30 February, 31 April, 29 February 2100...
                    expected = False
                assert bool(pattern.match(text)) == expected, text


def test_request_strings_state_in_the_schema_what_drf_refuses(client):
    schema = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    title = schema["AlbumInputRequest"]["properties"]["title"]  # may not be blank
    assert re.match(title["pattern"], "Blue") and not re.match(title["pattern"], "   ")
    assert not re.match(title["pattern"], "a\x00b")
    bio = schema["PatchedUserPrivateRequest"]["properties"]["bio"]  # blank allowed
    assert [re.match(b.get("pattern", "^$"), "") is not None for b in bio["oneOf"]].count(
        True
    ) == 1  # "" matches exactly one branch of the oneOf
    username = schema["RegisterInputRequest"]["properties"]["username"]
    assert username["pattern"] == r"^[\w.@+-]+$"  # a field's own pattern is kept
    assert "pattern" not in schema["UserPrivate"]["properties"]["bio"]  # responses unchanged
