"""GET /users/me/library/albums/: the albums I liked, newest first, visibility applied."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import AlbumLike
from catalog.tests.factories import AlbumFactory, AlbumLikeFactory, SongFactory
from catalog.tests.test_query_counts import assert_same_count
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/me/library/albums/"


def like(user, album, *, minutes_ago: int) -> AlbumLike:
    """A like stored ``minutes_ago`` (auto_now_add cannot be set on create)."""
    liked = AlbumLikeFactory(user=user, album=album)
    at = timezone.now() - timedelta(minutes=minutes_ago)
    AlbumLike.objects.filter(pk=liked.pk).update(created_at=at)
    liked.refresh_from_db()
    return liked


def listed_albums(client) -> dict[int, dict]:
    """The caller's album list, by id: the library shows albums exactly as it does."""
    body = client.get("/api/v1/albums/?limit=100").json()
    return {album["id"]: album for album in body["results"]}


def test_liked_albums_newest_first_with_liked_at(cast, content, client_for):
    listener = cast.listener
    older = AlbumFactory(artist=cast.other_artist, title="Older Like")
    SongFactory(artist=cast.other_artist, album=older)
    like_old = like(listener, older, minutes_ago=60)
    like_new = like(listener, content.public_album, minutes_ago=5)
    like(UserFactory(), AlbumFactory(title="Someone else's"), minutes_ago=1)
    AlbumFactory(title="Never liked")
    client = client_for(listener)

    response = client.get(URL)

    assert response.status_code == 200, response.content
    albums = listed_albums(client)
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {
                "liked_at": like_new.created_at.isoformat().replace("+00:00", "Z"),
                "album": albums[content.public_album.pk],
            },
            {
                "liked_at": like_old.created_at.isoformat().replace("+00:00", "Z"),
                "album": albums[older.pk],
            },
        ],
    }
    # The album is the one the list shows: its visible songs only (one of three is visible).
    assert albums[content.public_album.pk]["title"] == "Public Album"
    assert albums[content.public_album.pk]["song_count"] == 1


def test_an_album_hidden_after_the_like_is_left_out_and_comes_back(cast, content, client_for):
    listener = cast.listener
    like(listener, content.public_album, minutes_ago=10)
    other = AlbumFactory(artist=cast.other_artist, title="Stays")
    like(listener, other, minutes_ago=20)
    client = client_for(listener)

    content.public_album.is_visible = False
    content.public_album.save(update_fields=["is_visible"])
    assert [r["album"]["id"] for r in client.get(URL).json()["results"]] == [other.pk]

    content.public_album.is_visible = True
    content.public_album.is_public = False
    content.public_album.save(update_fields=["is_visible", "is_public"])
    assert client.get(URL).json()["count"] == 1

    content.public_album.is_public = True
    content.public_album.save(update_fields=["is_public"])
    assert [r["album"]["id"] for r in client.get(URL).json()["results"]] == [
        content.public_album.pk,
        other.pk,
    ]


def test_insiders_keep_the_hidden_albums_they_may_see(cast, content, client_for):
    like(cast.owner, content.hidden_album, minutes_ago=3)
    like(cast.editor, content.hidden_album, minutes_ago=3)
    like(cast.other_artist_user, content.hidden_album, minutes_ago=3)

    for user, count in [(cast.owner, 1), (cast.editor, 1), (cast.other_artist_user, 0)]:
        assert client_for(user).get(URL).json()["count"] == count, user.username


def test_pagination_walks_every_like_once(cast, client_for):
    albums = [AlbumFactory(title=f"A{i}") for i in range(5)]
    for minutes, album in enumerate(albums):
        like(cast.listener, album, minutes_ago=minutes)
    client = client_for(cast.listener)

    first = client.get(URL + "?limit=2").json()
    second = client.get(URL + "?limit=2&offset=2").json()
    third = client.get(URL + "?limit=2&offset=4").json()

    seen = [r["album"]["id"] for page in (first, second, third) for r in page["results"]]
    assert seen == [album.pk for album in albums]
    assert first["count"] == 5 and third["next"] is None


def test_per_user_caching_headers(cast, content, client_for):
    like(cast.listener, content.public_album, minutes_ago=1)

    response = client_for(cast.listener).get(URL)

    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert "private" in directives and "public" not in directives
    assert "Authorization" in [v.strip() for v in response["Vary"].split(",")]


def test_anonymous_gets_401_with_bearer_challenge(api_client):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["type"] == "client_error"


@pytest.mark.parametrize(
    ("query", "attr", "code"),
    [
        ("?sort=name", "sort", "unknown_parameter"),
        ("?limit=0", "limit", "invalid"),
        ("?limit=ten", "limit", "invalid"),
        ("?offset=-1", "offset", "invalid"),
        ("?limit=", "limit", "blank"),
        ("?limit=2&limit=3", "limit", "multiple_values"),
    ],
)
def test_bad_query_strings_are_400s(cast, client_for, query, attr, code):
    response = client_for(cast.listener).get(URL + query)

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "validation_error"
    assert [(e["attr"], e["code"]) for e in body["errors"]] == [(attr, code)]


def test_query_count_does_not_grow_with_the_page(cast, client_for, django_assert_num_queries):
    user = cast.listener
    for i in range(30):
        album = AlbumFactory(title=f"Liked {i}", artist=cast.other_artist)
        SongFactory(album=album, artist=cast.other_artist)
        like(user, album, minutes_ago=i)

    assert_same_count(
        client_for(user),
        URL + "?limit=1",
        URL + "?limit=30",
        django_assert_num_queries,
        rows=30,
    )
