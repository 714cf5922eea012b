"""One visibility rule (catalog.selectors) for every recommendation a caller reads.

Content in every visibility state comes from the root conftest: the owning artist, editors
and admins may see hidden and private songs, listeners and anonymous callers may not.
"""

import pytest
from django.core.cache import cache

from recommendations import services
from recommendations.models import UserPicks
from recommendations.tests.factories import UserSongDailyStatsFactory

pytestmark = pytest.mark.django_db

HIDDEN = ["private_song", "hidden_song", "song_in_hidden_album", "song_in_private_album"]


def track_ids(response):
    assert response.status_code == 200, response.content
    body = response.json()
    return [t["song"]["id"] if "song" in t else t["id"] for t in body["tracks"]]


def hidden_ids(content):
    return {getattr(content, name).pk for name in HIDDEN}


@pytest.mark.parametrize("role", ["owner", "editor", "admin"])
def test_insiders_get_similar_songs_of_a_hidden_song_and_see_hidden_ones(
    cast, content, client_for, role
):
    response = client_for(cast.by_role(role)).get(
        f"/api/v1/songs/{content.hidden_song.pk}/similar/"
    )

    ids = set(track_ids(response))
    assert ids == {content.public_song.pk} | hidden_ids(content) - {content.hidden_song.pk}


@pytest.mark.parametrize("role", ["anonymous", "listener", "other_artist_user"])
def test_outsiders_get_404_for_a_hidden_song_and_only_visible_similar_songs(
    cast, content, client_for, role
):
    client = client_for(cast.by_role(role))

    assert client.get(f"/api/v1/songs/{content.hidden_song.pk}/similar/").status_code == 404
    response = client.get(f"/api/v1/songs/{content.public_song.pk}/similar/")
    assert track_ids(response) == []


def test_trending_is_per_audience_and_the_cache_does_not_leak(cast, content, client_for):
    UserSongDailyStatsFactory.create_batch(5, song=content.hidden_song, plays=1)
    UserSongDailyStatsFactory.create_batch(2, song=content.public_song, plays=1)
    url = "/api/v1/songs/trending/"

    editor = track_ids(client_for(cast.editor).get(url))
    anonymous = track_ids(client_for(None).get(url))
    owner = track_ids(client_for(cast.owner).get(url))
    other = track_ids(client_for(cast.other_artist_user).get(url))

    assert editor == owner == [content.hidden_song.pk, content.public_song.pk]
    assert anonymous == other == [content.public_song.pk]


def test_an_owner_may_seed_with_their_own_private_song(cast, content, client_for):
    params = {"seed_tracks": str(content.private_song.pk)}

    owner = client_for(cast.owner).get("/api/v1/recommendations/", params)
    listener = client_for(cast.listener).get("/api/v1/recommendations/", params)

    assert owner.status_code == 200
    assert set(track_ids(owner)) == {content.public_song.pk} | hidden_ids(content) - {
        content.private_song.pk
    }
    assert listener.status_code == 400
    assert listener.json()["errors"][0]["attr"] == "seed_tracks"


def test_genre_seeds_follow_the_caller(cast, content, client_for):
    from catalog.tests.factories import GenreFactory, SongFactory

    secret = GenreFactory(slug="secret")
    SongFactory(genre=secret, album=None, is_visible=False)
    url = "/api/v1/recommendations/genre-seeds/"

    assert "secret" in client_for(cast.editor).get(url).json()["genres"]
    assert "secret" not in client_for(cast.listener).get(url).json()["genres"]


def test_precomputed_picks_hold_songs_anyone_may_see_and_are_filtered_for_the_reader(
    cast, content, client_for
):
    # Built by a task with no caller: the anonymous rule, even for an editor's picks.
    services.user_picks_refresh(user_ids=[cast.editor.pk, cast.listener.pk])
    stored = {item["song"] for item in UserPicks.objects.get(user=cast.editor).items}
    assert stored == {content.public_song.pk}

    # A song hidden since: the listener no longer gets it; the editor, who may see it, does.
    UserPicks.objects.filter(user__in=[cast.editor, cast.listener]).update(
        items=[
            {"song": content.hidden_song.pk, "score": 0.9, "reason": "r"},
            {"song": content.public_song.pk, "score": 0.5, "reason": "r"},
        ]
    )
    cache.clear()
    url = "/api/v1/recommendations/me/"

    assert track_ids(client_for(cast.editor).get(url)) == [
        content.hidden_song.pk,
        content.public_song.pk,
    ]
    assert track_ids(client_for(cast.listener).get(url)) == [content.public_song.pk]
