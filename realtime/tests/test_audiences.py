"""Playlist events per audience: every subscriber gets positions counted over the songs it may
see, exactly as the REST API shows them, and no event about a song it may not see."""

from __future__ import annotations

import pytest
import redis
from channels_redis.serializers import registry
from django.contrib.auth.models import AnonymousUser

from catalog import selectors
from catalog.services import playlists as playlist_services
from catalog.tests.factories import PlaylistFactory, SongFactory
from common.realtime import _group_channel, group_name
from realtime.tests.conftest import Client, orm, run

pytestmark = pytest.mark.django_db

# Who sees what in the playlist of ``setup`` (stored order h, a, o, p, b):
# editor: all five; owner (artist of h and p): h a p b; other artist user (of o): a o b;
# listener and anonymous: a b.
SUBSCRIBERS = ["listener", "anonymous", "owner", "other_artist_user", "editor"]


@pytest.fixture
def setup(cast, content):
    songs = {
        "h": content.hidden_song,  # hidden by staff: its artist (owner) and staff see it
        "a": content.public_song,
        "o": SongFactory(artist=cast.other_artist, title="Other's Private", is_public=False),
        "p": content.private_song,  # private: its artist (owner) and staff see it
        "b": SongFactory(title="Public B"),
    }
    playlist = PlaylistFactory(owner=cast.owner, is_public=True, songs=list(songs.values()))
    return playlist, songs


def rest_positions(client_for, user, playlist) -> dict[int, int]:
    """Song id -> position, as ``user``'s REST API shows the playlist."""
    body = client_for(user).get(f"/api/v1/playlists/{playlist.pk}/songs/", {"limit": 100})
    assert body.status_code == 200
    return {entry["song"]["id"]: entry["position"] for entry in body.json()["results"]}


def test_audiences_follow_the_visibility_rule(cast, setup):
    playlist, _ = setup
    assert {
        role: selectors.song_audience(cast.by_role(role) or AnonymousUser()) for role in SUBSCRIBERS
    } == {
        "listener": "public",
        "anonymous": "public",
        "owner": f"artist:{cast.owner.pk}",
        "other_artist_user": f"artist:{cast.other_artist_user.pk}",
        "editor": "all",
    }
    assert set(selectors.playlist_song_audiences(playlist=playlist)) == {
        "all",
        "public",
        f"artist:{cast.owner.pk}",
        f"artist:{cast.other_artist_user.pk}",
    }
    # Only public songs: one audience, stored positions for everyone.
    assert selectors.playlist_song_audiences(playlist=PlaylistFactory(songs=[SongFactory()])) == {}


def test_each_subscriber_gets_the_positions_its_rest_api_shows(cast, setup, committing, client_for):
    playlist, s = setup
    channel = f"playlist:{playlist.pk}"
    c = SongFactory(title="Public C")
    q = SongFactory(artist=cast.artist, title="Owner's Private Q", is_public=False)
    users = {role: cast.by_role(role) for role in SUBSCRIBERS}

    async def rest(role: str) -> dict[int, int]:
        return await orm(rest_positions)(client_for, users[role], playlist)

    async def scenario():
        sockets = {role: Client(users[role]) for role in SUBSCRIBERS}
        for ws in sockets.values():
            await ws.__aenter__()
        try:
            for ws in sockets.values():
                assert (await ws.subscribe(channel))["type"] == "subscribed"

            # 1. A public song at the end: stored position 5, seen at 5, 4, 3 or 2.
            await committing(
                playlist_services.playlist_add_songs,
                user=cast.owner,
                playlist=playlist,
                song_ids=[c.pk],
            )
            seen = {}
            for role, ws in sockets.items():
                event = await ws.receive()
                assert event["event"] == "song_added"
                [entry] = event["data"]["entries"]
                assert entry["song"]["id"] == c.pk
                seen[role] = entry["position"]
                assert seen[role] == (await rest(role))[c.pk], role
            assert seen == {
                "listener": 2,
                "anonymous": 2,
                "owner": 4,
                "other_artist_user": 3,
                "editor": 5,
            }

            # 2. The owner's private song first: only the owner and staff hear of it.
            await committing(
                playlist_services.playlist_add_songs,
                user=cast.owner,
                playlist=playlist,
                song_ids=[q.pk],
                position=0,
            )
            for role in ("owner", "editor"):
                event = await sockets[role].receive()
                assert [(e["song"]["id"], e["position"]) for e in event["data"]["entries"]] == [
                    (q.pk, 0)
                ]
            for role in ("listener", "anonymous", "other_artist_user"):
                assert await sockets[role].nothing(), role

            # 3. b moved before everything the owner sees (stored 5 -> 0); each audience sees it
            # move from where its API showed it to where its API shows it now.
            before = {role: (await rest(role))[s["b"].pk] for role in SUBSCRIBERS}
            await committing(
                playlist_services.playlist_move_song,
                user=cast.owner,
                playlist=playlist,
                song_id=s["b"].pk,
                position=0,
            )
            for role, ws in sockets.items():
                event = await ws.receive()
                assert event["event"] == "song_moved"
                assert event["data"] == {
                    "snapshot_id": event["data"]["snapshot_id"],
                    "song_id": s["b"].pk,
                    "from": before[role],
                    "position": (await rest(role))[s["b"].pk],
                }, role
            assert before == {
                "listener": 1,
                "anonymous": 1,
                "owner": 4,
                "other_artist_user": 2,
                "editor": 5,
            }

            # 4. a removed: each gets the position its API showed.
            before = {role: (await rest(role))[s["a"].pk] for role in SUBSCRIBERS}
            await committing(
                playlist_services.playlist_remove_song,
                user=cast.owner,
                playlist=playlist,
                song_id=s["a"].pk,
            )
            for role, ws in sockets.items():
                event = await ws.receive()
                assert (event["event"], event["data"]["song_id"], event["data"]["position"]) == (
                    "song_removed",
                    s["a"].pk,
                    before[role],
                ), role

            # 5. The private song h removed: only those who saw it hear of it.
            await committing(
                playlist_services.playlist_remove_song,
                user=cast.owner,
                playlist=playlist,
                song_id=s["h"].pk,
            )
            for role in ("owner", "editor"):
                event = await sockets[role].receive()
                assert (event["event"], event["data"]["song_id"]) == ("song_removed", s["h"].pk)
            for role in ("listener", "anonymous", "other_artist_user"):
                assert await sockets[role].nothing(), role
        finally:
            for ws in sockets.values():
                await ws.__aexit__(None, None, None)

    run(scenario)


