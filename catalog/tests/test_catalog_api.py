"""Genres, artists, albums and songs: shapes, filters, ordering, search ranking, writes."""

import pytest
from django.urls import Resolver404, resolve

from catalog.models import Album, Artist, Song
from catalog.tests.factories import AlbumFactory, ArtistFactory, GenreFactory, SongFactory
from users.tests.factories import ArtistUserFactory, EditorFactory

pytestmark = pytest.mark.django_db


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_genres(client_for):
    GenreFactory(slug="rock", name="Rock")
    GenreFactory(slug="jazz", name="Jazz")
    assert results(client_for(None).get("/api/v1/genres/")) == [
        {"slug": "jazz", "name": "Jazz"},
        {"slug": "rock", "name": "Rock"},
    ]


def test_artist_shape_filter_and_search(client_for):
    rock = GenreFactory(slug="rock", name="Rock")
    artist = ArtistFactory(name="The Paper Harbours", bio="Indie band.", genres=[rock])
    ArtistFactory(name="Someone Else")
    client = client_for(None)
    assert client.get(f"/api/v1/artists/{artist.pk}/").json() == {
        "id": artist.pk,
        "name": "The Paper Harbours",
        "genres": ["rock"],
        "bio": "Indie band.",
        "image_url": None,
    }
    assert [a["id"] for a in results(client.get("/api/v1/artists/?genre=rock"))] == [artist.pk]
    assert [a["id"] for a in results(client.get("/api/v1/artists/?search=harbors"))] == [artist.pk]


def test_artist_writes(client_for):
    editor, artist_user = EditorFactory(), ArtistUserFactory()
    GenreFactory(slug="pop")
    response = client_for(editor).post("/api/v1/artists/", {"name": "New Act", "genres": ["pop"]})
    assert response.status_code == 201
    assert response.json()["genres"] == ["pop"]
    assert Artist.objects.get(pk=response.json()["id"]).slug == "new-act"
    again = client_for(editor).post("/api/v1/artists/", {"name": "New Act"})
    assert Artist.objects.get(pk=again.json()["id"]).slug == "new-act-2"
    assert (
        client_for(editor).post("/api/v1/artists/", {"name": "x", "genres": ["nope"]}).status_code
        == 400
    )
    # An artist account creates its own profile once, then edits only that one.
    own = client_for(artist_user).post("/api/v1/artists/", {"name": "My Project"})
    assert own.status_code == 201
    assert Artist.objects.get(pk=own.json()["id"]).user == artist_user
    assert client_for(artist_user).post("/api/v1/artists/", {"name": "Second"}).status_code == 400
    own_url = f"/api/v1/artists/{own.json()['id']}/"
    assert client_for(artist_user).patch(own_url, {"bio": "Hi"}).json()["bio"] == "Hi"
    other_url = f"/api/v1/artists/{response.json()['id']}/"
    assert client_for(artist_user).patch(other_url, {"bio": "Hi"}).status_code == 403
    assert client_for(artist_user).delete(own_url).status_code == 403
    assert client_for(editor).delete(own_url).status_code == 204


def test_album_shapes(client_for, settings):
    pop = GenreFactory(slug="pop", name="Pop")
    album = AlbumFactory(title="Golden Hours", artist__name="Nova", year=2021, genre=pop)
    song = SongFactory(
        album=album, artist=album.artist, title="Opening", track_number=1, isrc="USAAA2100001"
    )
    client = client_for(None)
    listed = results(client.get("/api/v1/albums/"))
    expected = {
        "id": album.pk,
        "title": "Golden Hours",
        "artist": {"id": album.artist.pk, "name": "Nova"},
        "year": 2021,
        "release_date": None,
        "genre": "pop",
        "cover_url": None,
        "cover_sizes": None,
        "is_public": True,
        "is_visible": True,
        "song_count": 1,
        "liked": False,
    }
    assert listed == [expected]
    detail = client.get(f"/api/v1/albums/{album.pk}/").json()
    assert detail == {
        **expected,
        "songs": [
            {
                "id": song.pk,
                "title": "Opening",
                "artist": {"id": album.artist.pk, "name": "Nova"},
                "album": {"id": album.pk, "title": "Golden Hours"},
                "genre": "pop",
                "year": song.year,
                "duration_ms": song.duration_ms,
                "track_number": 1,
                "isrc": "USAAA2100001",
                "explicit": False,
                "popularity": song.popularity,
                "audio_features": {
                    "acousticness": song.acousticness,
                    "danceability": song.danceability,
                    "energy": song.energy,
                    "instrumentalness": song.instrumentalness,
                    "liveness": song.liveness,
                    "speechiness": song.speechiness,
                    "valence": song.valence,
                    "loudness": song.loudness,
                    "tempo": song.tempo,
                    "key": song.key,
                    "mode": song.mode,
                },
                "is_public": True,
                "is_visible": True,
                "audio": {"status": "none", "duration_ms": song.duration_ms},
            }
        ],
    }


