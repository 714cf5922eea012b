"""Query strings of every analytics read: strict (unknown, repeated or blank parameters are a
400 naming them), any timestamp offset parsed in UTC, bounded event pages, never a 500."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from analytics.tests.factories import ListeningEventFactory
from catalog.tests.factories import OwnedArtistFactory

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/analytics/events/"
SUMMARY = "/api/v1/analytics/summary/"
TRENDS = "/api/v1/analytics/trends/"
DASHBOARD_DATA = "/admin/analytics/data/"


def error(attr, code, detail):
    return {"type": "validation_error", "errors": [{"code": code, "detail": detail, "attr": attr}]}


@pytest.fixture
def urls(editor):
    artist = OwnedArtistFactory()
    return {
        "summary": SUMMARY,
        "trends": TRENDS,
        "user": f"/api/v1/analytics/users/{editor.id}/",
        "artist": f"/api/v1/analytics/artists/{artist.id}/",
        "events": EVENTS,
    }


RANGE_PARAMS = {"summary": "from", "trends": "to", "user": "limit", "artist": "from"}


@pytest.mark.parametrize("endpoint", ["summary", "trends", "user", "artist", "events"])
@pytest.mark.parametrize(
    "query, attr, code, detail",
    [
        ("colour=red", "colour", "unknown_parameter", "Unknown query parameter."),
        ("{p}=2025-01-01&{p}=2025-01-02", "{p}", "multiple_values", "Give this parameter once."),
        ("{p}=", "{p}", "blank", "This parameter may not be blank."),
        ("{p}=%20", "{p}", "blank", "This parameter may not be blank."),
    ],
    ids=["unknown", "repeated", "blank", "space"],
)
def test_unknown_repeated_or_blank_parameters_are_a_400_naming_them(
    client_for, editor, urls, endpoint, query, attr, code, detail
):
    param = RANGE_PARAMS.get(endpoint, "to")
    query, attr = query.format(p=param), attr.format(p=param)
    response = client_for(editor).get(f"{urls[endpoint]}?{query}")
    assert response.status_code == 400
    assert response.json() == error(attr, code, detail)


@pytest.mark.parametrize("endpoint", ["summary", "trends", "user", "artist", "events"])
def test_nul_bytes_in_any_parameter_are_a_400(client_for, editor, urls, endpoint):
    params = ["from", "to", "limit"] if endpoint != "events" else [
        "from", "to", "user", "song", "action", "limit", "cursor",
    ]  # fmt: skip
    client = client_for(editor)
    for param in params:
        response = client.get(f"{urls[endpoint]}?{param}=1%00")
        assert response.status_code in (400, 404), (param, response.content)
        if param == "cursor":  # an unreadable cursor is DRF's 404 "Invalid cursor"
            continue
        assert response.status_code == 400
        assert [e["attr"] for e in response.json()["errors"]] == [param]


# --- timestamps with any UTC offset ----------------------------------------------------------


@pytest.mark.parametrize(
    "offset, before_bound, after_bound",
    [
        ("+16:00", "2025-12-31T07:59:59Z", "2025-12-31T08:00:01Z"),
        ("-16:00", "2026-01-01T15:59:59Z", "2026-01-01T16:00:01Z"),
        ("+23:59", "2025-12-31T00:00:59Z", "2025-12-31T00:01:01Z"),
    ],
)
def test_event_list_accepts_any_offset_and_compares_in_utc(
    client_for, editor, offset, before_bound, after_bound
):
    inside = ListeningEventFactory(occurred_at=datetime.fromisoformat(before_bound))
    outside = ListeningEventFactory(occurred_at=datetime.fromisoformat(after_bound))
    client = client_for(editor)

    up_to = client.get(EVENTS, {"to": f"2026-01-01T00:00:00{offset}"})
    assert up_to.status_code == 200, up_to.json()
    assert [e["id"] for e in up_to.json()["results"]] == [inside.id]

    since = client.get(EVENTS, {"from": f"2026-01-01T00:00:00{offset}"})
    assert since.status_code == 200
    assert [e["id"] for e in since.json()["results"]] == [outside.id]


@pytest.mark.parametrize(
    "value",
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-01-01T00:00:00+24:00"],
)
def test_event_list_refuses_times_outside_the_calendar(client_for, editor, value):
    response = client_for(editor).get(EVENTS, {"to": value})
    assert response.status_code == 400
    assert [(e["attr"], e["code"]) for e in response.json()["errors"]] == [("to", "invalid")]


@pytest.mark.parametrize("value", ["null", "none", "1", "yes", "True", "on"])
def test_the_flagged_filter_takes_true_or_false_only(client_for, editor, value):
    # DRF's BooleanField read "null" as "no filter" and "1"/"yes" as true; the schema says
    # boolean, which a query string carries as true or false.
    response = client_for(editor).get(EVENTS, {"flagged": value})
    assert response.status_code == 400
    assert [(e["attr"], e["code"]) for e in response.json()["errors"]] == [("flagged", "invalid")]


def test_the_flagged_filter_selects_flagged_or_counted_events(client_for, editor):
    counted = ListeningEventFactory()
    flagged = ListeningEventFactory(flagged=True, flag_reason="repeat")
    client = client_for(editor)
    ids = {
        value: {row["id"] for row in client.get(EVENTS, {"flagged": value}).json()["results"]}
        for value in ("true", "false")
    }
    assert ids == {"true": {flagged.pk}, "false": {counted.pk}}


# --- event page size -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "limit, code, detail",
    [
        ("0", "min_value", "Ensure this value is greater than or equal to 1."),
        ("501", "max_value", "Ensure this value is less than or equal to 500."),
        ("100000", "max_value", "Ensure this value is less than or equal to 500."),
        ("-3", "min_value", "Ensure this value is greater than or equal to 1."),
        ("x", "invalid", "A valid integer is required."),
        ("1.5", "invalid", "A valid integer is required."),
    ],
)
def test_a_bad_or_out_of_range_event_limit_is_a_400(client_for, editor, limit, code, detail):
    response = client_for(editor).get(EVENTS, {"limit": limit})
    assert response.status_code == 400
    assert response.json() == error("limit", code, detail)


def test_event_limits_within_bounds_are_honoured(client_for, editor):
    ListeningEventFactory.create_batch(3)
    client = client_for(editor)
    assert len(client.get(EVENTS, {"limit": "2"}).json()["results"]) == 2
    assert len(client.get(EVENTS, {"limit": "500"}).json()["results"]) == 3
    page = client.get(EVENTS, {"limit": "1"}).json()
    # The next link keeps the page size and is itself a valid query string.
    assert "limit=1" in page["next"]
    assert len(client.get(page["next"]).json()["results"]) == 1


def test_event_filters_and_page_size_are_documented_with_their_bounds():
    from django.urls import include, path
    from drf_spectacular.generators import SchemaGenerator

    patterns = [path("api/v1/", include("analytics.urls"))]
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    parameters = {
        p["name"]: p for p in schema["paths"]["/api/v1/analytics/events/"]["get"]["parameters"]
    }
    assert set(parameters) == {
        "cursor", "limit", "user", "song", "action", "flagged", "from", "to"
    }  # fmt: skip
    assert parameters["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 500,
        "default": 50,
    }
    # a blank parameter is a 400, so the schema says a string has at least one character
    assert parameters["to"]["schema"] == {"type": "string", "format": "date-time", "minLength": 1}
    assert parameters["action"]["schema"]["enum"] == ["play", "complete", "skip", "like", "share"]


# --- the staff dashboard's data endpoint (a Django view, same rules) -------------------------


@pytest.mark.parametrize(
    "query, attr, code",
    [
        ("colour=red", "colour", "unknown_parameter"),
        ("from=2025-01-01&from=2025-01-02", "from", "multiple_values"),
        ("to=", "to", "blank"),
        ("to=2025%00", "to", "invalid"),
    ],
)
def test_dashboard_data_validates_its_query_string(editor, query, attr, code):
    client = Client()
    client.force_login(editor)
    response = client.get(f"{DASHBOARD_DATA}?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert [(e["attr"], e["code"]) for e in body["errors"]] == [(attr, code)]


def test_dashboard_data_answers_a_valid_range(editor):
    client = Client()
    client.force_login(editor)
    today = datetime.now(UTC).date()
    response = client.get(
        DASHBOARD_DATA, {"from": (today - timedelta(days=2)).isoformat(), "to": today.isoformat()}
    )
    assert response.status_code == 200
    assert len(response.json()["daily"]) == 3
