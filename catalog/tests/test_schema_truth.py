"""Catalog writes take what their OpenAPI schema allows and refuse the rest (fuzz findings).

String fields take no JSON number (DRF's CharField stored ``5`` as ``"5"``); ids take no
string; the rules across fields or by role that no schema can state answer their own
documented code instead of ``required`` on a field the schema calls optional.
"""

import pytest

from catalog.models import Album, Artist, Playlist, Song
from catalog.tests.factories import AlbumFactory, OwnedArtistFactory, PlaylistFactory, SongFactory
from users.tests.factories import EditorFactory, UserFactory

pytestmark = pytest.mark.django_db


def error(response) -> tuple[int, list[tuple[str, str]]]:
    return response.status_code, [(e["attr"], e["code"]) for e in response.json()["errors"]]


@pytest.mark.parametrize(
    "body, attr",
    [
        ({"name": 5}, "name"),
        ({"name": "A", "bio": 0}, "bio"),
        ({"name": "A", "genres": [5]}, "genres"),
    ],
)
def test_post_artist_refuses_numbers_for_strings(client_for, body, attr):
    response = client_for(EditorFactory()).post("/api/v1/artists/", body, format="json")
    assert error(response) == (400, [(attr, "invalid" if attr != "genres" else "does_not_exist")])
    assert not Artist.objects.exists()


@pytest.mark.parametrize("body", [{"name": 5}, {"name": "Mix", "description": 0}])
def test_post_playlist_refuses_numbers_for_strings(client_for, body):
    response = client_for(UserFactory()).post("/api/v1/playlists/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid"
    assert not Playlist.objects.exists()


def test_post_album_refuses_a_string_artist_id(client_for):
    artist = OwnedArtistFactory()
    response = client_for(EditorFactory()).post(
        "/api/v1/albums/", {"title": "A", "artist": str(artist.pk)}, format="json"
    )
    assert error(response) == (400, [("artist", "incorrect_type")])


def test_editors_name_the_album_artist_with_its_own_code(client_for):
    response = client_for(EditorFactory()).post("/api/v1/albums/", {"title": "A"}, format="json")
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "artist_required",
                "detail": "Editors and admins name the album's artist.",
                "attr": "artist",
            }
        ],
    }
    assert not Album.objects.exists()


def test_an_artist_account_may_leave_the_album_artist_out(client_for):
    artist = OwnedArtistFactory()
    response = client_for(artist.user).post("/api/v1/albums/", {"title": "A"}, format="json")
    assert response.status_code == 201
    assert Album.objects.get().artist == artist


def test_songs_need_an_artist_or_an_album_a_rule_across_fields(client_for):
    editor = EditorFactory()
    response = client_for(editor).post("/api/v1/songs/", {"title": "S"}, format="json")
    assert response.json() == {
        "type": "validation_error",
        "errors": [
            {
                "code": "artist_or_album",
                "detail": "Give an artist or an album.",
                "attr": "non_field_errors",
            }
        ],
    }
    album = AlbumFactory()
    by_album = client_for(editor).post(
        "/api/v1/songs/", {"title": "S", "album": album.pk}, format="json"
    )
    assert by_album.status_code == 201
    assert Song.objects.get().artist == album.artist


def test_a_second_artist_profile_has_its_own_code(client_for):
    artist = OwnedArtistFactory()
    response = client_for(artist.user).post("/api/v1/artists/", {"name": "Two"}, format="json")
    assert error(response) == (400, [("non_field_errors", "artist_profile_exists")])


@pytest.mark.parametrize("body", [{}, {"song_id": 1, "song_ids": [1]}])
def test_playlist_add_songs_takes_exactly_one_of_song_id_and_song_ids(client_for, body):
    playlist = PlaylistFactory()
    SongFactory()
    response = client_for(playlist.owner).post(
        f"/api/v1/playlists/{playlist.pk}/songs/", body, format="json"
    )
    assert error(response) == (400, [("non_field_errors", "song_id_or_song_ids")])


def test_the_rules_are_documented_for_their_operations(client_for):
    schema = client_for(None).get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]

    def codes(component: str) -> list[str]:
        return components[component]["properties"]["code"]["enum"]

    assert "artist_required" in codes("AlbumsCreateArtistErrorComponent")
    assert "required" not in codes("AlbumsCreateArtistErrorComponent")
    assert "artist_or_album" in codes("SongsCreateNonFieldErrorsErrorComponent")
    assert "artist_profile_exists" in codes("ArtistsCreateNonFieldErrorsErrorComponent")
    albums = schema["paths"]["/api/v1/albums/"]["post"]
    assert "`artist_required`" in albums["description"]
    songs = schema["paths"]["/api/v1/songs/"]["post"]
    assert "`artist_or_album`" in songs["description"]
