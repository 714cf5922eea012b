"""Read endpoints: whole response shapes, query counts, the staff event list."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics import services
from analytics.tests.factories import ListeningEventFactory
from catalog.tests.factories import GenreFactory, OwnedArtistFactory, SongFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _events(count, *, user=None, song=None, days=300):
    now = timezone.now()
    user = user or UserFactory()
    song = song or SongFactory()
    for i in range(count):
        ListeningEventFactory(
            user=user,
            song=song,
            action=("play", "complete", "skip")[i % 3],
            occurred_at=now - timedelta(days=i * days // max(count, 1), minutes=1),
        )
    return user, song


def _range(days):
    today = timezone.now().date()
    return {"from": (today - timedelta(days=days - 1)).isoformat(), "to": today.isoformat()}


@pytest.mark.parametrize("rolled_up", [False, True])
def test_read_query_counts_do_not_depend_on_range_or_data(
    client_for, editor, django_assert_num_queries, rolled_up
):
    artist = OwnedArtistFactory()
    user, song = _events(1, song=SongFactory(artist=artist))
    if rolled_up:
        services.rollup_run()
    client = client_for(editor)
    # auth (1) + the read itself (1); users/artists add one lookup for the permission check.
    urls = {
        "/api/v1/analytics/summary/": 2,
        "/api/v1/analytics/trends/": 2,
        f"/api/v1/analytics/users/{user.id}/": 3,
        f"/api/v1/analytics/artists/{artist.id}/": 3,
    }
    for url, queries in urls.items():
        for days in (1, 7, 366):
            with django_assert_num_queries(queries):
                assert client.get(url, _range(days)).status_code == 200
    _events(60, user=user, song=SongFactory(artist=artist))
    _events(30)
    if rolled_up:
        services.rollup_run()
    for url, queries in urls.items():
        for days in (7, 366):
            with django_assert_num_queries(queries):
                assert client.get(url, _range(days)).status_code == 200


def test_summary_shape(client_for, editor, today):
    genre = GenreFactory(slug="pop", name="Pop")
    song = SongFactory(title="Hit", genre=genre, album=None)
    listener = UserFactory()
    now = timezone.now()
    for action in ("play", "play", "complete", "skip", "like", "share"):
        ListeningEventFactory(user=listener, song=song, action=action, occurred_at=now)
    # Stored but not counted: only the flagged figures show them.
    for action in ("play", "like"):
        ListeningEventFactory(
            user=listener, song=song, action=action, occurred_at=now, flagged=True,
            flag_reason="repeat",
        )  # fmt: skip
    services.rollup_run()
    body = client_for(editor).get("/api/v1/analytics/summary/").json()
    generated, through, rolled = (
        body.pop("generated_at"),
        body.pop("data_through"),
        body.pop("rolled_up_through"),
    )
    assert generated and through == rolled
    assert body == {
        "from": (today - timedelta(days=29)).isoformat(),
        "to": today.isoformat(),
        "total_users": 2,
        "active_users_24h": 1,
        "events_by_action": {"play": 2, "complete": 1, "skip": 1, "like": 1, "share": 1},
        "plays": 2,
        "unique_listeners": 1,
        "flagged_plays": 1,
        "flagged_events": 2,
        "top_songs": [
            {
                "song": {
                    "id": song.id,
                    "title": "Hit",
                    "artist": {"id": song.artist_id, "name": song.artist.name},
                },
                "plays": 2,
                "completes": 1,
                "skips": 1,
                "likes": 1,
                "shares": 1,
                "completion_rate": 0.5,
                "skip_rate": 0.5,
            }
        ],
    }


def test_trends_compare_with_the_previous_period(client_for, editor, today):
    genre = GenreFactory(slug="rock", name="Rock")
    song = SongFactory(title="Riff", genre=genre, album=None)
    user = UserFactory()
    now = timezone.now()
    for days in (1, 2, 3, 9):  # three plays this week, one the week before
        ListeningEventFactory(user=user, song=song, occurred_at=now - timedelta(days=days))
    services.rollup_run()
    params = {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()}
    body = client_for(editor).get("/api/v1/analytics/trends/", params).json()
    assert body["previous_from"] == (today - timedelta(days=13)).isoformat()
    assert body["previous_to"] == (today - timedelta(days=7)).isoformat()
    change = {"plays": 3, "previous_plays": 1, "change": 2, "change_pct": 200.0}
    assert body["songs"] == [
        {
            "song": {
                "id": song.id,
                "title": "Riff",
                "artist": {"id": song.artist_id, "name": song.artist.name},
            },
            **change,
            "completes": 0,
            "skips": 0,
            "completion_rate": 0.0,
            "skip_rate": 0.0,
        }
    ]
    assert body["artists"] == [
        {"artist": {"id": song.artist_id, "name": song.artist.name}, **change}
    ]
    assert body["genres"] == [{"genre": {"slug": "rock", "name": "Rock"}, **change}]


def test_user_engagement_shape(client_for, listener, today):
    genre = GenreFactory(slug="jazz", name="Jazz")
    song = SongFactory(genre=genre, album=None)
    now = timezone.now()
    ListeningEventFactory(user=listener, song=song, action="play", occurred_at=now)
    ListeningEventFactory(user=listener, song=song, action="complete", occurred_at=now)
    ListeningEventFactory(
        user=listener, song=song, action="play", occurred_at=now - timedelta(days=1)
    )
    params = {"from": (today - timedelta(days=2)).isoformat(), "to": today.isoformat()}
    body = client_for(listener).get(f"/api/v1/analytics/users/{listener.id}/", params).json()
    for key in ("generated_at", "data_through", "rolled_up_through"):
        body.pop(key)
    zero = {"plays": 0, "completes": 0, "skips": 0, "likes": 0, "shares": 0}
    assert body == {
        "from": params["from"],
        "to": params["to"],
        "user": listener.id,
        "plays": 2,
        "completes": 1,
        "skips": 0,
        "likes": 0,
        "shares": 0,
        "completion_rate": 0.5,
        "skip_rate": 0.0,
        "active_days": 2,
        "top_artists": [{"artist": {"id": song.artist_id, "name": song.artist.name}, "plays": 2}],
        "top_genres": [{"genre": {"slug": "jazz", "name": "Jazz"}, "plays": 2}],
        "daily": [
            {"day": params["from"], **zero},
            {"day": (today - timedelta(days=1)).isoformat(), **zero, "plays": 1},
            {"day": params["to"], **zero, "plays": 1, "completes": 1},
        ],
    }


def test_event_list_filters_and_cursor_pagination(client_for, editor):
    user, song = _events(7, days=7)
    other_user, other_song = _events(3, days=3)
    client = client_for(editor)
    url = "/api/v1/analytics/events/"

    page = client.get(url, {"limit": 4}).json()
    assert set(page) == {"generated_at", "data_through", "next", "previous", "results"}
    first_ids = [e["id"] for e in page["results"]]
    assert len(first_ids) == 4 and first_ids == sorted(first_ids, reverse=True)
    rest = client.get(page["next"]).json()
    assert [e["id"] for e in rest["results"]] + first_ids
    all_ids = first_ids + [e["id"] for e in rest["results"]]
    assert len(all_ids) == len(set(all_ids))
    while rest["next"]:
        rest = client.get(rest["next"]).json()
        all_ids += [e["id"] for e in rest["results"]]
    assert len(all_ids) == 10

    by_user = client.get(url, {"user": user.id}).json()["results"]
    assert {e["user"] for e in by_user} == {user.id} and len(by_user) == 7
    by_song = client.get(url, {"song": other_song.id}).json()["results"]
    assert len(by_song) == 3
    skips = client.get(url, {"action": "skip", "user": user.id}).json()["results"]
    assert {e["action"] for e in skips} == {"skip"} and len(skips) == 2
    since = (timezone.now() - timedelta(days=2)).isoformat()
    recent = client.get(url, {"from": since, "user": user.id}).json()["results"]
    assert len(recent) == 2
    assert client.get(url, {"action": "dance"}).status_code == 400
    assert client.get(url, {"user": "x"}).status_code == 400
    assert client.get(url, {"from": "not a date"}).status_code == 400
    assert client.get(url, {"flagged": "maybe"}).status_code == 400
    assert client.get(url, {"flagged": "true"}).json()["results"] == []
    assert len(client.get(url, {"flagged": "false", "user": user.id}).json()["results"]) == 7
    event = by_user[0]
    assert set(event) == {
        "id", "user", "song", "action", "occurred_at", "received_at", "position_ms",
        "context", "event_id", "flagged", "flag_reason",
    }  # fmt: skip


def test_event_list_query_count_is_constant(client_for, editor, django_assert_num_queries):
    _events(1)
    client = client_for(editor)
    with django_assert_num_queries(2):
        client.get("/api/v1/analytics/events/")
    _events(40)
    with django_assert_num_queries(2):
        client.get("/api/v1/analytics/events/")
