"""Chart pages and trending served from the shared cache (issue 12): a hit costs no query,
and every write they depend on shows at once (chart ingest, snapshot delete, staff's track
resolution and automatic linking, catalog visibility)."""

from datetime import date

import pytest
from django.utils import timezone

from catalog.tests.factories import AlbumFactory, ArtistFactory, GenreFactory, SongFactory
from charts.models import ChartTrack
from charts.services import chart_snapshot_delete, chart_track_resolve
from charts.services.tracks import chart_tracks_link
from recommendations.tests.factories import UserSongDailyStatsFactory

from .factories import ChartFactory, ingest

pytestmark = pytest.mark.django_db

D1, D2 = date(2024, 3, 1), date(2024, 3, 2)
PAGE = "/api/v1/charts/top/"


@pytest.fixture
def chart():
    chart = ChartFactory(slug="top", name="Top", country="us")
    ingest(chart, {D1: ["a", "b"]})
    return chart


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


def cached(client, path: str) -> list[str]:
    first = titles(client.get(path))
    assert client.get(path)["X-Cache"] == "hit"
    return first


@pytest.mark.parametrize("path", [PAGE, f"{PAGE}2024-03-01/", f"{PAGE}?limit=1&status=new"])
def test_a_chart_page_is_cached_and_answers_if_none_match(
    chart, client_for, path, django_assert_num_queries
):
    client = client_for(None)
    first = client.get(path)
    assert first["X-Cache"] == "miss" and first["Cache-Control"] == "public, max-age=60"
    with django_assert_num_queries(0):
        hit = client.get(path)
    assert hit["X-Cache"] == "hit" and hit.content == first.content
    with django_assert_num_queries(0):
        not_modified = client.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    assert not_modified.status_code == 304 and not_modified.content == b""


def test_a_new_snapshot_shows_at_once(chart, client_for):
    client = client_for(None)
    assert cached(client, PAGE) == ["a", "b"]
    ingest(chart, {D2: ["c", "a"]})
    assert titles(client.get(PAGE)) == ["c", "a"]
    chart_snapshot_delete(snapshot=chart.snapshots.get(date=D2))
    assert titles(client.get(PAGE)) == ["a", "b"]


def test_linking_and_resolving_tracks_show_at_once(chart, client_for):
    client = client_for(None)
    song = SongFactory(title="a")
    cached(client, PAGE)
    assert client.get(PAGE).json()["results"][0]["song"] is None
    chart_track_resolve(track=ChartTrack.objects.get(title="a"), song=song)
    assert client.get(PAGE).json()["results"][0]["song"] == song.pk
    chart_track_resolve(track=ChartTrack.objects.get(title="a"), song=None)
    assert client.get(PAGE).json()["results"][0]["song"] is None
    # A catalog import brings "b" by its artist; the periodic linking finds it by name.
    other = SongFactory(title="b", artist=ArtistFactory(name="Artist of b"), isrc=None)
    cached(client, PAGE)
    chart_tracks_link()
    assert client.get(PAGE).json()["results"][1]["song"] == other.pk


def test_hiding_a_linked_song_shows_on_the_chart_page_at_once(chart, client_for):
    client = client_for(None)
    song = SongFactory(title="a")
    chart_track_resolve(track=ChartTrack.objects.get(title="a"), song=song)
    cached(client, PAGE)
    assert client.get(PAGE).json()["results"][0]["song"] == song.pk
    song.is_visible = False
    song.save(update_fields=["is_visible"])
    assert client.get(PAGE).json()["results"][0]["song"] is None


def test_staff_are_not_served_the_shared_chart_page(chart, cast, client_for):
    cached(client_for(None), PAGE)
    response = client_for(cast.editor).get(PAGE)
    assert "X-Cache" not in response and response["Cache-Control"] == "private, no-cache"


# --- trending ---------------------------------------------------------------------------------

TRENDING = "/api/v1/songs/trending/?window=7d"


def test_trending_is_cached_and_a_hidden_song_leaves_it_at_once(client_for):
    rock = GenreFactory(slug="rock")
    songs = [SongFactory(title=name, album=AlbumFactory(genre=rock)) for name in "ab"]
    today = timezone.now().date()
    for listeners, song in zip((10, 5), songs, strict=True):
        UserSongDailyStatsFactory.create_batch(listeners, song=song, day=today, plays=1)
    client = client_for(None)

    def trending() -> list[str]:
        response = client.get(TRENDING)
        assert response.status_code == 200
        return [t["song"]["title"] for t in response.json()["tracks"]]

    assert trending() == ["a", "b"]
    assert client.get(TRENDING)["X-Cache"] == "hit"
    songs[0].is_visible = False
    songs[0].save(update_fields=["is_visible"])
    assert trending() == ["b"]
