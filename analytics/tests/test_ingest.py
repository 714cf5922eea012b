import json
from datetime import timedelta
from datetime import timezone as dt_timezone

import pytest
from django.utils import timezone

from analytics import services
from analytics.models import ListeningEvent
from analytics.serializers import MAX_BATCH, MAX_POSITION_MS, EventIn
from analytics.services import EventError
from catalog.tests.factories import AlbumFactory, SongFactory
from common.errors import ValidationFailed

URL = "/api/v1/analytics/events/"
pytestmark = pytest.mark.django_db


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_single_event_is_stored_with_every_field(client_for, listener, song):
    occurred = timezone.now() - timedelta(minutes=5)
    body = {
        "song": song.id,
        "action": "skip",
        "occurred_at": iso(occurred),
        "position_ms": 12_000,
        "context": {"source": "playlist", "id": 42, "device": "ios"},
        "event_id": "evt-1",
    }
    response = client_for(listener).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {"accepted": 1, "duplicates": 0}
    event = ListeningEvent.objects.get()
    assert (event.user_id, event.song_id, event.action) == (listener.id, song.id, "skip")
    assert event.occurred_at == occurred
    assert event.position_ms == 12_000
    assert event.context == {"source": "playlist", "id": 42, "device": "ios"}
    assert event.event_id == "evt-1"
    assert event.received_at >= event.occurred_at


def test_occurred_at_defaults_to_now(client_for, listener, song):
    before = timezone.now()
    response = client_for(listener).post(URL, {"song": song.id, "action": "play"}, format="json")
    assert response.status_code == 201
    event = ListeningEvent.objects.get()
    assert before <= event.occurred_at <= timezone.now()
    assert event.context is None and event.event_id is None and event.position_ms is None


def test_batch_of_the_maximum_size_is_accepted(client_for, listener, song):
    batch = [{"song": song.id, "action": "play"} for _ in range(MAX_BATCH)]
    response = client_for(listener).post(URL, batch, format="json")
    assert response.status_code == 201
    assert response.json() == {"accepted": MAX_BATCH, "duplicates": 0}
    assert ListeningEvent.objects.count() == MAX_BATCH


