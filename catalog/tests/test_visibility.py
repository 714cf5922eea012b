"""Visibility and role matrix: anonymous, listener, owning artist, another artist, editor,
admin. Hidden content is 404 to outsiders, directly and when reached indirectly."""

import pytest

from catalog import selectors
from catalog.models import Song
from catalog.tests.factories import AlbumFactory, AlbumLikeFactory, PlaylistFactory
from conftest import INSIDERS, ROLES

pytestmark = pytest.mark.django_db


def _ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("role", ROLES)
def test_album_detail_and_list_follow_visibility(role, cast, content, client_for):
    client = client_for(cast.by_role(role))
    insider = role in INSIDERS
    for album, always in [
        (content.public_album, True),
        (content.private_album, False),
        (content.hidden_album, False),
    ]:
        expected = 200 if (always or insider) else 404
        assert client.get(f"/api/v1/albums/{album.pk}/").status_code == expected, album.title
    listed = _ids(client.get("/api/v1/albums/"))
    expected_ids = {content.public_album.pk}
    if insider:
        expected_ids |= {content.private_album.pk, content.hidden_album.pk}
    assert listed == expected_ids


@pytest.mark.parametrize("role", ROLES)
def test_song_detail_and_list_follow_visibility(role, cast, content, client_for):
    client = client_for(cast.by_role(role))
    insider = role in INSIDERS
    hidden = [
        content.private_song,
        content.hidden_song,
        content.song_in_hidden_album,
        content.song_in_private_album,
    ]
    assert client.get(f"/api/v1/songs/{content.public_song.pk}/").status_code == 200
    for song in hidden:
        expected = 200 if insider else 404
        assert client.get(f"/api/v1/songs/{song.pk}/").status_code == expected, song.title
    expected_ids = {content.public_song.pk} | ({s.pk for s in hidden} if insider else set())
    assert _ids(client.get("/api/v1/songs/")) == expected_ids


@pytest.mark.parametrize("role", ROLES)
def test_album_detail_lists_only_songs_the_caller_may_see(role, cast, content, client_for):
    body = client_for(cast.by_role(role)).get(f"/api/v1/albums/{content.public_album.pk}/").json()
    titles = [song["title"] for song in body["songs"]]
    if role in INSIDERS:
        assert titles == ["Public Song", "Private Song", "Hidden Song"]
        assert body["song_count"] == 3
    else:
        assert titles == ["Public Song"]
        assert body["song_count"] == 1


@pytest.mark.parametrize("role", ROLES)
def test_search_never_reveals_hidden_content(role, cast, content, client_for):
    client = client_for(cast.by_role(role))
    found = {row["title"] for row in client.get("/api/v1/songs/?search=song").json()["results"]}
    if role in INSIDERS:
        assert {"Hidden Song", "Buried Song", "Secret Song", "Private Song"} <= found
    else:
        assert found == {"Public Song"}
    albums = {row["title"] for row in client.get("/api/v1/albums/?search=album").json()["results"]}
    assert ("Hidden Album" in albums) == (role in INSIDERS)


@pytest.mark.parametrize("role", ROLES)
def test_likes_of_hidden_albums_are_404(role, cast, content, client_for):
    AlbumLikeFactory(album=content.hidden_album)
    client = client_for(cast.by_role(role))
    expected = 200 if role in INSIDERS else 404
    assert client.get(f"/api/v1/albums/{content.hidden_album.pk}/likes/").status_code == expected
    if role != "anonymous":
        like = client.post(f"/api/v1/albums/{content.hidden_album.pk}/like/")
        assert like.status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_playlist_songs_leave_out_hidden_songs(role, cast, content, client_for):
    playlist = PlaylistFactory(
        owner=cast.listener,
        is_public=True,
        songs=[content.public_song, content.hidden_song, content.song_in_hidden_album],
    )
    response = client_for(cast.by_role(role)).get(f"/api/v1/playlists/{playlist.pk}/songs/")
    assert response.status_code == 200
    titles = [entry["song"]["title"] for entry in response.json()["results"]]
    if role in INSIDERS:
        assert titles == ["Public Song", "Hidden Song", "Buried Song"]
    else:
        assert titles == ["Public Song"]


@pytest.mark.parametrize("role", ROLES)
def test_private_playlists_are_404_to_outsiders(role, cast, client_for):
    private = PlaylistFactory(owner=cast.owner, is_public=False)
    public = PlaylistFactory(owner=cast.owner, is_public=True)
    client = client_for(cast.by_role(role))
    expected = 200 if role in {"owner", "editor", "admin"} else 404
    assert client.get(f"/api/v1/playlists/{private.pk}/").status_code == expected
    assert client.get(f"/api/v1/playlists/{private.pk}/songs/").status_code == expected
    assert client.get(f"/api/v1/playlists/{public.pk}/").status_code == 200


# --- role rules for writes ---------------------------------------------------------------