def test_album_filters_and_ordering(client_for):
    rock, jazz = GenreFactory(slug="rock"), GenreFactory(slug="jazz")
    a = AlbumFactory(title="B side", year=2001, genre=rock)
    b = AlbumFactory(title="A side", year=2010, genre=jazz, artist=a.artist)
    c = AlbumFactory(title="C side", year=2010, genre=rock)
    client = client_for(None)

    def ids(query):
        return [row["id"] for row in results(client.get(f"/api/v1/albums/?{query}"))]

    assert ids("") == [b.pk, c.pk, a.pk]  # newest first, then title
    assert ids(f"artist={a.artist.pk}") == [b.pk, a.pk]
    assert ids("genre=rock") == [c.pk, a.pk]
    assert ids("year=2010") == [b.pk, c.pk]
    assert ids("ordering=title") == [b.pk, a.pk, c.pk]
    assert ids("ordering=-title") == [c.pk, a.pk, b.pk]
    assert client.get("/api/v1/albums/?year=abc").status_code == 400
    assert client.get("/api/v1/albums/?artist=1.5").status_code == 400
    assert client.get(f"/api/v1/albums/?artist={2**70}").status_code == 400


def test_song_filters(client_for):
    pop = GenreFactory(slug="pop")
    album = AlbumFactory(genre=pop)
    first = SongFactory(title="Alpha", album=album, artist=album.artist, year=1999)
    second = SongFactory(title="Beta", year=2005)
    client = client_for(None)

    def ids(query):
        return [row["id"] for row in results(client.get(f"/api/v1/songs/?{query}"))]

    assert ids("title=alp") == [first.pk]
    assert ids(f"artist={second.artist.pk}") == [second.pk]
    assert ids(f"album={album.pk}") == [first.pk]
    assert ids("genre=pop") == [first.pk]
    assert ids("year=2005") == [second.pk]
    assert ids("ordering=-year") == [second.pk, first.pk]
    assert client.get("/api/v1/songs/?search=" + "x" * 101).status_code == 400
    assert client.get("/api/v1/songs/?title=%00").status_code == 400


def test_search_is_ranked_over_title_artist_and_album(client_for):
    exact = SongFactory(title="Midnight City", artist__name="M83", popularity=10)
    by_artist = SongFactory(title="Something", artist__name="Midnight Oil", popularity=90)
    by_album = SongFactory(title="Other", album__title="Midnight Memories", popularity=50)
    typo = SongFactory(title="Midnigth Train", popularity=0)
    SongFactory(title="Unrelated", artist__name="Nobody", album__title="Nothing")
    rows = results(client_for(None).get("/api/v1/songs/?search=midnight city"))
    assert rows[0]["id"] == exact.pk
    found = {row["id"] for row in rows}
    assert {by_artist.pk, by_album.pk} <= found
    rows = results(client_for(None).get("/api/v1/songs/?search=midnight"))
    assert {exact.pk, by_artist.pk, by_album.pk} <= {row["id"] for row in rows}
    assert "Unrelated" not in {row["title"] for row in rows}
    # Similarity also catches misspellings.
    assert typo.pk in {
        row["id"] for row in results(client_for(None).get("/api/v1/songs/?search=midnigth"))
    }
    # An explicit ordering wins over the rank.
    rows = results(client_for(None).get("/api/v1/songs/?search=midnight&ordering=-popularity"))
    assert rows[0]["id"] == by_artist.pk


def test_album_search(client_for):
    album = AlbumFactory(title="Random Access Memories", artist__name="Daft Punk")
    by_artist = AlbumFactory(title="Discovery", artist=album.artist)
    AlbumFactory(title="Other")
    rows = results(client_for(None).get("/api/v1/albums/?search=random access"))
    assert rows[0]["id"] == album.pk
    rows = results(client_for(None).get("/api/v1/albums/?search=daft punk"))
    assert {row["id"] for row in rows} == {album.pk, by_artist.pk}


