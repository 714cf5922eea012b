"""GET /api/v1/recommendations/me/ and POST /recommendations/me/refresh/ (no model needed)."""

import pytest
from django.core.cache import cache

from analytics.models import Action
from analytics.tests.factories import ListeningEventFactory
from catalog.attributes import AUDIO_FEATURES
from catalog.caching import catalog_changed
from catalog.tests.factories import AlbumFactory, ArtistFactory, GenreFactory, SongFactory
from recommendations import services
from recommendations.models import RecommendationLog, UserPicks
from recommendations.tests.factories import (
    ChartEntryFactory,
    UserPreferencesFactory,
    UserSongDailyStatsFactory,
)
from users.tests.factories import UserFactory

URL = "/api/v1/recommendations/me/"
pytestmark = pytest.mark.django_db


def titles(response):
    assert response.status_code == 200, response.content
    return [t["song"]["title"] for t in response.json()["tracks"]]


def test_cold_start_is_never_empty(client_for):
    songs = [SongFactory(popularity=p) for p in (10, 90, 50)]
    user = UserFactory()

    response = client_for(user).get(URL)

    assert response["X-Data-Source"] == "computed"
    body = response.json()
    assert set(body) == {"generated_at", "tracks"}
    assert [t["song"]["id"] for t in body["tracks"]] == [songs[1].id, songs[2].id, songs[0].id]
    assert {t["reason"] for t in body["tracks"]} == {"Popular right now"}
    assert body["tracks"][0]["score"] == services.WEIGHT_POPULAR
    picks = UserPicks.objects.get(user=user)
    assert picks.is_cold_start
    log = RecommendationLog.objects.get()
    assert (log.kind, log.status, log.user, log.users_count) == ("refresh", "success", user, 1)


def test_empty_catalog_gives_an_empty_list(client_for):
    response = client_for(UserFactory()).get(URL)

    assert response.status_code == 200
    assert response.json()["tracks"] == []


def test_cold_start_uses_preferences_first(client_for):
    indie = GenreFactory(slug="indie", name="Indie")
    loved = ArtistFactory(name="Loved Band")
    SongFactory.create_batch(3, popularity=100)
    favourite = SongFactory(artist=loved, popularity=1, title="Deep cut")
    in_genre = SongFactory(album=AlbumFactory(genre=indie), popularity=2, title="Indie one")
    UserSongDailyStatsFactory.create_batch(3, song=in_genre, plays=1)
    user = UserFactory()
    UserPreferencesFactory(user=user, favorite_artists=[loved], favorite_genres=[indie])

    tracks = client_for(user).get(URL).json()["tracks"]

    assert [(t["song"]["id"], t["reason"]) for t in tracks[:2]] == [
        (favourite.id, "Because you like Loved Band"),
        (in_genre.id, "Popular in indie this week"),
    ]


def test_chart_climbers_come_with_their_chart(client_for):
    SongFactory.create_batch(3, popularity=100)
    climber = SongFactory(popularity=0)
    ChartEntryFactory(track__song=climber, snapshot__chart__country="us", movement=30, position=5)

    tracks = client_for(UserFactory()).get(URL).json()["tracks"]

    assert (tracks[0]["song"]["id"], tracks[0]["reason"]) == (climber.id, "Climbing the US chart")


def test_moods_pick_songs_that_fit(client_for):
    party = SongFactory(danceability=0.95, energy=0.9, valence=0.7, popularity=0, title="Party")
    SongFactory(danceability=0.1, energy=0.1, valence=0.1, popularity=100)
    user = UserFactory()
    UserPreferencesFactory(user=user, moods=["party"])

    tracks = client_for(user).get(URL).json()["tracks"]

    assert (tracks[0]["song"]["id"], tracks[0]["reason"]) == (party.id, "Fits your party mood")


def test_cache_then_database_then_compute(client_for):
    SongFactory.create_batch(3)
    user = UserFactory()
    client = client_for(user)

    first = client.get(URL)
    second = client.get(URL)
    cache.clear()
    third = client.get(URL)
    UserPicks.objects.filter(user=user).delete()
    cache.clear()
    fourth = client.get(URL)

    sources = [r["X-Data-Source"] for r in (first, second, third, fourth)]
    assert sources == ["computed", "cache", "database", "computed"]
    assert first.json() == second.json() == third.json()


@pytest.mark.parametrize("count", [1, 20])
def test_cached_and_stored_reads_have_fixed_query_counts(
    client_for, django_assert_num_queries, count
):
    SongFactory.create_batch(count)
    user = UserFactory()
    services.user_picks_refresh(user_ids=[user.pk])
    client = client_for(user)

    # user (auth), picks, display songs
    with django_assert_num_queries(3):
        assert len(client.get(URL).json()["tracks"]) == count
    # user (auth) only: the stored page
    with django_assert_num_queries(1):
        assert client.get(URL)["X-Cache"] == "hit"
    catalog_changed()  # the page is stale; the picks cache is not
    # user (auth), visibility re-check
    with django_assert_num_queries(2):
        response = client.get(URL)
    assert (response["X-Cache"], response["X-Data-Source"]) == ("miss", "cache")