def _error_attrs(response) -> list[str]:
    return [error["attr"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    "body, attr",
    [
        ([], "non_field_errors"),
        ("play", "non_field_errors"),
        (42, "non_field_errors"),
        ([{"song": 1, "action": "play"}] * (MAX_BATCH + 1), "non_field_errors"),
    ],
    ids=["empty", "string", "number", "too-many"],
)
def test_batch_shape_is_validated(client_for, listener, song, body, attr):
    response = client_for(listener).post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert _error_attrs(response) == [attr]
    assert ListeningEvent.objects.count() == 0


def _invalid_items(song, hidden_song):
    now = timezone.now()
    return [
        ({"action": "play"}, "song", "required"),
        ({"song": "abc", "action": "play"}, "song", "invalid"),
        ({"song": True, "action": "play"}, "song", "invalid"),
        ({"song": 10**12, "action": "play"}, "song", "does_not_exist"),
        ({"song": hidden_song.id, "action": "play"}, "song", "does_not_exist"),
        ({"song": song.id}, "action", "required"),
        ({"song": song.id, "action": "pause"}, "action", "invalid_choice"),
        ({"song": song.id, "action": ["play"]}, "action", "invalid_choice"),
        ({"song": song.id, "action": "play", "occurred_at": "yesterday"}, "occurred_at", "invalid"),
        (
            {"song": song.id, "action": "play", "occurred_at": "2025-01-01T10:00:00"},
            "occurred_at",
            "invalid",
        ),
        (
            {"song": song.id, "action": "play", "occurred_at": iso(now + timedelta(hours=2))},
            "occurred_at",
            "max_value",
        ),
        (
            {"song": song.id, "action": "play", "occurred_at": iso(now - timedelta(days=31))},
            "occurred_at",
            "min_value",
        ),
        ({"song": song.id, "action": "play", "position_ms": -1}, "position_ms", "min_value"),
        ({"song": song.id, "action": "play", "position_ms": "x"}, "position_ms", "invalid"),
        (
            {"song": song.id, "action": "play", "position_ms": 200_001},
            "position_ms",
            "past_song_end",
        ),
        # The schema says integer: a string of digits is not one (it used to be read as one).
        ({"song": str(song.id), "action": "play"}, "song", "invalid"),
        ({"song": song.id, "action": "play", "position_ms": "1000"}, "position_ms", "invalid"),
        ({"song": song.id + 0.5, "action": "play"}, "song", "invalid"),
        ({"song": song.id, "action": "play", "context": "album"}, "context", "invalid"),
        ({"song": song.id, "action": "play", "context": {"x": 1}}, "context", "unknown_field"),
        (
            {"song": song.id, "action": "play", "context": {"source": "radio"}},
            "context",
            "invalid_choice",
        ),
        ({"song": song.id, "action": "play", "context": {"id": "x" * 65}}, "context", "invalid"),
        ({"song": song.id, "action": "play", "context": {"device": 7}}, "context", "invalid"),
        ({"song": song.id, "action": "play", "event_id": ""}, "event_id", "invalid"),
        ({"song": song.id, "action": "play", "event_id": "a b"}, "event_id", "invalid"),
        ({"song": song.id, "action": "play", "event_id": "x" * 65}, "event_id", "invalid"),
        ({"song": song.id, "action": "play", "event_id": 5}, "event_id", "invalid"),
        ({"song": song.id, "action": "play", "volume": 3}, "volume", "unknown_field"),
        ("not an object", "non_field_errors", "invalid"),
    ]


def test_every_field_is_validated_and_a_bad_item_stores_nothing(client_for, listener, song):
    hidden_song = SongFactory(is_visible=False)
    client = client_for(listener)
    valid = {"song": song.id, "action": "play"}
    for item, field, code in _invalid_items(song, hidden_song):
        response = client.post(URL, [valid, valid, item, valid], format="json")
        assert response.status_code == 400, (item, response.json())
        body = response.json()
        assert body["type"] == "validation_error"
        assert [(e["attr"], e["code"]) for e in body["errors"]] == [(f"2.{field}", code)], item
        assert ListeningEvent.objects.count() == 0


def test_single_event_errors_name_the_field_only(client_for, listener, song):
    response = client_for(listener).post(URL, {"song": song.id, "action": "x"}, format="json")
    assert response.status_code == 400
    assert _error_attrs(response) == ["action"]


def test_all_bad_items_are_reported(client_for, listener, song):
    batch = [{"song": song.id, "action": "play"}, {"song": "x", "action": "y"}, {}]
    response = client_for(listener).post(URL, batch, format="json")
    assert response.status_code == 400
    assert _error_attrs(response) == ["1.song", "1.action", "2.song", "2.action"]


def test_song_in_a_hidden_album_is_refused(client_for, listener):
    hidden = SongFactory(album=AlbumFactory(is_visible=False))
    response = client_for(listener).post(URL, {"song": hidden.id, "action": "play"}, format="json")
    assert response.status_code == 400
    assert _error_attrs(response) == ["song"]


def test_position_up_to_the_song_duration_is_fine(client_for, listener, song):
    body = {"song": song.id, "action": "complete", "position_ms": song.duration_ms}
    assert client_for(listener).post(URL, body, format="json").status_code == 201


def test_retried_batch_is_counted_once(client_for, listener, song):
    client = client_for(listener)
    batch = [{"song": song.id, "action": "play", "event_id": f"e{i}"} for i in range(3)]
    assert client.post(URL, batch, format="json").json() == {"accepted": 3, "duplicates": 0}
    retry = [*batch, {"song": song.id, "action": "complete", "event_id": "e3"}]
    assert client.post(URL, retry, format="json").json() == {"accepted": 1, "duplicates": 3}
    assert ListeningEvent.objects.count() == 4


def test_duplicate_event_ids_inside_one_batch_count_once(client_for, listener, song):
    batch = [{"song": song.id, "action": "play", "event_id": "same"}] * 2
    response = client_for(listener).post(URL, batch, format="json")
    assert response.json() == {"accepted": 1, "duplicates": 1}


def test_event_ids_are_per_user(client_for, listener, editor, song):
    body = {"song": song.id, "action": "play", "event_id": "shared-id"}
    assert client_for(listener).post(URL, body, format="json").json()["accepted"] == 1
    assert client_for(editor).post(URL, body, format="json").json()["accepted"] == 1


def test_events_without_event_id_are_never_deduplicated(client_for, listener, song):
    body = [{"song": song.id, "action": "play"}] * 2
    assert client_for(listener).post(URL, body, format="json").json()["accepted"] == 2


def test_anonymous_callers_cannot_post(api_client, song):
    response = api_client.post(URL, {"song": song.id, "action": "play"}, format="json")
    assert response.status_code == 401
    assert ListeningEvent.objects.count() == 0


def test_oversized_body_is_refused(client_for, listener, song):
    padding = {"song": song.id, "action": "play", "event_id": "x" * 64}
    body = json.dumps([padding] * 6000)  # ~500 KB+ of JSON
    response = client_for(listener).generic("POST", URL, body, content_type="application/json")
    assert response.status_code == 413
    assert ListeningEvent.objects.count() == 0


def test_malformed_json_is_a_400(client_for, listener):
    response = client_for(listener).generic("POST", URL, "[{", content_type="application/json")
    assert response.status_code == 400
    assert ListeningEvent.objects.count() == 0


def test_form_bodies_are_refused(client_for, listener, song):
    response = client_for(listener).post(
        URL, {"song": song.id, "action": "play"}, format="multipart"
    )
    assert response.status_code == 415


@pytest.mark.parametrize("hours, minutes", [(16, 0), (-16, 0), (23, 59), (-23, -59)])
def test_occurred_at_with_any_utc_offset_is_stored_in_utc(
    client_for, listener, song, hours, minutes
):
    # PostgreSQL refuses offsets of ±16:00 and more: the time must reach it in UTC.
    occurred = (timezone.now() - timedelta(minutes=5)).replace(microsecond=0)
    local = occurred.astimezone(dt_timezone(timedelta(hours=hours, minutes=minutes)))
    body = {"song": song.id, "action": "play", "occurred_at": local.isoformat()}
    response = client_for(listener).post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert ListeningEvent.objects.get().occurred_at == occurred


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:30:00+01:00", "2026-01-01T00:00:00+24:00", "2026-01-01"]
)
def test_occurred_at_outside_the_calendar_or_without_offset_is_a_400(
    client_for, listener, song, value
):
    body = {"song": song.id, "action": "play", "occurred_at": value}
    response = client_for(listener).post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "invalid",
                "detail": "Use ISO 8601 with a timezone, e.g. 2025-01-31T20:15:00Z.",
                "attr": "occurred_at",
            }
        ],
    }
    assert ListeningEvent.objects.count() == 0


