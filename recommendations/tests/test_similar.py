"""GET /api/v1/songs/{id}/similar/ without a collaborative model: the audio fallback."""

import pytest

from catalog.tests.factories import AlbumFactory, GenreFactory, SongFactory

pytestmark = pytest.mark.django_db

FLAT = {
    "acousticness": 0.5,
    "danceability": 0.5,
    "instrumentalness": 0.0,
    "liveness": 0.1,
    "speechiness": 0.05,
    "valence": 0.5,
    "loudness": -6.0,
    "tempo": 120.0,
    "mode": 1,
    "popularity": 50,
}


def song(genre, energy, **extra):
    return SongFactory(album=AlbumFactory(genre=genre), energy=energy, **{**FLAT, **extra})


def url(song_id, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/api/v1/songs/{song_id}/similar/" + (f"?{query}" if query else "")


def test_fallback_ranks_same_genre_by_sound_then_the_rest(api_client):
    rock, jazz = GenreFactory(slug="rock"), GenreFactory(slug="jazz")
    seed = song(rock, 0.5)
    near, far = song(rock, 0.55), song(rock, 0.95)
    elsewhere = song(jazz, 0.5)
    song(rock, 0.5, is_visible=False)

    response = api_client.get(url(seed.id))

    assert response.status_code == 200
    tracks = response.json()["tracks"]
    assert [t["song"]["id"] for t in tracks] == [near.id, far.id, elsewhere.id]
    assert {t["source"] for t in tracks} == {"audio_features"}
    assert tracks[0]["score"] > tracks[1]["score"]


def test_limit_is_honoured(api_client):
    rock = GenreFactory(slug="rock")
    seed = song(rock, 0.5)
    for energy in (0.1, 0.2, 0.3):
        song(rock, energy)

    assert len(api_client.get(url(seed.id, limit=2)).json()["tracks"]) == 2


@pytest.mark.parametrize("flag", ["is_visible", "is_public"])
def test_hidden_song_is_404(api_client, flag):
    hidden = SongFactory(**{flag: False})

    response = api_client.get(url(hidden.id))

    assert response.status_code == 404
    assert response.json()["type"] == "client_error"


@pytest.mark.parametrize("song_id", [999999, 2**70])
def test_missing_song_is_404(api_client, song_id):
    assert api_client.get(url(song_id)).status_code == 404


@pytest.mark.parametrize("limit", [0, 101, "x"])
def test_bad_limit_is_400(api_client, limit):
    response = api_client.get(url(SongFactory().id, limit=limit))

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "limit"


@pytest.mark.parametrize("count", [1, 12])
def test_query_count_does_not_grow(api_client, django_assert_num_queries, count):
    rock = GenreFactory(slug="rock")
    seed = song(rock, 0.5)
    for n in range(count):
        song(rock, n / 20)

    # seed song, neighbours, same genre/artist rows, display songs
    with django_assert_num_queries(4):
        response = api_client.get(url(seed.id, limit=count))

    assert len(response.json()["tracks"]) == count