PATCH_EXPECTED = {
    "anonymous": 401,
    "listener": 403,
    "owner": 200,
    "other_artist_user": 403,
    "editor": 200,
    "admin": 200,
}


@pytest.mark.parametrize("role", ROLES)
def test_album_patch_matrix(role, cast, content, client_for):
    client = client_for(cast.by_role(role))
    response = client.patch(f"/api/v1/albums/{content.public_album.pk}/", {"title": "Renamed"})
    assert response.status_code == PATCH_EXPECTED[role]
    # On hidden content outsiders learn nothing: 404, not 403.
    hidden = client.patch(f"/api/v1/albums/{content.hidden_album.pk}/", {"title": "Renamed"})
    expected_hidden = 404 if role in {"listener", "other_artist_user"} else PATCH_EXPECTED[role]
    assert hidden.status_code == expected_hidden


@pytest.mark.parametrize("role", ROLES)
def test_song_patch_and_delete_matrix(role, cast, content, client_for):
    client = client_for(cast.by_role(role))
    url = f"/api/v1/songs/{content.public_song.pk}/"
    assert client.patch(url, {"title": "Renamed"}).status_code == PATCH_EXPECTED[role]
    expected_delete = {200: 204}.get(PATCH_EXPECTED[role], PATCH_EXPECTED[role])
    assert client.delete(url).status_code == expected_delete
    assert Song.objects.filter(pk=content.public_song.pk).exists() == (expected_delete != 204)


@pytest.mark.parametrize(("role", "expected"), [("owner", 403), ("editor", 200), ("admin", 200)])
def test_only_staff_set_is_visible(role, expected, cast, content, client_for):
    client = client_for(cast.by_role(role))
    response = client.patch(f"/api/v1/albums/{content.public_album.pk}/", {"is_visible": False})
    assert response.status_code == expected
    response = client.patch(f"/api/v1/songs/{content.public_song.pk}/", {"is_visible": False})
    assert response.status_code == expected


def test_owner_controls_is_public(cast, content, client_for):
    client = client_for(cast.owner)
    response = client.patch(f"/api/v1/albums/{content.public_album.pk}/", {"is_public": False})
    assert response.status_code == 200
    assert (
        client_for(cast.listener).get(f"/api/v1/albums/{content.public_album.pk}/").status_code
        == 404
    )


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 401),
        ("listener", 403),
        ("owner", 201),
        ("other_artist_user", 201),
        ("editor", 400),  # staff must name the artist
        ("admin", 400),
    ],
)
def test_album_create_without_artist(role, expected, cast, client_for):
    response = client_for(cast.by_role(role)).post(
        "/api/v1/albums/", {"title": "New", "year": 2024}
    )
    assert response.status_code == expected
    if expected == 201:
        user = cast.by_role(role)
        assert response.json()["artist"]["id"] == user.artist_profile.pk


def test_artist_cannot_create_for_another_artist(cast, client_for):
    response = client_for(cast.owner).post(
        "/api/v1/albums/", {"title": "Not mine", "artist": cast.other_artist.pk}
    )
    assert response.status_code == 403
    response = client_for(cast.editor).post(
        "/api/v1/albums/", {"title": "Anyone's", "artist": cast.other_artist.pk}
    )
    assert response.status_code == 201


def test_artist_cannot_put_songs_on_another_artists_album(cast, client_for):
    others_album = AlbumFactory(artist=cast.other_artist)
    response = client_for(cast.owner).post(
        "/api/v1/songs/", {"title": "Sneaky", "album": others_album.pk}
    )
    assert response.status_code == 403
    response = client_for(cast.other_artist_user).post(
        "/api/v1/songs/", {"title": "Mine", "album": others_album.pk}
    )
    assert response.status_code == 201
    assert response.json()["artist"] == {"id": cast.other_artist.pk, "name": "Other Artist"}


def test_referencing_a_hidden_album_looks_like_a_missing_one(cast, content, client_for):
    response = client_for(cast.other_artist_user).post(
        "/api/v1/songs/", {"title": "x", "album": content.hidden_album.pk}
    )
    missing = client_for(cast.other_artist_user).post(
        "/api/v1/songs/", {"title": "x", "album": 987654321}
    )
    assert response.status_code == missing.status_code == 400
    assert response.json()["errors"][0]["code"] == missing.json()["errors"][0]["code"]


def test_listener_cannot_set_popularity_or_create(cast, content, client_for):
    assert client_for(cast.listener).post("/api/v1/songs/", {"title": "x"}).status_code == 403
    response = client_for(cast.owner).patch(
        f"/api/v1/songs/{content.public_song.pk}/", {"popularity": 100}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_selectors_agree_with_the_api(role, cast, content):
    user = cast.by_role(role)
    visible = set(selectors.songs_visible_to(user=user).values_list("title", flat=True))
    if role in INSIDERS:
        assert len(visible) == 5
    else:
        assert visible == {"Public Song"}
        assert set(Song.objects.visible().values_list("title", flat=True)) == {"Public Song"}