def test_every_refused_song_of_a_batch_is_reported(client_for, listener, song):
    hidden = SongFactory(is_visible=False)
    batch = [
        {"song": song.id, "action": "play"},
        {"song": hidden.id, "action": "play"},
        {"song": song.id, "action": "complete", "position_ms": song.duration_ms + 1},
        {"song": 10**9, "action": "play"},
    ]
    response = client_for(listener).post(URL, batch, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {"code": "does_not_exist", "detail": "Song not found.", "attr": "1.song"},
            {
                "code": "past_song_end",
                "detail": "Past the end of the song.",
                "attr": "2.position_ms",
            },
            {"code": "does_not_exist", "detail": "Song not found.", "attr": "3.song"},
        ],
    }
    assert ListeningEvent.objects.count() == 0


def test_the_ingest_service_raises_a_domain_error(listener, song):
    hidden = SongFactory(is_visible=False)
    events = [
        EventIn(song.id, "play", timezone.now(), None, None, None),
        EventIn(hidden.id, "play", timezone.now(), None, None, None),
    ]
    with pytest.raises(ValidationFailed) as raised:
        services.events_ingest(user=listener, events=events)
    assert isinstance(raised.value, services.EventsRejected)
    assert (raised.value.attr, raised.value.code) == ("1.song", "does_not_exist")
    assert raised.value.rejected == {1: EventError("song", "Song not found.", "does_not_exist")}
    assert ListeningEvent.objects.count() == 0


def test_the_event_schema_states_the_bounds_the_parser_applies(api_client):
    operation = api_client.get("/api/schema/?format=json").json()["paths"][URL]["post"]
    body = operation["requestBody"]
    assert body["required"] is True  # an empty request is a 400, not a valid one
    event = body["content"]["application/json"]["schema"]["oneOf"][0]["properties"]
    assert event["position_ms"]["maximum"] == MAX_POSITION_MS
    assert event["context"]["properties"]["device"]["minLength"] == 1
    for code in ("past_song_end", "complete_before_end", "skip_at_end"):
        assert f"`{code}`" in operation["description"]
