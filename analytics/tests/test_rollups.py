"""Events -> rollup task -> endpoint figures equal a direct aggregation of the raw events."""

import random
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from analytics import services
from analytics.caching import analytics_changed
from analytics.models import (
    ACTION_COUNTERS,
    ArtistRunningTotals,
    DailyStats,
    ListeningEvent,
    RollupWatermark,
    SongDailyStats,
    SongRunningTotals,
    UserDailyStats,
    UserSongDailyStats,
)
from analytics.tasks import rollup
from catalog.tests.factories import ArtistFactory, GenreFactory, SongFactory
from users.tests.factories import EditorFactory, UserFactory

pytestmark = pytest.mark.django_db
ACTIONS = list(ACTION_COUNTERS)


@pytest.fixture
def world(db):
    genres = [GenreFactory(), GenreFactory()]
    artists = [ArtistFactory(), ArtistFactory(), ArtistFactory()]
    songs = [SongFactory(artist=artists[i % 3], genre=genres[i % 2], album=None) for i in range(6)]
    songs.append(SongFactory(artist=artists[0], genre=None, album=None))  # no genre
    listeners = [UserFactory() for _ in range(5)]
    return {"songs": songs, "users": listeners, "artists": artists, "genres": genres}


def make_events(world, *, count, days, seed, min_days=0):
    rng = random.Random(seed)
    now = timezone.now()
    rows = []
    for _ in range(count):
        age = timedelta(days=rng.randint(min_days, days), seconds=rng.randint(60, 86_000))
        # About one in eight stored but flagged (implausible): counted nowhere.
        reason = rng.choices([None, "repeat", "overlap"], weights=[14, 1, 1])[0]
        rows.append(
            ListeningEvent(
                user=rng.choice(world["users"]),
                song=rng.choice(world["songs"]),
                action=rng.choices(ACTIONS, weights=[10, 6, 3, 1, 1])[0],
                occurred_at=now - age,
                received_at=now,
                flagged=reason is not None,
                flag_reason=reason,
            )
        )
    created = ListeningEvent.objects.bulk_create(rows)
    # bulk_create bypasses save(): like the services' own bulk writes, say so.
    analytics_changed()
    return created


def raw_events():
    """The counted events: what every figure must equal an aggregation of."""
    return list(ListeningEvent.objects.select_related("song").filter(flagged=False))


def in_range(event, start, end):
    return start <= event.occurred_at.date() <= end


def counts_of(events):
    counter = Counter(e.action for e in events)
    return {ACTION_COUNTERS[a]: counter.get(a, 0) for a in ACTIONS}


def ratio(num, den):
    """Four decimals, half away from zero (as PostgreSQL's round)."""
    if not den:
        return None
    return float((Decimal(num) / Decimal(den)).quantize(Decimal("0.0001"), ROUND_HALF_UP))


def rates(counts):
    plays = counts["plays"]
    return {
        **counts,
        "completion_rate": ratio(counts["completes"], plays),
        "skip_rate": ratio(counts["skips"], plays),
    }


def ranked(plays_by_key, limit):
    items = [(k, v) for k, v in plays_by_key.items() if v > 0]
    return sorted(items, key=lambda kv: (-kv[1], kv[0]))[:limit]


def expected_summary(events, start, end, total_users):
    window = [e for e in events if in_range(e, start, end)]
    since = timezone.now() - timedelta(hours=24)
    counts = counts_of(window)
    by_song = defaultdict(list)
    for e in window:
        by_song[e.song_id].append(e)
    plays = {song: counts_of(evts)["plays"] for song, evts in by_song.items()}
    return {
        "total_users": total_users,
        "active_users_24h": len(
            {e.user_id for e in events if e.occurred_at >= since and e.user_id}
        ),
        "events_by_action": {a: counts[ACTION_COUNTERS[a]] for a in ACTIONS},
        "plays": counts["plays"],
        "unique_listeners": len({e.user_id for e in window if e.action == "play"}),
        "top_songs": [(song, rates(counts_of(by_song[song]))) for song, _ in ranked(plays, 10)],
    }


