"""GET /api/v1/recommendations/ (seeds) and /recommendations/genre-seeds/."""

import pytest

from catalog.tests.factories import AlbumFactory, ArtistFactory, GenreFactory, SongFactory

URL = "/api/v1/recommendations/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def rock():
    return GenreFactory(slug="rock", name="Rock")


@pytest.fixture
def jazz():
    return GenreFactory(slug="jazz", name="Jazz")


def rock_songs(genre, energies):
    artist = ArtistFactory()
    album = AlbumFactory(artist=artist, genre=genre)
    return [SongFactory(artist=artist, album=album, energy=e) for e in energies]


def test_genre_seed_honours_bounds_and_counts_pools(api_client, rock, jazz):
    songs = rock_songs(rock, [0.1, 0.35, 0.5, 0.65, 0.9])
    rock_songs(jazz, [0.5, 0.5])
    SongFactory(album=AlbumFactory(genre=rock), energy=0.5, is_visible=False)

    response = api_client.get(URL, {"seed_genres": "rock", "min_energy": 0.3, "max_energy": 0.7})

    assert response.status_code == 200
    body = response.json()
    assert body["seeds"] == [
        {"id": "rock", "type": "genre", "initial_pool_size": 5, "after_filtering_size": 3}
    ]
    energies = [t["audio_features"]["energy"] for t in body["tracks"]]
    assert sorted(energies) == [0.35, 0.5, 0.65]
    assert {t["id"] for t in body["tracks"]} == {s.id for s in songs[1:4]}
    assert all(t["genre"] == "rock" for t in body["tracks"])


def test_every_track_within_all_bounds(api_client, rock):
    artist = ArtistFactory(genres=[rock])
    album = AlbumFactory(artist=artist, genre=rock)
    for n in range(30):
        SongFactory(artist=artist, album=album, popularity=n * 3, duration_ms=150_000 + n * 5_000)
    params = {
        "seed_artists": str(artist.id),
        "min_popularity": 20,
        "max_popularity": 70,
        "min_duration_ms": 180_000,
        "max_danceability": 0.8,
        "target_valence": 0.4,
        "limit": 100,
    }

    body = api_client.get(URL, params).json()

    assert body["tracks"]
    for track in body["tracks"]:
        assert 20 <= track["popularity"] <= 70
        assert track["duration_ms"] >= 180_000
        assert track["audio_features"]["danceability"] <= 0.8
    seed = body["seeds"][0]
    assert seed["after_filtering_size"] == len(body["tracks"])
    assert seed["initial_pool_size"] == 30


def test_whole_response_for_a_track_seed(api_client, rock):
    artist = ArtistFactory(name="The Seeds")
    album = AlbumFactory(artist=artist, genre=rock, title="Sprouts")
    seed, other = (SongFactory(artist=artist, album=album, title=t) for t in ("One", "Two"))

    response = api_client.get(URL, {"seed_tracks": str(seed.id)})

    assert response.status_code == 200
    assert response.json() == {
        "seeds": [
            {"id": str(seed.id), "type": "track", "initial_pool_size": 1, "after_filtering_size": 1}
        ],
        "tracks": [
            {
                "id": other.id,
                "title": "Two",
                "artist": {"id": artist.id, "name": "The Seeds"},
                "album": {"id": album.id, "title": "Sprouts"},
                "genre": "rock",
                "year": 2020,
                "duration_ms": 200_000,
                "track_number": other.track_number,
                "isrc": None,
                "explicit": False,
                "popularity": other.popularity,
                "audio_features": {
                    "acousticness": other.acousticness,
                    "danceability": other.danceability,
                    "energy": other.energy,
                    "instrumentalness": 0.0,
                    "liveness": 0.1,
                    "loudness": -6.0,
                    "speechiness": 0.05,
                    "tempo": other.tempo,
                    "valence": other.valence,
                    "key": other.key,
                    "mode": other.mode,
                },
                "is_public": True,
                "is_visible": True,
                "audio": {"status": "none", "duration_ms": 200_000},
            }
        ],
    }


def test_seeds_interleave_and_limit(api_client, rock, jazz):
    rock_songs(rock, [0.5] * 6)
    rock_songs(jazz, [0.5] * 6)

    body = api_client.get(URL, {"seed_genres": "rock,jazz", "limit": 4}).json()

    assert [t["genre"] for t in body["tracks"]] == ["rock", "jazz", "rock", "jazz"]
    assert [s["initial_pool_size"] for s in body["seeds"]] == [6, 6]


