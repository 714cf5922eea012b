"""GET /api/v1/songs/trending/: decayed listening from the rollups plus chart momentum."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import Action
from analytics.tests.factories import ListeningEventFactory
from catalog.tests.factories import AlbumFactory, GenreFactory, SongFactory
from recommendations.tests.factories import (
    ChartEntryFactory,
    ChartSnapshotFactory,
    SongDailyStatsFactory,
)

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
    SongDailyStatsFactory(song=songs["a"], day=today, plays=10)
    SongDailyStatsFactory(song=songs["b"], day=today - timedelta(days=5), plays=30)
    SongDailyStatsFactory(song=songs["d"], day=today, plays=1000)
    SongDailyStatsFactory(song=songs["j"], day=today - timedelta(days=1), plays=4, skips=8)
    snapshot = ChartSnapshotFactory(chart__country="us", date=today)
    ChartEntryFactory(snapshot=snapshot, track__song=songs["c"], position=1, movement=50)
    ChartEntryFactory(snapshot=snapshot, track__song=songs["d"], position=2, movement=50)
    return songs


def ids_and_reasons(response):
    assert response.status_code == 200, response.content
    return [(t["song"]["title"], t["score"], t["reason"]) for t in response.json()["tracks"]]


def test_week_blends_decayed_plays_and_chart_momentum(api_client, catalog):
    response = api_client.get(URL)

    assert ids_and_reasons(response) == [
        ("a", 0.7, "Popular in rock this week"),
        ("b", 0.3712, "Popular in rock this week"),
        ("c", 0.225, "Climbing the US chart"),
    ]
    body = response.json()
    assert body["window"] == "7d"
    assert body["genre"] is None
    assert body["tracks"][0]["song"]["id"] == catalog["a"].id


def test_day_window_drops_older_plays(api_client, catalog):
    assert [t[0] for t in ids_and_reasons(api_client.get(URL, {"window": "24h"}))] == ["a", "c"]


def test_genre_filter_and_skips_count_against(api_client, catalog):
    ListeningEventFactory(song=catalog["j"], action=Action.PLAY)

    response = api_client.get(URL, {"genre": "jazz", "window": "30d"})

    # 4 plays - 0.5 * 8 skips cancel out; only the raw (not rolled up) play remains.
    assert ids_and_reasons(response) == [("j", 0.7, "Popular in jazz this month")]
    assert response.json()["genre"] == "jazz"


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
        SongDailyStatsFactory(song=song, plays=3)
        ChartEntryFactory(track__song=song, movement=1)

    # watermark, rollups, tail, charts, genres of the ranked songs, display songs
    with django_assert_num_queries(6):
        response = api_client.get(URL, {"window": "30d", "limit": 100})

    assert len(response.json()["tracks"]) == count
