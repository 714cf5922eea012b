"""The /ws/v1/ consumer on the real ASGI application and Redis channel layer: who may
subscribe to what, every event type, access revoked while subscribed, limits, bad input."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from analytics.models import Action
from analytics.tests.factories import ListeningEventFactory
from catalog.models import Playlist, PlaylistExport
from catalog.services import playlists as playlist_services
from catalog.tests.factories import PlaylistFactory, SongFactory
from charts.tests.factories import ChartFactory
from common.realtime import access_changed, publish
from conftest import ROLES
from realtime.tests.conftest import Client, orm, run, token_for
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def body(channel: str, event: str, data: dict) -> dict:
    return {"type": "event", "channel": channel, "event": event, "data": data}


def without_at(message: dict) -> dict:
    assert "at" in message, message
    return {k: v for k, v in message.items() if k != "at"}


# --- authentication ------------------------------------------------------------------------


def test_a_bad_token_closes_with_4401(cast):
    async def scenario():
        async with Client(token="not-a-jwt") as ws:
            assert await ws.closed_with() == 4401

    run(scenario)


def test_an_expired_token_closes_with_4401(cast):
    token = AccessToken.for_user(cast.listener)
    token.set_exp(lifetime=-timedelta(seconds=1))

    async def scenario():
        async with Client(token=str(token)) as ws:
            assert await ws.closed_with() == 4401

    run(scenario)


def test_a_refresh_token_is_not_an_access_token(cast):
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh = str(RefreshToken.for_user(cast.listener))

    async def scenario():
        async with Client(token=refresh) as ws:
            assert await ws.closed_with() == 4401

    run(scenario)


def test_a_blocked_user_is_closed_with_4403_and_an_inactive_one_with_4401(cast):
    blocked = UserFactory(is_blocked=True)
    inactive = UserFactory(is_active=False)

    async def scenario():
        async with Client(blocked) as ws:
            assert await ws.closed_with() == 4403
        async with Client(inactive) as ws:
            assert await ws.closed_with() == 4401

    run(scenario)


def test_an_unknown_path_is_closed_with_4404():
    async def scenario():
        async with Client(path="/ws/v2/") as ws:
            assert await ws.closed_with() == 4404

    run(scenario)


# --- who may subscribe -------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_playlist_subscriptions_follow_the_visibility_rule(cast, role):
    collaborator = UserFactory()
    public = PlaylistFactory(owner=cast.listener, is_public=True)
    private = PlaylistFactory(owner=cast.owner, collaborators=[collaborator])
    user = cast.by_role(role)
    # Private playlists: their owner, collaborators and staff; anyone else gets "not found".
    sees_private = role in {"owner", "editor", "admin"}

    async def scenario():
        async with Client(user) as ws:
            assert await ws.subscribe(f"playlist:{public.pk}") == {
                "type": "subscribed",
                "channel": f"playlist:{public.pk}",
            }
            reply = await ws.subscribe(f"playlist:{private.pk}")
            if sees_private:
                assert reply == {"type": "subscribed", "channel": f"playlist:{private.pk}"}
            else:
                assert reply == {
                    "type": "error",
                    "channel": f"playlist:{private.pk}",
                    "code": "not_found",
                    "detail": "No such playlist.",
                }
        async with Client(collaborator) as ws:
            assert (await ws.subscribe(f"playlist:{private.pk}"))["type"] == "subscribed"

    run(scenario)


@pytest.mark.parametrize("role", ROLES)
def test_user_and_analytics_channels_by_role(cast, role):
    user = cast.by_role(role)

    async def scenario():
        async with Client(user) as ws:
            me = await ws.subscribe("user:me")
            live = await ws.subscribe("analytics:live")
        assert me["type"] == ("error" if role == "anonymous" else "subscribed"), me
        if role == "anonymous":
            assert me["code"] == "forbidden"
        if role in {"editor", "admin"}:
            assert live == {"type": "subscribed", "channel": "analytics:live"}
        else:
            assert (live["type"], live["code"]) == ("error", "forbidden")

    run(scenario)


def test_chart_channels_are_public_and_unknown_ones_not_found(db):
    ChartFactory(slug="top-50-global")

    async def scenario():
        async with Client() as ws:
            assert (await ws.subscribe("chart:top-50-global"))["type"] == "subscribed"
            missing = await ws.subscribe("chart:nope")
            assert (missing["type"], missing["code"]) == ("error", "not_found")

    run(scenario)


@pytest.mark.parametrize(
    "channel",
    ["", "playlist:", "playlist:abc", "playlist:0", "playlist:012", "playlist:99999999999999999999",
     "chart:a b", "user:12", "user:you", "analytics:other", "nothing", "x" * 500, 12, None],
)  # fmt: skip
def test_malformed_channel_names_are_invalid(cast, channel):
    async def scenario():
        async with Client(cast.listener) as ws:
            reply = await ws.subscribe(channel)
            assert reply["type"] == "error"
            assert reply["code"] == "invalid"
            assert reply["channel"] == (
                channel if isinstance(channel, str) and len(channel) <= 200 else None
            )

    run(scenario)


# --- playlist events ---------------------------------------------------------------------


def test_every_playlist_event_reaches_a_collaborator_with_the_new_snapshot_id(
    cast, content, committing
):
    collaborator = UserFactory()
    first, second = SongFactory(title="First"), SongFactory(title="Second")
    playlist = PlaylistFactory(owner=cast.listener, collaborators=[collaborator], songs=[first])
    channel = f"playlist:{playlist.pk}"

    async def snapshot() -> str:
        return (await orm(Playlist.objects.get)(pk=playlist.pk)).snapshot_id

    async def scenario():
        async with Client(collaborator) as ws:
            await ws.subscribe(channel)

            await committing(
                playlist_services.playlist_add_songs,
                user=cast.listener,
                playlist=playlist,
                song_ids=[second.pk],
                position=0,
            )
            added = without_at(await ws.receive())
            entry = added["data"]["entries"][0]
            assert entry.pop("added_at")
            assert added == body(
                channel,
                "song_added",
                {
                    "snapshot_id": await snapshot(),
                    "entries": [
                        {
                            "position": 0,
                            "song": {
                                "id": second.pk,
                                "title": "Second",
                                "artist": {"id": second.artist_id, "name": second.artist.name},
                                "album": {"id": second.album_id, "title": second.album.title},
                                "duration_ms": second.duration_ms,
                                "explicit": second.explicit,
                            },
                            "added_by": {"id": cast.listener.pk, "username": "listener"},
                        }
                    ],
                },
            )

            await committing(
                playlist_services.playlist_move_song,
                user=collaborator,
                playlist=playlist,
                song_id=second.pk,
                position=1,
            )
            assert without_at(await ws.receive()) == body(
                channel,
                "song_moved",
                {"snapshot_id": await snapshot(), "song_id": second.pk, "from": 0, "position": 1},
            )

            await committing(
                playlist_services.playlist_remove_song,
                user=cast.listener,
                playlist=playlist,
                song_id=first.pk,
            )
            assert without_at(await ws.receive()) == body(
                channel,
                "song_removed",
                {"snapshot_id": await snapshot(), "song_id": first.pk, "position": 0},
            )

            await committing(
                playlist_services.playlist_update,
                user=cast.listener,
                playlist=playlist,
                data={"name": "Road trip"},
            )
            assert without_at(await ws.receive()) == body(
                channel,
                "updated",
                {
                    "snapshot_id": await snapshot(),
                    "name": "Road trip",
                    "description": playlist.description,
                    "is_public": False,
                },
            )
            assert await ws.nothing()

    run(scenario)


def test_a_rolled_back_write_publishes_nothing(cast):
    playlist = PlaylistFactory(owner=cast.listener, is_public=True)
    song = SongFactory()

    def failing_write():
        from django.db import transaction

        with transaction.atomic():
            playlist_services.playlist_add_songs(
                user=cast.listener, playlist=playlist, song_ids=[song.pk]
            )
            raise RuntimeError("the request failed after the write")

    async def scenario():
        async with Client() as ws:
            await ws.subscribe(f"playlist:{playlist.pk}")
            with pytest.raises(RuntimeError):
                await orm(failing_write)()
            assert await ws.nothing(0.5)

    run(scenario)


def test_songs_a_subscriber_may_not_see_are_left_out_of_events(cast, content, committing):
    # The owning artist puts its own private song on its public playlist: a listener learns
    # the new snapshot id but not the song.
    playlist = PlaylistFactory(owner=cast.owner, is_public=True)
    channel = f"playlist:{playlist.pk}"
    private_song = content.private_song

    async def scenario():
        async with Client(cast.listener) as listener, Client(cast.owner) as owner:
            await listener.subscribe(channel)
            await owner.subscribe(channel)
            await committing(
                playlist_services.playlist_add_songs,
                user=cast.owner,
                playlist=playlist,
                song_ids=[private_song.pk, content.public_song.pk],
            )
            seen_by_listener = await listener.receive()
            seen_by_owner = await owner.receive()
            assert [e["song"]["id"] for e in seen_by_owner["data"]["entries"]] == [
                private_song.pk,
                content.public_song.pk,
            ]
            assert [e["song"]["id"] for e in seen_by_listener["data"]["entries"]] == [
                content.public_song.pk
            ]
            assert seen_by_listener["data"]["snapshot_id"] == seen_by_owner["data"]["snapshot_id"]

            await committing(
                playlist_services.playlist_remove_song,
                user=cast.owner,
                playlist=playlist,
                song_id=private_song.pk,
            )
            assert (await owner.receive())["data"]["song_id"] == private_song.pk
            assert await listener.nothing()  # no event about a song it may not see

    run(scenario)


# --- access revoked while subscribed ----------------------------------------------------------


def test_a_removed_collaborator_is_unsubscribed_at_once(cast, committing):
    collaborator, other = UserFactory(), UserFactory()
    playlist = PlaylistFactory(owner=cast.listener, collaborators=[collaborator, other])
    channel = f"playlist:{playlist.pk}"
    song = SongFactory()

    async def scenario():
        async with Client(collaborator) as removed, Client(other) as kept:
            await removed.subscribe(channel)
            await kept.subscribe(channel)
            await committing(
                playlist_services.playlist_remove_collaborator,
                user=cast.listener,
                playlist=playlist,
                collaborator_id=collaborator.pk,
            )
            assert await removed.receive() == {
                "type": "unsubscribed",
                "channel": channel,
                "reason": "access",
            }
            await committing(
                playlist_services.playlist_add_songs,
                user=cast.listener,
                playlist=playlist,
                song_ids=[song.pk],
            )
            assert (await kept.receive())["event"] == "song_added"
            assert await removed.nothing()
            # and it cannot subscribe again
            assert (await removed.subscribe(channel))["code"] == "not_found"

    run(scenario)


def test_a_playlist_made_private_drops_those_who_may_no_longer_see_it(cast, committing):
    collaborator = UserFactory()
    playlist = PlaylistFactory(owner=cast.listener, is_public=True, collaborators=[collaborator])
    channel = f"playlist:{playlist.pk}"

    async def scenario():
        async with (
            Client() as anonymous,
            Client(cast.other_artist_user) as stranger,
            Client(collaborator) as member,
            Client(cast.editor) as editor,
        ):
            for ws in (anonymous, stranger, member, editor):
                assert (await ws.subscribe(channel))["type"] == "subscribed"
            await committing(
                playlist_services.playlist_update,
                user=cast.listener,
                playlist=playlist,
                data={"is_public": False},
            )
            for ws in (anonymous, stranger):
                assert await ws.receive() == {
                    "type": "unsubscribed",
                    "channel": channel,
                    "reason": "access",
                }
                assert await ws.nothing()
            for ws in (member, editor):
                updated = await ws.receive()
                assert (updated["event"], updated["data"]["is_public"]) == ("updated", False)

    run(scenario)


def test_a_deleted_playlist_unsubscribes_everyone(cast, committing):
    playlist = PlaylistFactory(owner=cast.listener, is_public=True)

    async def scenario():
        async with Client(cast.listener) as owner:
            await owner.subscribe(f"playlist:{playlist.pk}")
            await committing(
                playlist_services.playlist_delete, user=cast.listener, playlist=playlist
            )
            assert (await owner.receive())["type"] == "unsubscribed"

    run(scenario)


def test_a_blocked_user_is_closed_at_once_when_told(cast, committing):
    user = UserFactory()

    def block():
        user.is_blocked = True
        user.save(update_fields=["is_blocked"])
        access_changed(f"user:{user.pk}")  # the call users' block service makes

    async def scenario():
        async with Client(user) as ws:
            await ws.subscribe("user:me")
            await committing(block)
            assert await ws.closed_with() == 4403

    run(scenario)


def test_a_blocked_user_is_closed_within_seconds_without_being_told(cast, settings):
    settings.REALTIME_ACCOUNT_RECHECK_SECONDS = 0.2
    user = UserFactory()

    async def scenario():
        async with Client(user) as ws:
            await ws.subscribe("user:me")
            await orm(type(user).objects.filter(pk=user.pk).update)(is_blocked=True)
            assert await ws.closed_with(timeout=3) == 4403

    run(scenario)


def test_a_demoted_editor_loses_analytics_live(cast, committing, settings):
    settings.REALTIME_ANALYTICS_INTERVAL = 60

    def demote():
        cast.editor.role = "listener"
        cast.editor.save(update_fields=["role"])
        access_changed(f"user:{cast.editor.pk}")

    async def scenario():
        async with Client(cast.editor) as ws:
            assert (await ws.subscribe("analytics:live"))["type"] == "subscribed"
            assert (await ws.receive())["event"] == "live_stats"
            await committing(demote)
            assert await ws.receive() == {
                "type": "unsubscribed",
                "channel": "analytics:live",
                "reason": "access",
            }

    run(scenario)


# --- user:me, charts and analytics:live ------------------------------------------------------


def test_export_sent_reaches_its_requester_only(cast, committing, mailoutbox):
    cast.listener.email = "listener@example.com"
    cast.listener.save()
    playlist = PlaylistFactory(owner=cast.listener)
    export = PlaylistExport.objects.create(
        task_id="3d7c5b1e-0000-4000-8000-000000000001",
        playlist=playlist,
        requested_by=cast.listener,
        target_email="listener@example.com",
    )

    async def scenario():
        async with Client(cast.listener) as mine, Client(cast.editor) as other:
            await mine.subscribe("user:me")
            await other.subscribe("user:me")
            await committing(playlist_services.playlist_export_send, export_id=export.task_id)
            assert without_at(await mine.receive()) == body(
                "user:me",
                "export_sent",
                {"export_id": export.task_id, "playlist_id": playlist.pk, "name": playlist.name},
            )
            assert await other.nothing()

    run(scenario)


@pytest.mark.parametrize(
    ("event", "data"),
    [
        ("picks_refreshed", {"generated_at": "2026-11-26T12:00:00+00:00", "count": 20}),
        ("audio_ready", {"song_id": 7, "duration_ms": 180000}),
        ("audio_failed", {"song_id": 7, "reason": "not an audio file"}),
    ],
)
def test_user_notifications_are_delivered_as_user_me(cast, event, data, committing):
    # The calls other apps make (see the README): publish(f"user:{id}", event, data).
    async def scenario():
        async with Client(cast.owner) as ws:
            await ws.subscribe("user:me")
            await committing(publish, channel=f"user:{cast.owner.pk}", event=event, data=data)
            assert without_at(await ws.receive()) == body("user:me", event, data)

    run(scenario)


def test_events_stop_after_unsubscribe(cast, committing):
    async def scenario():
        async with Client(cast.owner) as ws:
            await ws.subscribe("user:me")
            await ws.send({"action": "unsubscribe", "channel": "user:me"})
            assert await ws.receive() == {"type": "unsubscribed", "channel": "user:me"}
            await committing(publish, channel=f"user:{cast.owner.pk}", event="audio_ready", data={})
            assert await ws.nothing()

    run(scenario)


def test_snapshot_ingested_reaches_chart_subscribers(db, committing):
    ChartFactory(slug="top-50-global")
    data = {"date": "2026-11-25", "entries": 50}

    async def scenario():
        async with Client() as ws:
            await ws.subscribe("chart:top-50-global")
            await committing(
                publish, channel="chart:top-50-global", event="snapshot_ingested", data=data
            )
            assert without_at(await ws.receive()) == body(
                "chart:top-50-global", "snapshot_ingested", data
            )

    run(scenario)


def test_analytics_live_sends_events_per_minute_and_listeners(cast, settings):
    settings.REALTIME_ANALYTICS_INTERVAL = 0.2
    now = timezone.now()
    a, b = UserFactory(), UserFactory()
    song = SongFactory()
    ListeningEventFactory(user=a, song=song, occurred_at=now - timedelta(seconds=10))
    ListeningEventFactory(user=a, song=song, occurred_at=now - timedelta(seconds=20))
    ListeningEventFactory(user=b, song=song, occurred_at=now - timedelta(minutes=3))
    ListeningEventFactory(user=b, song=song, action=Action.SKIP, occurred_at=now)
    ListeningEventFactory(user=UserFactory(), song=song, occurred_at=now - timedelta(minutes=9))

    async def scenario():
        async with Client(cast.admin) as ws:
            await ws.subscribe("analytics:live")
            first, second = await ws.receive(), await ws.receive()
        for message in (first, second):
            assert (message["channel"], message["event"]) == ("analytics:live", "live_stats")
            data = message["data"]
            assert data["events_per_minute"] == {
                "play": 2,
                "complete": 0,
                "skip": 1,
                "like": 0,
                "share": 0,
            }
            assert data["listeners_5m"] == 2

    run(scenario)


# --- limits and bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "detail"),
    [
        ("{not json", "Send a JSON object with an action."),
        ("[1, 2]", "Send a JSON object with an action."),
        ('"subscribe"', "Send a JSON object with an action."),
        ('{"action": "dance"}', "action is subscribe, unsubscribe or ping."),
        ('{"channel": "user:me"}', "action is subscribe, unsubscribe or ping."),
    ],
)
def test_bad_messages_get_an_error_and_the_socket_stays_usable(cast, sent, detail):
    async def scenario():
        async with Client(cast.listener) as ws:
            await ws.send(sent)
            reply = await ws.receive()
            assert (reply["type"], reply["code"], reply["detail"]) == ("error", "invalid", detail)
            assert (await ws.subscribe("user:me"))["type"] == "subscribed"

    run(scenario)


def test_binary_frames_are_invalid(cast):
    async def scenario():
        async with Client(cast.listener) as ws:
            await ws.communicator.send_to(bytes_data=b"\x00\x01")
            assert (await ws.receive())["code"] == "invalid"

    run(scenario)


def test_ping_gets_pong():
    async def scenario():
        async with Client() as ws:
            await ws.send({"action": "ping"})
            assert await ws.receive() == {"type": "pong"}

    run(scenario)


def test_oversized_messages_are_refused(cast, settings):
    settings.REALTIME_MAX_MESSAGE_BYTES = 100

    async def scenario():
        async with Client(cast.listener) as ws:
            await ws.send({"action": "subscribe", "channel": "user:me", "pad": "x" * 200})
            assert (await ws.receive())["code"] == "too_large"

    run(scenario)


def test_the_rate_limit_refuses_bursts(cast, settings):
    settings.REALTIME_RATE_BURST = 5
    settings.REALTIME_RATE_PER_SECOND = 0.01

    async def scenario():
        async with Client(cast.listener) as ws:
            for _ in range(5):
                await ws.send({"action": "ping"})
                assert await ws.receive() == {"type": "pong"}
            await ws.send({"action": "ping"})
            reply = await ws.receive()
            assert (reply["type"], reply["code"]) == ("error", "rate_limited")

    run(scenario)


def test_subscriptions_per_socket_are_limited(cast, settings):
    settings.REALTIME_MAX_SUBSCRIPTIONS = 2
    playlists = [PlaylistFactory(is_public=True) for _ in range(3)]

    async def scenario():
        async with Client(cast.listener) as ws:
            for playlist in playlists[:2]:
                assert (await ws.subscribe(f"playlist:{playlist.pk}"))["type"] == "subscribed"
            # subscribing again to one already held is not a new subscription
            assert (await ws.subscribe(f"playlist:{playlists[0].pk}"))["type"] == "subscribed"
            reply = await ws.subscribe(f"playlist:{playlists[2].pk}")
            assert (reply["type"], reply["code"]) == ("error", "too_many_subscriptions")

    run(scenario)


def test_sockets_per_user_are_limited(cast, settings):
    settings.REALTIME_MAX_SOCKETS_PER_USER = 2
    token = token_for(cast.listener)

    async def scenario():
        async with Client(token=token) as one, Client(token=token) as two:
            for ws in (one, two):  # a pong: its connect (and count) has finished
                await ws.send({"action": "ping"})
                assert await ws.receive() == {"type": "pong"}
            async with Client(token=token) as three:
                assert await three.closed_with() == 4429
            await one.send({"action": "ping"})
            assert await one.receive() == {"type": "pong"}
        # closed sockets no longer count
        async with Client(token=token) as again:
            await again.send({"action": "ping"})
            assert await again.receive() == {"type": "pong"}

    run(scenario)


def test_anonymous_sockets_per_address_are_limited(settings):
    settings.REALTIME_MAX_ANONYMOUS_SOCKETS_PER_IP = 1

    async def scenario():
        async with Client() as first:
            await first.send({"action": "ping"})
            assert await first.receive() == {"type": "pong"}
            async with Client() as second:
                assert await second.closed_with() == 4429
            await first.send({"action": "ping"})
            assert await first.receive() == {"type": "pong"}

    run(scenario)


def test_idle_sockets_are_closed(settings):
    settings.REALTIME_IDLE_TIMEOUT = 0.3

    async def scenario():
        async with Client() as ws:
            assert await ws.closed_with(timeout=3) == 4408

    run(scenario)


def test_pings_keep_a_socket_open(settings):
    settings.REALTIME_IDLE_TIMEOUT = 0.5

    async def scenario():
        async with Client() as ws:
            for _ in range(6):
                await asyncio.sleep(0.2)
                await ws.send({"action": "ping"})
                assert await ws.receive() == {"type": "pong"}
            await ws.nothing(0.1)

    run(scenario)