def actual_summary(body):
    return {
        **{k: body[k] for k in ("total_users", "active_users_24h", "events_by_action", "plays")},
        "unique_listeners": body["unique_listeners"],
        "top_songs": [
            (t["song"]["id"], {k: v for k, v in t.items() if k != "song"})
            for t in body["top_songs"]
        ],
    }


def plays_by(events, start, end, key):
    result = Counter()
    for e in events:
        if e.action == "play" and in_range(e, start, end):
            k = key(e)
            if k is not None:
                result[k] += 1
    return result


def expected_trends(events, start, end):
    length = (end - start).days + 1
    prev_start, prev_end = start - timedelta(days=length), start - timedelta(days=1)
    result = {}
    for name, key in (
        ("songs", lambda e: e.song_id),
        ("artists", lambda e: e.song.artist_id),
        ("genres", lambda e: e.song.genre_id),
    ):
        current = plays_by(events, start, end, key)
        previous = plays_by(events, prev_start, prev_end, key)
        result[name] = [(k, v, previous.get(k, 0)) for k, v in ranked(current, 10)]
    return result


def actual_trends(body):
    ids = {"songs": ("song", "id"), "artists": ("artist", "id"), "genres": ("genre", "slug")}
    result = {}
    for name, (obj, field) in ids.items():
        rows = []
        for item in body[name]:
            assert item["change"] == item["plays"] - item["previous_plays"]
            rows.append((item[obj][field], item["plays"], item["previous_plays"]))
        result[name] = rows
    return result


def slugs_to_ids(trends, world):
    by_slug = {g.slug: g.id for g in world["genres"]}
    trends["genres"] = [(by_slug[slug], *rest) for slug, *rest in trends["genres"]]
    return trends


def expected_user(events, user_id, start, end):
    mine = [e for e in events if e.user_id == user_id and in_range(e, start, end)]
    daily = []
    day = start
    while day <= end:
        daily.append(
            {"day": day.isoformat(), **counts_of([e for e in mine if e.occurred_at.date() == day])}
        )
        day += timedelta(days=1)
    return {
        **rates(counts_of(mine)),
        "active_days": len({e.occurred_at.date() for e in mine}),
        "top_artists": ranked(plays_by(mine, start, end, lambda e: e.song.artist_id), 5),
        "top_genres": ranked(plays_by(mine, start, end, lambda e: e.song.genre_id), 5),
        "daily": daily,
    }


def actual_user(body, world):
    by_slug = {g.slug: g.id for g in world["genres"]}
    return {
        **{k: body[k] for k in ("plays", "completes", "skips", "likes", "shares")},
        "completion_rate": body["completion_rate"],
        "skip_rate": body["skip_rate"],
        "active_days": body["active_days"],
        "top_artists": [(a["artist"]["id"], a["plays"]) for a in body["top_artists"]],
        "top_genres": [(by_slug[g["genre"]["slug"]], g["plays"]) for g in body["top_genres"]],
        "daily": body["daily"],
    }


def expected_artist(events, artist_id, start, end):
    theirs = [e for e in events if e.song.artist_id == artist_id and in_range(e, start, end)]
    by_song = defaultdict(list)
    for e in theirs:
        by_song[e.song_id].append(e)
    plays = {s: counts_of(evts)["plays"] for s, evts in by_song.items()}
    return {
        **rates(counts_of(theirs)),
        "top_songs": [(s, rates(counts_of(by_song[s]))) for s, _ in ranked(plays, 10)],
    }


def actual_artist(body):
    return {
        **{k: body[k] for k in ("plays", "completes", "skips", "likes", "shares")},
        "completion_rate": body["completion_rate"],
        "skip_rate": body["skip_rate"],
        "top_songs": [
            (t["song"]["id"], {k: v for k, v in t.items() if k != "song"})
            for t in body["top_songs"]
        ],
    }


RANGES = [(0, 29), (0, 0), (3, 9), (0, 365), (40, 60)]  # (days ago of `to`, of `from`)