def test_song_create_and_update(client_for):
    artist_user = ArtistUserFactory()
    artist = ArtistFactory(user=artist_user)
    album = AlbumFactory(artist=artist, year=2019, genre=GenreFactory(slug="indie"))
    client = client_for(artist_user)
    response = client.post(
        "/api/v1/songs/",
        {
            "title": "Fresh",
            "album": album.pk,
            "track_number": 3,
            "duration_ms": 180000,
            "isrc": "GBAAA1900003",
            "audio_features": {"energy": 0.5, "key": 7, "mode": 1},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["artist"] == {"id": artist.pk, "name": artist.name}
    assert body["genre"] == "indie" and body["year"] == 2019
    assert (
        body["audio_features"]["energy"] == 0.5 and body["audio_features"]["danceability"] is None
    )
    url = f"/api/v1/songs/{body['id']}/"
    response = client.patch(
        url, {"audio_features": {"tempo": 120.5}, "explicit": True}, format="json"
    )
    assert response.json()["audio_features"]["tempo"] == 120.5
    assert response.json()["audio_features"]["energy"] == 0.5  # untouched
    assert response.json()["explicit"] is True
    for bad in [
        {"audio_features": {"energy": 1.5}},
        {"audio_features": {"key": 12}},
        {"isrc": "nope"},
        {"duration_ms": -1},
        {"year": 1800},
        {"title": ""},
        {"track_number": "x"},
    ]:
        assert client.patch(url, bad, format="json").status_code == 400, bad
    assert Song.objects.get(pk=body["id"]).title == "Fresh"


def test_album_create_derives_year_from_release_date(client_for):
    artist_user = ArtistUserFactory()
    ArtistFactory(user=artist_user)
    response = client_for(artist_user).post(
        "/api/v1/albums/", {"title": "Debut", "release_date": "2023-05-01", "is_public": False}
    )
    assert response.status_code == 201
    assert response.json()["year"] == 2023
    album = Album.objects.get(pk=response.json()["id"])
    assert album.created_by == artist_user and album.is_public is False


def test_unknown_methods_and_malformed_json(client_for):
    editor = EditorFactory()
    album = AlbumFactory()
    client = client_for(editor)
    assert client.put(f"/api/v1/albums/{album.pk}/", {"title": "x"}).status_code == 405
    response = client.generic(
        "POST", "/api/v1/albums/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["type"] == "client_error"


@pytest.mark.parametrize("path", ["/api/v1/songs/trending/", "/api/v1/songs/12/similar/"])
def test_recommendation_routes_are_not_swallowed(path):
    try:
        match = resolve(path)
    except Resolver404:
        return  # free for the recommendations app
    assert not match.func.__module__.startswith("catalog"), match


def test_search_treats_like_wildcards_literally(client_for):
    SongFactory(title="100% Pure")
    SongFactory(title="snake_case blues")
    SongFactory(title="Plain")
    found = [r["title"] for r in results(client_for(None).get("/api/v1/songs/?search=%25"))]
    assert found == ["100% Pure"]
    found = [r["title"] for r in results(client_for(None).get("/api/v1/songs/?search=e_c"))]
    assert found == ["snake_case blues"]


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/artists/", {"name": "N", "genres": ["a\x00b"]}),
        ("/api/v1/albums/", {"title": "T", "genre": "a\x00b"}),
        ("/api/v1/songs/", {"title": "T", "genre": "a\x00b"}),
        ("/api/v1/songs/", {"title": "T", "genre": "x" * 500}),
    ],
)
def test_a_genre_slug_with_a_nul_byte_is_400_and_nothing_is_written(client_for, url, body):
    editor = EditorFactory()
    artist = ArtistFactory()
    if "artists" not in url:
        body = {**body, "artist": artist.pk}
    response = client_for(editor).post(url, body, format="json")
    assert response.status_code == 400, response.content
    attr = "genres" if "artists" in url else "genre"
    assert [e["attr"].split(".")[0] for e in response.json()["errors"]] == [attr]
    assert [e["code"] for e in response.json()["errors"]] == ["does_not_exist"]
    assert Artist.objects.count() == 1 and not Album.objects.exists() and not Song.objects.exists()


@pytest.mark.parametrize(
    ("query", "attr", "code"),
    [
        ("colour=red", "colour", "unknown_parameter"),
        ("genre=pop&genre=rock", "genre", "multiple_values"),
        ("search=", "search", "blank"),
        ("ordering=title&ordering=id", "ordering", "multiple_values"),
        ("genre=a%00b", "genre", "null_characters_not_allowed"),
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/songs/", "/api/v1/albums/", "/api/v1/artists/"])
def test_catalog_query_strings_are_strict(client_for, path, query, attr, code):
    response = client_for(None).get(f"{path}?{query}")
    assert response.status_code == 400, response.content
    assert [(e["attr"], e["code"]) for e in response.json()["errors"]] == [(attr, code)]


def test_known_parameters_still_work_with_pagination_and_ordering(client_for):
    response = client_for(None).get("/api/v1/songs/?search=x&ordering=-id&limit=5&offset=0")
    assert response.status_code == 200
    assert client_for(None).get("/api/v1/genres/?limit=5").status_code == 200
    assert client_for(None).get("/api/v1/genres/?genre=x").status_code == 400
