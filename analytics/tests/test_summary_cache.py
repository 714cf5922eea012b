"""GET /analytics/summary/ is stored per caller: never shared, never stale after a write."""

import pytest

from analytics import services
from catalog.tests.factories import SongFactory
from users.tests.factories import EditorFactory, UserFactory

URL = "/api/v1/analytics/summary/"
EVENTS = "/api/v1/analytics/events/"
pytestmark = pytest.mark.django_db


def read(client):
    response = client.get(URL)
    assert response.status_code == 200, response.content
    return response


def post_events(client, *events):
    response = client.post(EVENTS, list(events), format="json")
    assert response.status_code == 201, response.content


def test_second_read_is_the_stored_summary(client_for, editor):
    client = client_for(editor)
    first, second = read(client), read(client)

    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert second.content == first.content
    assert second["Cache-Control"] == "private, no-cache"
    assert client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_a_like_is_counted_at_once(client_for, editor):
    song = SongFactory()
    listener = client_for(UserFactory())
    post_events(listener, {"song": song.id, "action": "play"})
    staff = client_for(editor)
    before = read(staff).json()
    assert read(staff)["X-Cache"] == "hit"

    post_events(listener, {"song": song.id, "action": "like"})

    after = read(staff).json()
    assert after["events_by_action"]["like"] == before["events_by_action"]["like"] + 1


def test_a_rollup_run_is_shown_at_once(client_for, editor):
    song = SongFactory()
    post_events(client_for(UserFactory()), {"song": song.id, "action": "play"})
    staff = client_for(editor)
    before = read(staff).json()
    assert read(staff)["X-Cache"] == "hit"

    services.rollup_run()

    response = read(staff)
    assert response["X-Cache"] == "miss"
    after = response.json()
    assert after["rolled_up_through"] is not None
    assert after["rolled_up_through"] != before["rolled_up_through"]
    assert after["plays"] == before["plays"] == 1


def test_accounts_and_song_titles_are_current(client_for, editor):
    song = SongFactory(title="Old title")
    post_events(client_for(UserFactory()), {"song": song.id, "action": "play"})
    staff = client_for(editor)
    users_before = read(staff).json()["total_users"]
    assert read(staff)["X-Cache"] == "hit"

    UserFactory()
    assert read(staff).json()["total_users"] == users_before + 1
    assert read(staff)["X-Cache"] == "hit"

    song.title = "New title"
    song.save()
    assert read(staff).json()["top_songs"][0]["song"]["title"] == "New title"


def test_summaries_are_never_shared_between_callers(client_for, editor):
    other = EditorFactory()
    assert read(client_for(editor))["X-Cache"] == "miss"
    assert read(client_for(editor))["X-Cache"] == "hit"

    assert read(client_for(other))["X-Cache"] == "miss"


def test_a_stored_summary_is_still_refused_to_non_staff(client_for, editor):
    read(client_for(editor))
    assert read(client_for(editor))["X-Cache"] == "hit"

    assert client_for(UserFactory()).get(URL).status_code == 403
    assert client_for(None).get(URL).status_code == 401