def check_everything(client, world, user_count):
    events = raw_events()
    today = timezone.now().date()
    for to_ago, from_ago in RANGES:
        start, end = today - timedelta(days=from_ago), today - timedelta(days=to_ago)
        params = {"from": start.isoformat(), "to": end.isoformat()}
        summary = client.get("/api/v1/analytics/summary/", params).json()
        assert actual_summary(summary) == expected_summary(events, start, end, user_count)
        trends = client.get("/api/v1/analytics/trends/", params).json()
        assert slugs_to_ids(actual_trends(trends), world) == expected_trends(events, start, end)
        for user in world["users"][:2]:
            body = client.get(f"/api/v1/analytics/users/{user.id}/", params).json()
            assert actual_user(body, world) == expected_user(events, user.id, start, end)
        for artist in world["artists"][:2]:
            body = client.get(f"/api/v1/analytics/artists/{artist.id}/", params).json()
            assert actual_artist(body) == expected_artist(events, artist.id, start, end)


def test_rollups_match_a_direct_aggregation_including_late_events_and_reruns(world, client_for):
    staff = EditorFactory()
    client = client_for(staff)
    user_count = len(world["users"]) + 1
    make_events(world, count=400, days=45, seed=1)

    check_everything(client, world, user_count)  # nothing rolled up: all from the tail
    assert rollup.apply().get()["events"] == 400
    assert RollupWatermark.objects.get().last_event_id == ListeningEvent.objects.latest("id").id
    check_everything(client, world, user_count)  # all from rollups

    make_events(world, count=60, days=28, seed=2, min_days=8)  # late events
    make_events(world, count=30, days=0, seed=3)  # today
    check_everything(client, world, user_count)  # rollups + tail
    assert rollup.apply().get()["events"] == 90
    check_everything(client, world, user_count)

    snapshot = _rollup_snapshot()
    assert rollup.apply().get()["events"] == 0  # a second run changes nothing
    assert _rollup_snapshot() == snapshot
    check_everything(client, world, user_count)


def _rollup_snapshot():
    return (
        list(DailyStats.objects.order_by("day").values()),
        list(SongDailyStats.objects.order_by("song", "day").values()),
        list(SongRunningTotals.objects.order_by("song", "day").values()),
        list(UserSongDailyStats.objects.order_by("user", "song", "day").values()),
    )


def test_rollup_tables_equal_a_rebuild_from_scratch(world):
    make_events(world, count=300, days=30, seed=4)
    services.rollup_run(chunk_ids=37)  # many small chunks, days out of order
    make_events(world, count=80, days=30, seed=5)
    services.rollup_run(chunk_ids=50)
    incremental = _rollup_snapshot()
    call_command("rollup_analytics", "--rebuild")
    rebuilt = _rollup_snapshot()

    def strip_ids(snapshot):
        return [[{k: v for k, v in row.items() if k != "id"} for row in rows] for rows in snapshot]

    assert strip_ids(incremental) == strip_ids(rebuilt)


def test_daily_rollups_and_running_totals_are_exact(world):
    make_events(world, count=300, days=20, seed=6)
    services.rollup_run()
    events = raw_events()
    today = timezone.now().date()

    for row in SongDailyStats.objects.all():
        mine = [e for e in events if e.song_id == row.song_id and e.occurred_at.date() == row.day]
        assert {c: getattr(row, c) for c in ACTION_COUNTERS.values()} == counts_of(mine)
        assert row.listeners == len({e.user_id for e in mine if e.action == "play"})
    for row in DailyStats.objects.all():
        mine = [e for e in events if e.occurred_at.date() == row.day]
        assert row.active_users == len({e.user_id for e in mine})
        assert row.listeners == len({e.user_id for e in mine if e.action == "play"})
    for row in UserDailyStats.objects.all():
        mine = [e for e in events if e.user_id == row.user_id and e.occurred_at.date() == row.day]
        assert row.plays == counts_of(mine)["plays"]
        assert row.first_event_at == min(e.occurred_at for e in mine)
        assert row.last_event_at == max(e.occurred_at for e in mine)
    # Running totals are dense from each entity's first day through today.
    for song in world["songs"]:
        first = min((e.occurred_at.date() for e in events if e.song_id == song.id), default=None)
        rows = list(SongRunningTotals.objects.filter(song=song).order_by("day"))
        if first is None:
            assert rows == []
            continue
        assert [r.day for r in rows] == [
            first + timedelta(days=i) for i in range((today - first).days + 1)
        ]
        for r in rows:
            upto = [e for e in events if e.song_id == song.id and e.occurred_at.date() <= r.day]
            assert r.plays == counts_of(upto)["plays"]
    assert ArtistRunningTotals.objects.filter(day=today).count() == 3


