"""common.realtime: channel names to groups, after commit only, and never failing a write."""

from __future__ import annotations

import time

import pytest
from django.db import transaction

from common import realtime
from realtime.tests.conftest import Client, orm, run

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("channel", "group"),
    [
        ("playlist:12", "rt.playlist.12"),
        ("chart:top-50_global", "rt.chart.top-50_global"),
        ("user:7", "rt.user.7"),
        ("analytics:live", "rt.analytics.live"),
    ],
)
def test_channel_names_map_to_valid_group_names(channel, group):
    assert realtime.group_name(channel) == group


@pytest.mark.parametrize("channel", ["chart:émoji", "a b", "x" * 200, "chart:a.b", ""])
def test_other_names_are_hashed_apart(channel):
    group = realtime.group_name(channel)
    assert group.startswith("rtx.") and len(group) < 100
    assert all(c.isalnum() or c in "-_." for c in group)
    assert group != realtime.group_name(channel + "x")


def test_publish_waits_for_the_commit(django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(realtime, "send_now", lambda *args, **kwargs: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        realtime.publish("playlist:1", "updated", {"snapshot_id": "a"})
        assert sent == []
    assert len(callbacks) == 1
    assert sent == [("playlist:1", "updated", {"snapshot_id": "a"})]


def test_a_rolled_back_transaction_publishes_nothing(monkeypatch):
    sent = []
    monkeypatch.setattr(realtime, "send_now", lambda *args, **kwargs: sent.append(args))
    with pytest.raises(RuntimeError), transaction.atomic():
        realtime.publish("playlist:1", "updated", {})
        raise RuntimeError
    assert sent == []


@pytest.mark.parametrize("address", ["redis://127.0.0.1:1/0", "redis://10.255.255.1:6379/0"])
def test_redis_down_drops_the_event_quickly_and_the_write_goes_on(settings, address, caplog):
    # A closed port (refused at once) and an address that never answers (the timeout).
    settings.CHANNEL_LAYERS = {
        "default": {**settings.CHANNEL_LAYERS["default"], "CONFIG": {"hosts": [address]}}
    }
    realtime.reset_connection()
    started = time.monotonic()
    assert realtime.send_now("playlist:1", "updated", {}) is False
    assert time.monotonic() - started < settings.REALTIME_PUBLISH_TIMEOUT * 2 + 0.5
    assert "realtime: dropped updated on playlist:1" in caplog.text


def test_a_playlist_write_succeeds_with_redis_down(cast, settings, client_for):
    from catalog.tests.factories import PlaylistFactory, SongFactory

    settings.CHANNEL_LAYERS = {
        "default": {
            **settings.CHANNEL_LAYERS["default"],
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    realtime.reset_connection()
    playlist = PlaylistFactory(owner=cast.listener)
    song = SongFactory()
    response = client_for(cast.listener).post(
        f"/api/v1/playlists/{playlist.pk}/songs/", {"song_id": song.pk}, format="json"
    )
    assert response.status_code == 201, response.content


def test_send_now_reaches_a_subscriber():
    async def scenario():
        async with Client() as ws:
            await orm(lambda: None)()
            from charts.tests.factories import ChartFactory

            await orm(ChartFactory)(slug="weekly")
            await ws.subscribe("chart:weekly")
            await orm(realtime.send_now)(
                "chart:weekly", "snapshot_ingested", {"date": "2026-11-20"}
            )
            message = await ws.receive()
            assert message["data"] == {"date": "2026-11-20"}

    run(scenario)
