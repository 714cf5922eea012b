"""Platform charts from generated listening, checked against an independent computation.

The rule (DESIGN.md §4, issue 14): per chart day (or week), each listener's counted plays of a
song (or of an artist's songs) weigh log2(1 + plays); flagged plays and songs not public
and visible do not count; best score first, then more listeners, then the lower id; at most
200 entries. The expectation below is plain Python over the events we generated, not the SQL.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from analytics.models import ListeningEvent
from analytics.services import rollup_run
from analytics.tests.factories import ListeningEventFactory
from catalog.tests.factories import ArtistFactory, SongFactory
from charts.models import Chart, ChartEntry, ChartSnapshot
from charts.services.platform import PLATFORM_CHARTS
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SUNDAY = date(2026, 11, 15)
DAYS = [SUNDAY - timedelta(days=2), SUNDAY - timedelta(days=1), SUNDAY]


def at(day: date, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, 8, tzinfo=UTC) + timedelta(minutes=minute)


@pytest.fixture
def listening():
    """Songs, listeners and a few days of plays: repeats, flagged plays, a hidden song, a
    tie, and an artist with many songs; some events rolled up, the rest in the tail."""
    rng = random.Random(14)
    artists = [ArtistFactory(name=f"Band {n}") for n in range(4)]
    songs = [SongFactory(artist=artists[n % 4], title=f"Track {n}") for n in range(10)]
    hidden = SongFactory(artist=artists[0], title="Hidden", is_public=False)
    twin_a, twin_b = SongFactory(title="Twin A"), SongFactory(title="Twin B")
    users = [UserFactory() for _ in range(12)]
    events = []  # (user id, song, day, flagged)
    unsaved = []  # written in one INSERT per day, in the order played

    def play(user, song, day, flagged=False, minute=0):
        event = ListeningEventFactory.build(
            user=user,
            song=song,
            occurred_at=at(day, minute),
            flagged=flagged,
            flag_reason="repeat" if flagged else None,
        )
        unsaved.append(event)
        events.append((user.pk, song, day, flagged))

    for index, day in enumerate(DAYS):
        for user in users:
            for song in rng.sample(songs, 4):
                for repeat in range(rng.choice([1, 1, 2, 5])):
                    play(user, song, day, minute=repeat)
            if rng.random() < 0.3:
                play(user, hidden, day)
        # One account's flood of flagged plays: stored, never counted.
        for minute in range(40):
            play(users[0], songs[9], day, flagged=True, minute=minute)
        # Two songs with exactly the same listening: a tie the song id breaks.
        for user in users[:3]:
            play(user, twin_a, day)
            play(user, twin_b, day)
        ListeningEvent.objects.bulk_create(unsaved)
        unsaved.clear()
        if index == 0:
            rollup_run()  # the first day from the rollups, the others from the raw tail
    return {"events": events, "songs": [*songs, hidden, twin_a, twin_b]}


def expected(events, *, since: date, until: date, by_artist: bool) -> list[int]:
    plays: dict[tuple[int, int], int] = defaultdict(int)
    for user_id, song, day, flagged in events:
        if flagged or not (since <= day <= until) or not (song.is_public and song.is_visible):
            continue
        plays[(user_id, song.artist_id if by_artist else song.pk)] += 1
    score: dict[int, float] = defaultdict(float)
    listeners: dict[int, int] = defaultdict(int)
    for (_user, key), count in plays.items():
        score[key] += math.log2(1 + count)
        listeners[key] += 1
    return sorted(score, key=lambda k: (-round(score[k], 4), -listeners[k], k))[:200]


def positions(slug: str, day: date, field: str) -> list[int]:
    return list(
        ChartEntry.objects.filter(snapshot__chart__slug=slug, snapshot__date=day)
        .order_by("position")
        .values_list(field, flat=True)
    )


def test_positions_equal_an_independent_computation(listening):
    call_command("compute_platform_charts", "--from", str(DAYS[0]), "--to", str(DAYS[-1]))
    events = listening["events"]
    for day in DAYS:
        songs = positions("platform-daily-songs", day, "song_id")
        assert songs == expected(events, since=day, until=day, by_artist=False), day
        artists = positions("platform-daily-artists", day, "artist_id")
        assert artists == expected(events, since=day, until=day, by_artist=True), day
    twins = [s.pk for s in listening["songs"][-2:]]
    songs = positions("platform-daily-songs", DAYS[0], "song_id")
    assert songs.index(twins[0]) + 1 == songs.index(twins[1])  # tie: lower id first
    hidden = listening["songs"][-3]
    assert hidden.pk not in songs
    # Weekly charts: only the Sunday, over Monday to Sunday.
    assert list(
        ChartSnapshot.objects.filter(chart__slug="platform-weekly-songs").values_list(
            "date", flat=True
        )
    ) == [SUNDAY]
    week = (SUNDAY - timedelta(days=6), SUNDAY)
    assert positions("platform-weekly-songs", SUNDAY, "song_id") == expected(
        events, since=week[0], until=week[1], by_artist=False
    )
    assert positions("platform-weekly-artists", SUNDAY, "artist_id") == expected(
        events, since=week[0], until=week[1], by_artist=True
    )
    assert {c.slug: (c.source, c.kind) for c in Chart.objects.all()} == {
        spec.slug: ("platform", spec.kind) for spec in PLATFORM_CHARTS
    }


def test_trend_fields_across_days(listening):
    call_command("compute_platform_charts", "--from", str(DAYS[0]), "--to", str(DAYS[-1]))
    seen: dict[int, list[int]] = {}  # song -> positions so far
    previous: dict[int, int] = {}
    for day in DAYS:
        current = {}
        for entry in ChartEntry.objects.filter(
            snapshot__chart__slug="platform-daily-songs", snapshot__date=day
        ).order_by("position"):
            history = seen.setdefault(entry.song_id, [])
            before = previous.get(entry.song_id)
            assert entry.previous_position == before
            assert entry.movement == (None if before is None else before - entry.position)
            assert entry.is_new == (not history)
            assert entry.is_reentry == (bool(history) and before is None)
            history.append(entry.position)
            assert entry.peak_position == min(history)
            assert entry.days_on_chart == len(history)
            current[entry.song_id] = entry.position
        previous = current


def test_a_day_computed_again_is_replaced_and_an_empty_day_removed(listening):
    day = DAYS[1]
    call_command("compute_platform_charts", "--date", str(day))
    first = ChartSnapshot.objects.get(chart__slug="platform-daily-songs", date=day)
    newcomer = SongFactory(title="Newcomer")
    for user in UserFactory.create_batch(30):
        ListeningEventFactory(user=user, song=newcomer, occurred_at=at(day, 30))
    call_command("compute_platform_charts", "--date", str(day))
    snapshots = ChartSnapshot.objects.filter(chart__slug="platform-daily-songs", date=day)
    assert snapshots.count() == 1 and snapshots.get().pk != first.pk
    assert positions("platform-daily-songs", day, "song_id")[0] == newcomer.pk

    quiet = SUNDAY + timedelta(days=3)
    call_command("compute_platform_charts", "--date", str(quiet))
    assert not ChartSnapshot.objects.filter(date=quiet).exists()


def test_the_charts_api_serves_a_platform_chart_with_playable_links(listening):
    call_command("compute_platform_charts", "--date", str(DAYS[0]))
    body = Client().get(f"/api/v1/charts/platform-daily-songs/{DAYS[0]}/").json()
    first = body["results"][0]
    song = ChartEntry.objects.get(snapshot__chart__slug="platform-daily-songs", position=1).song
    assert (first["position"], first["song"], first["title"]) == (1, song.pk, song.title)
    assert first["is_new"] is True and first["artist"] == song.artist_id
    assert Client().get(f"/api/v1/songs/{first['song']}/").status_code == 200


@pytest.mark.parametrize(
    "args",
    [
        ["--date", "2026-11-40"],
        ["--from", "2026-11-02"],
        ["--from", "2026-11-05", "--to", "2026-11-01"],
        ["--date", "2026-11-01", "--from", "2026-11-01", "--to", "2026-11-02"],
    ],
)
def test_bad_dates_are_refused_and_nothing_is_written(args):
    with pytest.raises((CommandError, SystemExit)):
        call_command("compute_platform_charts", *args)
    assert not Chart.objects.exists()


def test_the_celery_task_computes_yesterday_by_default(listening, monkeypatch):
    from music_platform import platform_charts
    from music_platform.tasks import compute_platform_charts_task

    monkeypatch.setattr(platform_charts, "yesterday", lambda: DAYS[2])
    monkeypatch.setattr("music_platform.tasks.yesterday", lambda: DAYS[2])
    result = compute_platform_charts_task.apply().get()
    assert result["date"] == str(DAYS[2])
    assert result["charts"]["platform-daily-songs"] == 1
    assert result["charts"]["platform-weekly-songs"] == 1  # DAYS[2] is a Sunday
