"""Lists and details run the same number of queries for 1 row and for 50 rows."""

from collections.abc import Callable, Sized

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.tests.factories import (
    AlbumFactory,
    AlbumLikeFactory,
    ArtistFactory,
    GenreFactory,
    PlaylistActivityFactory,
    PlaylistFactory,
    SongFactory,
)
from users.tests.factories import EditorFactory, UserFactory

pytestmark = pytest.mark.django_db


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


def results(body: dict) -> Sized:
    return body["results"]


def assert_same_count(
    client,
    url_for_small: str,
    url_for_large: str,
    django_assert_num_queries,
    *,
    rows: int | None,
    rows_of: Callable[[dict], Sized] = results,
) -> dict:
    """Measure the small case, then assert the large case with ``django_assert_num_queries``.

    The large case must really hold ``rows`` rows (``rows_of`` finds them in the body):
    a broken filter or prefetch that returns nothing is cheap, and must not pass. ``None``
    for a detail without nested rows (the caller checks which object came back).
    """
    expected = count_queries(client, url_for_small)
    with django_assert_num_queries(expected):
        response = client.get(url_for_large)
    assert response.status_code == 200, response.content
    body = response.json()
    if rows is not None:
        assert len(rows_of(body)) == rows
    return body


@pytest.fixture
def viewer(client_for):
    # A listener with a real JWT: authentication costs the same query in every request.
    return client_for(UserFactory())


@pytest.fixture
def staff(client_for):
    return client_for(EditorFactory())


def make_albums(n: int, genre) -> None:
    for album in AlbumFactory.create_batch(n, genre=genre):
        SongFactory.create_batch(2, album=album, artist=album.artist)


@pytest.mark.parametrize("who", ["viewer", "staff"])
def test_album_list(who, request, django_assert_num_queries):
    client = request.getfixturevalue(who)
    small, large = GenreFactory(slug="small"), GenreFactory(slug="large")
    make_albums(1, small)
    make_albums(50, large)
    assert_same_count(
        client,
        "/api/v1/albums/?genre=small",
        "/api/v1/albums/?genre=large&limit=100",
        django_assert_num_queries,
        rows=50,
    )


@pytest.mark.parametrize("who", ["viewer", "staff"])
def test_album_detail(who, request, django_assert_num_queries):
    client = request.getfixturevalue(who)
    one = AlbumFactory()
    SongFactory(album=one, artist=one.artist)
    fifty = AlbumFactory()
    SongFactory.create_batch(50, album=fifty, artist=fifty.artist)
    assert_same_count(
        client,
        f"/api/v1/albums/{one.pk}/",
        f"/api/v1/albums/{fifty.pk}/",
        django_assert_num_queries,
        rows=50,
        rows_of=lambda body: body["songs"],
    )


@pytest.mark.parametrize("who", ["viewer", "staff"])
def test_song_list_and_search(who, request, django_assert_num_queries):
    client = request.getfixturevalue(who)
    small, large = GenreFactory(slug="small"), GenreFactory(slug="large")
    SongFactory(genre=small, title="Lonely Tune")
    for i in range(50):
        SongFactory(genre=large, title=f"Tune {i}", album=None if i % 5 == 0 else AlbumFactory())
    assert_same_count(
        client,
        "/api/v1/songs/?genre=small",
        "/api/v1/songs/?genre=large&limit=100",
        django_assert_num_queries,
        rows=50,
    )
    assert_same_count(
        client,
        "/api/v1/songs/?search=lonely",
        "/api/v1/songs/?search=tune&limit=100",
        django_assert_num_queries,
        rows=51,  # "Lonely Tune" too
    )


def test_song_detail(viewer, django_assert_num_queries):
    one = SongFactory()
    other = SongFactory()
    PlaylistFactory.create_batch(3, songs=[other])  # related rows must not add queries
    body = assert_same_count(
        viewer,
        f"/api/v1/songs/{one.pk}/",
        f"/api/v1/songs/{other.pk}/",
        django_assert_num_queries,
        rows=None,
    )
    assert body["id"] == other.pk


def test_artist_list(viewer, django_assert_num_queries):
    small, large = GenreFactory(slug="small"), GenreFactory(slug="large")
    ArtistFactory(genres=[small])
    for _ in range(50):
        ArtistFactory(genres=[large, GenreFactory()])
    assert_same_count(
        viewer,
        "/api/v1/artists/?genre=small",
        "/api/v1/artists/?genre=large&limit=100",
        django_assert_num_queries,
        rows=50,
    )


def test_playlist_list(client_for, django_assert_num_queries):
    few, many = UserFactory(), UserFactory()
    PlaylistFactory(owner=few, songs=SongFactory.create_batch(1), collaborators=[UserFactory()])
    songs = SongFactory.create_batch(5)
    for _ in range(50):
        PlaylistFactory(owner=many, songs=songs, collaborators=UserFactory.create_batch(2))
    expected = count_queries(client_for(few), "/api/v1/playlists/")
    many_client = client_for(many)  # issuing its token is a write; keep it out of the count
    with django_assert_num_queries(expected):
        body = many_client.get("/api/v1/playlists/?limit=100").json()
    assert body["count"] == 50
    assert {row["song_count"] for row in body["results"]} == {5}


def test_playlist_detail_and_songs(client_for, django_assert_num_queries):
    owner = UserFactory()
    one = PlaylistFactory(owner=owner, songs=SongFactory.create_batch(1))
    fifty = PlaylistFactory(
        owner=owner,
        songs=[SongFactory(album=None if i % 3 else AlbumFactory()) for i in range(50)],
        collaborators=UserFactory.create_batch(5),
    )
    client = client_for(owner)
    body = assert_same_count(
        client,
        f"/api/v1/playlists/{one.pk}/",
        f"/api/v1/playlists/{fifty.pk}/",
        django_assert_num_queries,
        rows=5,
        rows_of=lambda body: body["collaborators"],
    )
    assert body["song_count"] == 50
    assert_same_count(
        client,
        f"/api/v1/playlists/{one.pk}/songs/",
        f"/api/v1/playlists/{fifty.pk}/songs/?limit=100",
        django_assert_num_queries,
        rows=50,
    )


def test_playlist_activities(client_for, django_assert_num_queries):
    owner = UserFactory()
    one = PlaylistFactory(owner=owner)
    PlaylistActivityFactory(playlist=one)
    fifty = PlaylistFactory(owner=owner)
    PlaylistActivityFactory.create_batch(50, playlist=fifty)
    assert_same_count(
        client_for(owner),
        f"/api/v1/playlists/{one.pk}/activities/",
        f"/api/v1/playlists/{fifty.pk}/activities/?limit=100",
        django_assert_num_queries,
        rows=50,
    )


def test_album_likes_count_is_one_query_then_none(viewer, django_assert_num_queries):
    album = AlbumFactory()
    AlbumLikeFactory.create_batch(50, album=album)
    viewer.get(f"/api/v1/albums/{album.pk}/likes/")
    # Cached: authentication and the album's visibility check only.
    with django_assert_num_queries(2):
        assert viewer.get(f"/api/v1/albums/{album.pk}/likes/").json() == {"likes": 50}