def test_a_move_among_hidden_songs_only_reaches_who_sees_it_move(cast, setup, committing):
    # o jumps over h, which only the owner and staff see: a listener sees nothing change.
    playlist, s = setup
    channel = f"playlist:{playlist.pk}"

    async def scenario():
        async with Client(cast.listener) as listener, Client(cast.other_artist_user) as other:
            await listener.subscribe(channel)
            await other.subscribe(channel)
            # The other artist (a collaborator now) moves its own o to the front: for it,
            # o goes from 1 to 0; the listener does not see o at all.
            await orm(playlist.collaborators.add)(cast.other_artist_user)
            await committing(
                playlist_services.playlist_move_song,
                user=cast.other_artist_user,
                playlist=playlist,
                song_id=s["o"].pk,
                position=0,
            )
            event = await other.receive()
            assert (event["data"]["from"], event["data"]["position"]) == (1, 0)
            assert await listener.nothing()

    run(scenario)


def test_one_audience_means_one_message_with_stored_positions(cast, committing, settings):
    # Everything public: no per-audience data rides along (the fan-out's fast path). Read
    # from Redis as the realtime process reads it.
    playlist = PlaylistFactory(owner=cast.listener, is_public=True, songs=[SongFactory()])
    song = SongFactory()
    listener = redis.Redis.from_url(settings.REDIS_URL).pubsub()
    listener.subscribe(_group_channel(group_name(f"playlist:{playlist.pk}")))
    try:
        assert listener.get_message(timeout=2)["type"] == "subscribe"

        async def write():
            await committing(
                playlist_services.playlist_add_songs,
                user=cast.listener,
                playlist=playlist,
                song_ids=[song.pk],
            )

        run(write)
        raw = listener.get_message(timeout=2)
    finally:
        listener.close()
    message = registry.get_serializer("msgpack").deserialize(raw["data"])
    assert (message["event"], "audiences" in message) == ("song_added", False)
    assert [e["position"] for e in message["data"]["entries"]] == [1]


def test_a_demoted_editor_gets_what_a_listener_sees_from_the_next_event(
    cast, setup, committing, client_for
):
    # The role change's control message is handled before the next event, which is then
    # rendered for the socket's new audience.
    from users.services import user_admin_update

    playlist, _ = setup
    c, d = SongFactory(title="C"), SongFactory(title="D")

    async def scenario():
        async with Client(cast.editor) as ws:
            await ws.subscribe(f"playlist:{playlist.pk}")

            async def add(song) -> int:
                await committing(
                    playlist_services.playlist_add_songs,
                    user=cast.owner,
                    playlist=playlist,
                    song_ids=[song.pk],
                )
                return (await ws.receive())["data"]["entries"][0]["position"]

            assert await add(c) == 5  # h a o p b c
            await committing(user_admin_update, user=cast.editor, role="listener")
            assert await add(d) == 3  # a b c d
            assert (await orm(rest_positions)(client_for, cast.editor, playlist))[d.pk] == 3

    run(scenario)