def test_hidden_and_private_songs_never_returned(api_client, rock):
    visible = rock_songs(rock, [0.5])[0]
    SongFactory(album=AlbumFactory(genre=rock), is_visible=False)
    SongFactory(album=AlbumFactory(genre=rock), is_public=False)
    SongFactory(album=AlbumFactory(genre=rock, is_public=False))

    body = api_client.get(URL, {"seed_genres": "rock"}).json()

    assert [t["id"] for t in body["tracks"]] == [visible.id]
    assert body["seeds"][0]["initial_pool_size"] == 1


def test_genre_seeds_lists_genres_with_visible_songs(api_client, rock, jazz):
    rock_songs(rock, [0.5])
    SongFactory(album=AlbumFactory(genre=jazz), is_visible=False)
    GenreFactory(slug="ambient")

    response = api_client.get(URL + "genre-seeds/")

    assert response.status_code == 200
    assert response.json() == {"genres": ["rock"]}


def _error(response):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "validation_error"
    return {(e["attr"], e["code"]) for e in body["errors"]}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {("non_field_errors", "no_seeds")}),
        (
            {"seed_genres": "a,b,c", "seed_artists": "1,2,3"},
            {("non_field_errors", "too_many_seeds")},
        ),
        ({"seed_tracks": "1,2,3,4,5,6"}, {("seed_tracks", "too_many")}),
        ({"seed_tracks": "1,,2"}, {("seed_tracks", "empty_item")}),
        ({"seed_tracks": "abc"}, {("seed_tracks", "invalid")}),
        ({"seed_artists": str(2**70)}, {("seed_artists", "invalid")}),
        ({"seed_artists": "1, 2"}, {("seed_artists", "invalid")}),
        ({"seed_tracks": "1.0"}, {("seed_tracks", "invalid")}),
        ({"seed_genres": "hip hop"}, {("seed_genres", "invalid")}),
        ({"seed_genres": "rock", "limit": 0}, {("limit", "min_value")}),
        ({"seed_genres": "rock", "limit": 101}, {("limit", "max_value")}),
        ({"seed_genres": "rock", "max_energy": 1.5}, {("max_energy", "max_value")}),
        ({"seed_genres": "rock", "min_tempo": -1}, {("min_tempo", "min_value")}),
        ({"seed_genres": "rock", "target_key": 12}, {("target_key", "max_value")}),
        ({"seed_genres": "rock", "min_popularity": "x"}, {("min_popularity", "invalid")}),
        (
            {"seed_genres": "rock", "min_energy": 0.8, "max_energy": 0.2},
            {("min_energy", "invalid")},
        ),
    ],
)
def test_invalid_queries_are_400(api_client, rock, params, expected):
    assert _error(api_client.get(URL, params)) == expected


def test_unknown_seeds_are_named(api_client, rock):
    hidden = SongFactory(is_visible=False)

    response = api_client.get(
        URL, {"seed_genres": "rock,polka", "seed_artists": "999999", "seed_tracks": str(hidden.id)}
    )

    assert response.status_code == 400
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "does_not_exist",
                "detail": "Unknown artist id: 999999.",
                "attr": "seed_artists",
            },
            {"code": "does_not_exist", "detail": "Unknown genre: polka.", "attr": "seed_genres"},
            {
                "code": "does_not_exist",
                "detail": f"Unknown track id: {hidden.id}.",
                "attr": "seed_tracks",
            },
        ],
    }


@pytest.mark.parametrize("count", [1, 25])
def test_query_count_does_not_grow_with_results(api_client, django_assert_num_queries, rock, count):
    artist = ArtistFactory(genres=[rock])
    album = AlbumFactory(artist=artist, genre=rock)
    songs = [SongFactory(artist=artist, album=album) for _ in range(count + 1)]
    params = {
        "seed_genres": "rock",
        "seed_artists": str(artist.id),
        "seed_tracks": str(songs[0].id),
        "limit": 100,
    }

    # artists + their genres, genres, tracks (validation); artist songs, neighbours,
    # content rows, display songs.
    with django_assert_num_queries(8):
        response = api_client.get(URL, params)

    assert response.status_code == 200
    assert len(response.json()["tracks"]) == count


def test_seed_fetches_are_limited_to_30_a_minute_per_caller(api_client, rock):
    codes = [api_client.get(URL, {"seed_genres": "rock"}).status_code for _ in range(31)]
    assert codes == [200] * 30 + [429]
