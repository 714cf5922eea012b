"""GET /api/v1/songs/trending/: our own listening (unique listeners, repeat plays damped,
time-decayed, implausible plays left out) plus chart momentum."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import Action
from analytics.tests.factories import ListeningEventFactory
from catalog.tests.factories import AlbumFactory, GenreFactory, SongFactory
from recommendations.tests.factories import (
    ChartEntryFactory,
    ChartSnapshotFactory,
    UserSongDailyStatsFactory,
)
from users.tests.factories import UserFactory

URL = "/api/v1/songs/trending/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    rock, jazz = GenreFactory(slug="rock", name="Rock"), GenreFactory(slug="jazz", name="Jazz")
    songs = {
        name: SongFactory(title=name, album=AlbumFactory(genre=genre))
        for name, genre in [("a", rock), ("b", rock), ("c", rock), ("d", rock), ("j", jazz)]
    }
    songs["d"].is_visible = False
    songs["d"].save()
    today = timezone.now().date()
    listens(songs["a"], today, listeners=10)
    listens(songs["b"], today - timedelta(days=5), listeners=30)
    listens(songs["d"], today, listeners=3, plays_each=300)  # hidden: must never show
    listens(songs["j"], today - timedelta(days=8), listeners=4)  # outside the week
    snapshot = ChartSnapshotFactory(chart__country="us", date=today)
    ChartEntryFactory(snapshot=snapshot, track__song=songs["c"], position=1, movement=50)
    ChartEntryFactory(snapshot=snapshot, track__song=songs["d"], position=2, movement=50)
    return songs


def listens(song, day, *, listeners: int, plays_each: int = 1) -> None:
    """Rolled-up listening: ``listeners`` people each playing ``song`` ``plays_each`` times."""
    UserSongDailyStatsFactory.create_batch(listeners, song=song, day=day, plays=plays_each)


def ids_and_reasons(response):
    assert response.status_code == 200, response.content
    return [(t["song"]["title"], t["score"], t["reason"]) for t in response.json()["tracks"]]


def test_week_blends_decayed_plays_and_chart_momentum(api_client, catalog):
    response = api_client.get(URL)

    assert ids_and_reasons(response) == [
        ("a", 0.7, "Popular in rock this week"),
        # 30 listeners five days ago: log2(1 + 0.5 ** (5 / 2)) each, 7.05 against a's 10
        ("b", 0.4932, "Popular in rock this week"),
        ("c", 0.225, "Climbing the US chart"),
    ]
    body = response.json()
    assert body["window"] == "7d"
    assert body["genre"] is None
    assert body["tracks"][0]["song"]["id"] == catalog["a"].id


def test_day_window_drops_older_plays(api_client, catalog):
    assert [t[0] for t in ids_and_reasons(api_client.get(URL, {"window": "24h"}))] == ["a", "c"]


def test_genre_filter_counts_rollups_and_raw_events(api_client, catalog):
    ListeningEventFactory(song=catalog["j"], action=Action.PLAY)  # not rolled up yet

    response = api_client.get(URL, {"genre": "jazz", "window": "30d"})

    assert ids_and_reasons(response) == [("j", 0.7, "Popular in jazz this month")]
    assert response.json()["genre"] == "jazz"


def test_repeat_plays_are_damped_by_listener(api_client):
    loop, loved = SongFactory(title="loop"), SongFactory(title="loved")
    listens(loop, timezone.now().date(), listeners=1, plays_each=200)  # log2(201) ~ 7.7
    listens(loved, timezone.now().date(), listeners=9)  # 9 listeners, once each

    assert [t[0] for t in ids_and_reasons(api_client.get(URL))] == ["loved", "loop"]


def test_one_account_flooding_plays_cannot_top_trending(client_for, api_client):
    flooded, real = SongFactory(title="flooded"), SongFactory(title="real")
    flooder = client_for(UserFactory())
    batch = [{"song": flooded.pk, "action": "play"} for _ in range(501)]
    assert flooder.post("/api/v1/analytics/events/", batch, format="json").status_code == 201
    for _ in range(3):
        body = {"song": real.pk, "action": "play"}
        assert client_for(UserFactory()).post("/api/v1/analytics/events/", body).status_code == 201

    assert [t[0] for t in ids_and_reasons(api_client.get(URL))] == ["real", "flooded"]


def test_works_without_chart_data(api_client, catalog):
    from charts.models import ChartEntry

    ChartEntry.objects.all().delete()

    assert [t[0] for t in ids_and_reasons(api_client.get(URL, {"limit": 5}))] == ["a", "b"]


def test_works_with_charts_only(api_client):
    song = SongFactory(title="climber")
    ChartEntryFactory(track__song=song, snapshot__chart__country="global", is_new=True, position=10)

    assert ids_and_reasons(api_client.get(URL)) == [
        ("climber", 0.2047, "Climbing the global chart")
    ]


def test_limit(api_client, catalog):
    assert len(api_client.get(URL, {"limit": 1}).json()["tracks"]) == 1


@pytest.mark.parametrize(
    ("params", "attr"),
    [
        ({"window": "1y"}, "window"),
        ({"genre": "polka"}, "genre"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
    ],
)
def test_bad_queries_are_400(api_client, params, attr):
    response = api_client.get(URL, params)

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert [e["attr"] for e in response.json()["errors"]] == [attr]


@pytest.mark.parametrize("count", [1, 15])
def test_query_count_does_not_grow(api_client, django_assert_num_queries, count):
    for song in SongFactory.create_batch(count):
        listens(song, timezone.now().date(), listeners=2)
        ChartEntryFactory(track__song=song, movement=1)

    # listener scores (rollups and tail in one statement), charts, genres, display songs
    with django_assert_num_queries(4):
        response = api_client.get(URL, {"window": "30d", "limit": 100})

    assert len(response.json()["tracks"]) == count