def test_running_totals_are_carried_to_a_new_day_without_events(world, monkeypatch):
    make_events(world, count=50, days=5, seed=7)
    services.rollup_run()
    today = timezone.now().date()
    later = timezone.now() + timedelta(days=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    services.rollup_run()
    assert RollupWatermark.objects.get().through_day == today + timedelta(days=2)
    songs_today = SongRunningTotals.objects.filter(day=today).count()
    assert SongRunningTotals.objects.filter(day=today + timedelta(days=2)).count() == songs_today


def test_management_command_runs_the_rollup(world, capsys):
    make_events(world, count=20, days=3, seed=8)
    call_command("rollup_analytics")
    assert "Rolled up 20 events" in capsys.readouterr().out
    call_command("rollup_analytics")
    assert "Rolled up 0 events" in capsys.readouterr().out


def test_deleting_a_user_keeps_their_events_anonymised_and_totals_unchanged(world, client_for):
    staff = client_for(EditorFactory())
    make_events(world, count=200, days=10, seed=9)
    services.rollup_run()
    gone = world["users"][0]
    params = {"from": (timezone.now().date() - timedelta(days=15)).isoformat()}
    before = staff.get("/api/v1/analytics/summary/", params).json()
    trends_before = staff.get("/api/v1/analytics/trends/", params).json()
    own_events = ListeningEvent.objects.filter(user=gone).count()
    assert own_events > 0

    response = client_for(gone).delete(f"/api/v1/users/{gone.id}/")
    assert response.status_code == 204

    assert ListeningEvent.objects.filter(user__isnull=True).count() == own_events
    assert ListeningEvent.objects.count() == 200
    assert not UserDailyStats.objects.filter(user_id=gone.id).exists()
    after = staff.get("/api/v1/analytics/summary/", params).json()
    for key in ("events_by_action", "plays", "unique_listeners", "top_songs"):
        assert after[key] == before[key], key
    assert after["total_users"] == before["total_users"] - 1
    trends_after = staff.get("/api/v1/analytics/trends/", params).json()
    assert trends_after["songs"] == trends_before["songs"]
    # A rebuild from the anonymised events keeps the plays too.
    services.rollup_reset()
    services.rollup_run()
    rebuilt = staff.get("/api/v1/analytics/summary/", params).json()
    assert rebuilt["events_by_action"] == before["events_by_action"]


def test_events_from_deleted_users_in_the_tail_still_count(world, client_for):
    staff = client_for(EditorFactory())
    make_events(world, count=50, days=2, seed=10)
    world["users"][1].delete()
    services.rollup_run()
    body = staff.get("/api/v1/analytics/summary/").json()
    plays = ListeningEvent.objects.filter(action="play")
    assert body["events_by_action"]["play"] == plays.filter(flagged=False).count()
    assert body["flagged_plays"] == plays.filter(flagged=True).count() > 0


def test_every_read_says_how_fresh_it_is(world, client_for):
    staff = client_for(EditorFactory())
    make_events(world, count=5, days=1, seed=11)
    body = staff.get("/api/v1/analytics/summary/").json()
    assert body["rolled_up_through"] is None
    assert body["data_through"] is not None and body["generated_at"] >= body["data_through"]
    services.rollup_run()
    body = staff.get("/api/v1/analytics/summary/").json()
    assert body["rolled_up_through"] == body["data_through"]