def test_hidden_songs_never_returned_even_from_cache(client_for):
    keep, hide = SongFactory(popularity=10), SongFactory(popularity=20)
    user = UserFactory()
    client = client_for(user)
    assert len(titles(client.get(URL))) == 2
    assert client.get(URL)["X-Data-Source"] == "cache"

    hide.is_visible = False
    hide.save()
    response = client.get(URL)

    assert [t["song"]["id"] for t in response.json()["tracks"]] == [keep.id]
    assert response["X-Data-Source"] == "database"


def test_all_stored_picks_hidden_means_compute_again(client_for):
    old = SongFactory()
    user = UserFactory()
    services.user_picks_refresh(user_ids=[user.pk])
    old.is_visible = False
    old.save()
    new = SongFactory()

    response = client_for(user).get(URL)

    assert response["X-Data-Source"] == "computed"
    assert [t["song"]["id"] for t in response.json()["tracks"]] == [new.id]


def test_recently_skipped_and_known_songs_excluded(client_for):
    skipped, played, other = (SongFactory(popularity=p) for p in (100, 90, 10))
    user = UserFactory()
    ListeningEventFactory(user=user, song=skipped, action=Action.PLAY)
    ListeningEventFactory(user=user, song=skipped, action=Action.SKIP)
    ListeningEventFactory(user=user, song=played, action=Action.COMPLETE)

    tracks = client_for(user).get(URL).json()["tracks"]

    assert [t["song"]["id"] for t in tracks] == [other.id]


def test_at_most_two_songs_per_artist_in_the_top_20(client_for):
    prolific = ArtistFactory()
    SongFactory.create_batch(10, artist=prolific, popularity=100)
    SongFactory.create_batch(30, popularity=50)

    tracks = client_for(UserFactory()).get(URL).json()["tracks"]

    top_artists = [t["song"]["artist"]["id"] for t in tracks[:20]]
    assert top_artists.count(prolific.id) == 2
    assert len(tracks) == services.PICKS_SIZE == 30


def test_anonymous_gets_401(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL + "refresh/").status_code == 401


def test_refresh_is_accepted_and_queued_after_commit(
    client_for, django_capture_on_commit_callbacks
):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client_for(user).post(URL + "refresh/")

    assert response.status_code == 202
    assert set(response.json()) == {"task_id"}
    assert len(callbacks) == 1


def test_refresh_is_limited_to_5_a_minute_per_user(client_for, django_capture_on_commit_callbacks):
    client, other = client_for(UserFactory()), client_for(UserFactory())

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        codes = [client.post(URL + "refresh/").status_code for _ in range(6)]
        other_code = other.post(URL + "refresh/").status_code
        limited = client.post(URL + "refresh/")

    assert codes == [202] * 5 + [429]
    assert other_code == 202
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    assert limited.json()["type"] == "client_error"
    assert len(callbacks) == 6


def test_refresh_rejects_other_methods(client_for):
    assert client_for(UserFactory()).get(URL + "refresh/").status_code == 405


def test_whole_body_is_the_same_from_every_source(client_for):
    artist = ArtistFactory(name="Solo")
    album = AlbumFactory(artist=artist, genre=GenreFactory(slug="pop"), title="First")
    song = SongFactory(artist=artist, album=album, title="Only", popularity=40)
    user = UserFactory()
    client = client_for(user)

    computed = client.get(URL)
    cached = client.get(URL)

    picks = UserPicks.objects.get(user=user)
    expected = {
        "generated_at": picks.generated_at.isoformat().replace("+00:00", "Z"),
        "tracks": [
            {
                "song": {
                    "id": song.id,
                    "title": "Only",
                    "artist": {"id": artist.id, "name": "Solo"},
                    "album": {"id": album.id, "title": "First"},
                    "genre": "pop",
                    "year": song.year,
                    "duration_ms": song.duration_ms,
                    "track_number": song.track_number,
                    "isrc": None,
                    "explicit": False,
                    "popularity": 40,
                    "audio_features": {name: getattr(song, name) for name in AUDIO_FEATURES},
                    "is_public": True,
                    "is_visible": True,
                    "audio": {"status": "none", "duration_ms": song.duration_ms},
                },
                "score": services.WEIGHT_POPULAR,
                "reason": "Popular right now",
            }
        ],
    }
    assert (computed["X-Data-Source"], cached["X-Data-Source"]) == ("computed", "cache")
    assert computed.json() == cached.json() == expected
    assert computed["Content-Type"] == "application/json"


def test_picks_fetches_are_limited_to_30_a_minute_per_user(client_for):
    client, other = client_for(UserFactory()), client_for(UserFactory())
    assert [client.get(URL).status_code for _ in range(30)] == [200] * 30
    limited = client.get(URL)
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    assert other.get(URL).status_code == 200  # each user has their own budget
