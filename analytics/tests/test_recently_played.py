"""GET /users/me/recently-played/: my counted plays, newest first, cursor-paginated."""

import base64
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from django.utils import timezone

from analytics.models import Action, FlagReason
from analytics.tests.factories import ListeningEventFactory
from catalog.tests.factories import AlbumFactory, SongFactory
from catalog.tests.test_query_counts import assert_same_count
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/me/recently-played/"


def play(user, song, *, minutes_ago: int, **fields):
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return ListeningEventFactory(user=user, song=song, occurred_at=at, **fields)


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def summary(song) -> dict:
    return {
        "id": song.pk,
        "title": song.title,
        "artist": {"id": song.artist.pk, "name": song.artist.name},
        "album": {"id": song.album.pk, "title": song.album.title} if song.album else None,
        "duration_ms": song.duration_ms,
        "explicit": song.explicit,
    }


def test_my_plays_newest_first_with_the_song(cast, content, client_for):
    listener = cast.listener
    single = SongFactory(artist=cast.other_artist, album=None, title="Single", duration_ms=None)
    older = play(listener, content.public_song, minutes_ago=90)
    newer = play(listener, single, minutes_ago=5)
    # Not plays of mine, not counted, or not plays at all: none are listed.
    play(UserFactory(), content.public_song, minutes_ago=1)
    play(listener, content.public_song, minutes_ago=2, action=Action.SKIP)
    play(listener, single, minutes_ago=3, flagged=True, flag_reason=FlagReason.REPEAT)

    response = client_for(listener).get(URL)

    assert response.status_code == 200, response.content
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            {"played_at": iso(newer.occurred_at), "song": summary(single)},
            {"played_at": iso(older.occurred_at), "song": summary(content.public_song)},
        ],
    }


def test_songs_hidden_since_are_left_out(cast, content, client_for):
    listener = cast.listener
    play(listener, content.public_song, minutes_ago=10)
    kept = SongFactory(artist=cast.other_artist, album=AlbumFactory(artist=cast.other_artist))
    play(listener, kept, minutes_ago=20)
    client = client_for(listener)

    content.public_album.is_visible = False
    content.public_album.save(update_fields=["is_visible"])
    assert [r["song"]["id"] for r in client.get(URL).json()["results"]] == [kept.pk]

    content.public_album.is_visible = True
    content.public_album.save(update_fields=["is_visible"])
    content.public_song.is_public = False
    content.public_song.save(update_fields=["is_public"])
    assert [r["song"]["id"] for r in client.get(URL).json()["results"]] == [kept.pk]

    # The owning artist still sees their private song in their own history.
    play(cast.owner, content.public_song, minutes_ago=1)
    owner_ids = [r["song"]["id"] for r in client_for(cast.owner).get(URL).json()["results"]]
    assert owner_ids == [content.public_song.pk]


def test_the_cursor_walks_every_play_once_even_with_equal_times(cast, client_for):
    listener = cast.listener
    songs = [SongFactory(title=f"S{i}") for i in range(7)]
    same_moment = timezone.now() - timedelta(minutes=30)
    events = [play(listener, song, minutes_ago=i) for i, song in enumerate(songs[:4])]
    # Three plays at the same instant: ties are ordered by id, none repeated or skipped.
    tied = [
        ListeningEventFactory(user=listener, song=song, occurred_at=same_moment)
        for song in songs[4:]
    ]
    expected = [e.song_id for e in events] + [e.song_id for e in reversed(tied)]
    client = client_for(listener)

    seen, url, pages = [], URL + "?limit=2", 0
    while url:
        body = client.get(url).json()
        seen += [r["song"]["id"] for r in body["results"]]
        url, pages = body["next"], pages + 1
    assert seen == expected
    assert pages == 4

    # And back: the previous link of the last page returns the page before it.
    last = client.get(URL + "?limit=2").json()
    second = client.get(last["next"]).json()
    back = client.get(second["previous"]).json()
    assert back["results"] == last["results"]


def test_per_user_caching_headers(cast, content, client_for):
    play(cast.listener, content.public_song, minutes_ago=1)

    response = client_for(cast.listener).get(URL)

    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert "private" in directives and "public" not in directives
    assert "Authorization" in [v.strip() for v in response["Vary"].split(",")]


def test_anonymous_gets_401_with_bearer_challenge(api_client):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def _cursor(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


@pytest.mark.parametrize(
    ("query", "attr", "code"),
    [
        ({"since": "yesterday"}, "since", "unknown_parameter"),
        ({"offset": "10"}, "offset", "unknown_parameter"),
        ({"limit": "0"}, "limit", "invalid"),
        ({"limit": "101"}, "limit", "invalid"),
        ({"limit": "x"}, "limit", "invalid"),
        ({"limit": ""}, "limit", "blank"),
    ],
)
def test_bad_query_strings_are_400s(cast, content, client_for, query, attr, code):
    play(cast.listener, content.public_song, minutes_ago=1)

    response = client_for(cast.listener).get(URL + "?" + urlencode(query))

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "validation_error"
    assert [(e["attr"], e["code"]) for e in body["errors"]] == [(attr, code)]


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all",
        _cursor("o=abc"),
        # Decodes, but its position is not a time: would fail in SQL without the check.
        _cursor("p=not-a-time"),
        _cursor("p=2026-13-45 25:00:00"),
    ],
)
def test_a_cursor_that_leads_nowhere_is_a_404(cast, content, client_for, cursor):
    play(cast.listener, content.public_song, minutes_ago=1)

    response = client_for(cast.listener).get(URL, {"cursor": cursor})

    assert response.status_code == 404, response.content
    assert response.json() == {
        "type": "client_error",
        "errors": [{"code": "not_found", "detail": "Invalid cursor", "attr": None}],
    }


def test_a_cursor_from_the_api_is_accepted(cast, content, client_for):
    for minutes in range(3):
        play(cast.listener, content.public_song, minutes_ago=minutes)

    first = client_for(cast.listener).get(URL + "?limit=1").json()
    cursor = parse_qs(urlparse(first["next"]).query)["cursor"][0]

    assert client_for(cast.listener).get(URL, {"cursor": cursor}).status_code == 200


def test_query_count_does_not_grow_with_the_page(cast, client_for, django_assert_num_queries):
    listener = cast.listener
    for i in range(40):
        album = AlbumFactory(artist=cast.other_artist) if i % 2 else None
        play(listener, SongFactory(artist=cast.other_artist, album=album), minutes_ago=i)

    assert_same_count(
        client_for(listener),
        URL + "?limit=1",
        URL + "?limit=40",
        django_assert_num_queries,
        rows=40,
    )
