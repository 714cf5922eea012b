"""Abuse of the listening data (issue 11): implausible events are stored but flagged, and
count nowhere but in the staff's flagged figures."""

import math
import random
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone

from analytics import selectors, services
from analytics.models import DailyStats, ListeningEvent, SongDailyStats, UserSongDailyStats
from analytics.serializers import EventIn
from analytics.services.ingest import (
    INGEST_LOCK_NAMESPACE,
    MIN_PLAY_MS,
    UNKNOWN_DURATION_MS,
    repeat_gap_ms,
)
from catalog.tests.factories import SongFactory
from users.tests.factories import EditorFactory, UserFactory

URL = "/api/v1/analytics/events/"
SUMMARY = "/api/v1/analytics/summary/"
pytestmark = pytest.mark.django_db


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def post(client_for, user, events):
    response = client_for(user).post(URL, events, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def flags_of(user):
    return list(
        ListeningEvent.objects.filter(user=user).order_by("occurred_at", "id")
        .values_list("action", "flag_reason")
    )  # fmt: skip


def top_song_ids(body):
    return [row["song"]["id"] for row in body["top_songs"]]


# --- the reproduction, end to end ---------------------------------------------------------


def test_501_identical_plays_count_once_everywhere(client_for, editor, today):
    spammed, liked, loved = (SongFactory(duration_ms=200_000, album=None) for _ in range(3))
    for listeners, song in ((2, liked), (3, loved)):
        for _ in range(listeners):
            post(client_for, UserFactory(), {"song": song.id, "action": "play"})
    spammer = UserFactory()

    body = post(client_for, spammer, [{"song": spammed.id, "action": "play"}] * 501)
    assert body == {"accepted": 501, "duplicates": 0}  # stored, all of them

    def check_reads():
        summary = client_for(editor).get(SUMMARY).json()
        assert summary["plays"] == 6 and summary["events_by_action"]["play"] == 6
        assert summary["unique_listeners"] == 6
        assert (summary["flagged_plays"], summary["flagged_events"]) == (500, 500)
        assert top_song_ids(summary) == [loved.id, liked.id, spammed.id]
        assert [row["plays"] for row in summary["top_songs"]] == [3, 2, 1]
        dashboard = Client()
        dashboard.force_login(editor)
        data = dashboard.get("/admin/analytics/data/").json()
        assert data["flagged_plays"] == 500
        assert data["daily"][-1]["plays"] == 6 and data["daily"][-1]["flagged_plays"] == 500
        assert top_song_ids(data) == [loved.id, liked.id, spammed.id]
        trends = client_for(editor).get("/api/v1/analytics/trends/").json()
        assert [row["song"]["id"] for row in trends["songs"]] == [loved.id, liked.id, spammed.id]
        engagement = client_for(editor).get(f"/api/v1/analytics/users/{spammer.id}/").json()
        assert engagement["plays"] == 1
        scores = selectors.song_listener_scores(since=today, until=today)
        assert [(s.song_id, s.listeners, s.plays) for s in scores] == [
            (loved.id, 3, 3),
            (liked.id, 2, 2),
            (spammed.id, 1, 1),
        ]

    check_reads()  # from the tail, before any rollup
    assert ListeningEvent.objects.filter(user=spammer).count() == 501
    assert ListeningEvent.objects.filter(user=spammer, flagged=False).count() == 1
    assert set(ListeningEvent.objects.filter(user=spammer, flagged=True)
               .values_list("flag_reason", flat=True)) == {"repeat"}  # fmt: skip
    services.rollup_run()
    check_reads()  # from the rollups
    assert SongDailyStats.objects.get(song=spammed, day=today).plays == 1
    assert SongDailyStats.objects.get(song=spammed, day=today).listeners == 1
    assert UserSongDailyStats.objects.get(user=spammer, song=spammed).plays == 1
    daily = DailyStats.objects.get(day=today)
    assert (daily.plays, daily.flagged_plays, daily.flagged_events) == (6, 500, 500)


# --- the rules -------------------------------------------------------------------------------


def test_same_song_again_sooner_than_its_length_is_flagged(client_for, listener):
    song = SongFactory(duration_ms=200_000)
    start = timezone.now() - timedelta(hours=1)
    post(client_for, listener, [
        {"song": song.id, "action": "play", "occurred_at": iso(start)},
        {"song": song.id, "action": "play", "occurred_at": iso(start + timedelta(seconds=199))},
        {"song": song.id, "action": "play", "occurred_at": iso(start + timedelta(seconds=200))},
        # A flagged play is not one the next is measured from.
        {"song": song.id, "action": "play", "occurred_at": iso(start + timedelta(seconds=399))},
    ])  # fmt: skip
    assert flags_of(listener) == [
        ("play", None), ("play", "repeat"), ("play", None), ("play", "repeat"),
    ]  # fmt: skip


def test_plays_of_other_songs_less_than_30_s_apart_overlap(client_for, listener):
    first, second, third = (SongFactory(duration_ms=200_000) for _ in range(3))
    start = timezone.now() - timedelta(hours=1)
    post(client_for, listener, [
        {"song": first.id, "action": "play", "occurred_at": iso(start)},
        # Skipped after 10 s: the next song starts, but a play needs 30 s to count.
        {"song": first.id, "action": "skip", "position_ms": 10_000,
         "occurred_at": iso(start + timedelta(seconds=10))},
        {"song": second.id, "action": "play", "occurred_at": iso(start + timedelta(seconds=10))},
        {"song": third.id, "action": "play", "occurred_at": iso(start + timedelta(seconds=30))},
    ])  # fmt: skip
    assert flags_of(listener) == [
        ("play", None), ("skip", None), ("play", "overlap"), ("play", None),
    ]  # fmt: skip


def test_a_late_event_is_compared_with_counted_events_on_both_sides(client_for, listener):
    first, second = SongFactory(duration_ms=200_000), SongFactory(duration_ms=200_000)
    at = timezone.now() - timedelta(hours=1)
    post(client_for, listener, {"song": first.id, "action": "play", "occurred_at": iso(at)})
    post(client_for, listener, [
        {"song": second.id, "action": "play", "occurred_at": iso(at - timedelta(seconds=29))},
        {"song": first.id, "action": "play", "occurred_at": iso(at - timedelta(seconds=150))},
        {"song": second.id, "action": "play", "occurred_at": iso(at - timedelta(seconds=400))},
    ])  # fmt: skip
    assert flags_of(listener) == [
        ("play", None), ("play", "repeat"), ("play", "overlap"), ("play", None),
    ]  # fmt: skip


@pytest.mark.parametrize("action", ["complete", "skip", "like", "share"])
def test_every_action_repeated_at_once_counts_once(client_for, listener, song, action):
    position = {"complete": 200_000, "skip": 5_000}.get(action)
    post(client_for, listener, [{"song": song.id, "action": action, "position_ms": position}] * 50)
    assert ListeningEvent.objects.filter(flagged=False).count() == 1
    assert ListeningEvent.objects.filter(flag_reason="repeat").count() == 49


def test_unknown_length_uses_the_default(client_for, listener):
    song = SongFactory(duration_ms=None)
    start = timezone.now() - timedelta(hours=1)
    gap = timedelta(milliseconds=UNKNOWN_DURATION_MS)
    post(client_for, listener, [
        {"song": song.id, "action": "play", "occurred_at": iso(start)},
        {"song": song.id, "action": "play", "occurred_at": iso(start + gap - timedelta(seconds=1))},
        {"song": song.id, "action": "play", "occurred_at": iso(start + gap)},
    ])  # fmt: skip
    assert [reason for _, reason in flags_of(listener)] == [None, "repeat", None]


def test_repeat_gap_has_a_floor_of_one_counted_play():
    assert repeat_gap_ms(10_000) == MIN_PLAY_MS
    assert repeat_gap_ms(0) == repeat_gap_ms(None) == UNKNOWN_DURATION_MS
    assert repeat_gap_ms(250_000) == 250_000


def _random_session(songs, *, seed, count=150):
    rng = random.Random(seed)
    moment = timezone.now() - timedelta(days=1)
    events = []
    for i in range(count):
        moment += timedelta(seconds=rng.choice([0, 5, 20, 29, 30, 45, 90, 200, 260]))
        song = rng.choice(songs)
        action = rng.choices(["play", "complete", "skip", "like"], [6, 2, 2, 1])[0]
        position = {"complete": song.duration_ms, "skip": 1_000}.get(action)
        events.append({
            "song": song.id, "action": action, "occurred_at": iso(moment),
            "position_ms": position, "event_id": f"e{i}",
        })  # fmt: skip
    return events


def test_flags_do_not_depend_on_how_a_timeline_is_split_into_batches(client_for):
    songs = [SongFactory(duration_ms=d) for d in (20_000, 60_000, 200_000)]
    events = _random_session(songs, seed=3)
    whole, split = UserFactory(), UserFactory()
    post(client_for, whole, events)
    for start in range(0, len(events), 7):
        post(client_for, split, events[start : start + 7])
    assert flags_of(whole) == flags_of(split)
    reasons = {reason for _, reason in flags_of(whole)}
    assert reasons == {None, "repeat", "overlap"}  # the seed exercises every rule

    # A retried batch changes nothing: the stored event ids are skipped.
    assert post(client_for, split, events) == {"accepted": 0, "duplicates": len(events)}
    assert flags_of(whole) == flags_of(split)


def test_counted_events_keep_their_distance(client_for, listener):
    songs = [SongFactory(duration_ms=d) for d in (20_000, 60_000, 200_000)]
    events = _random_session(songs, seed=8, count=400)
    random.Random(1).shuffle(events)  # late events too
    for start in range(0, len(events), 50):
        post(client_for, listener, events[start : start + 50])
    counted = list(
        ListeningEvent.objects.filter(user=listener, flagged=False)
        .order_by("occurred_at")
        .values_list("song_id", "action", "occurred_at", "song__duration_ms")
    )
    plays = [at for _, action, at, _ in counted if action == "play"]
    gaps = [later - earlier for earlier, later in zip(plays, plays[1:], strict=False)]
    assert gaps and min(gaps) >= timedelta(milliseconds=MIN_PLAY_MS)
    last: dict = {}
    for song, action, at, duration in counted:
        if (song, action) in last:
            assert at - last[song, action] >= timedelta(milliseconds=repeat_gap_ms(duration))
        last[song, action] = at


def test_duplicates_in_a_batch_are_not_compared_twice(client_for, listener, song):
    # The same event id twice: stored once, and counted (the copy is dropped, not flagged).
    event = {"song": song.id, "action": "play", "event_id": "x1"}
    assert post(client_for, listener, [event, event]) == {"accepted": 1, "duplicates": 1}
    assert flags_of(listener) == [("play", None)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_of_one_listener_are_serialised():
    """A batch waits for the listener's batch in flight and sees what it stored."""
    listener, song = UserFactory(), SongFactory(duration_ms=200_000)
    at = timezone.now() - timedelta(minutes=5)
    event = EventIn(song.id, "play", at, None, None, None)
    finished = threading.Event()
    outcome = {}

    def second_batch():
        try:
            outcome["result"] = services.events_ingest(user=listener, events=[event])
        finally:
            connections.close_all()
            finished.set()

    with transaction.atomic(), connection.cursor() as cursor:
        # The first batch, in flight: holds the lock, has stored its play, not committed.
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [INGEST_LOCK_NAMESPACE, listener.pk])
        ListeningEvent.objects.create(user=listener, song=song, action="play", occurred_at=at)
        thread = threading.Thread(target=second_batch)
        thread.start()
        assert not finished.wait(0.5)  # blocked behind the first batch
    thread.join(10)
    assert outcome["result"].flagged == 1
    assert flags_of(listener) == [("play", None), ("play", "repeat")]


# --- complete and skip against the position ---------------------------------------------------


@pytest.mark.parametrize(
    "action, position, status, code",
    [
        ("complete", 200_000, 201, None),
        ("complete", 185_000, 201, None),  # within the tolerance (a crossfade)
        ("complete", 184_999, 400, "complete_before_end"),
        ("complete", 30_000, 400, "complete_before_end"),
        ("complete", None, 201, None),
        ("skip", 199_999, 201, None),
        ("skip", 200_000, 400, "skip_at_end"),
        ("skip", 0, 201, None),
        ("play", 200_001, 400, "past_song_end"),
    ],
)
def test_complete_and_skip_agree_with_the_position(
    client_for, listener, song, action, position, status, code
):
    response = client_for(listener).post(
        URL, [{"song": song.id, "action": action, "position_ms": position}], format="json"
    )
    assert response.status_code == status, response.json()
    if code:
        errors = response.json()["errors"]
        assert errors == [{"code": code, "detail": errors[0]["detail"], "attr": "0.position_ms"}]
        assert not ListeningEvent.objects.exists()


def test_positions_of_a_song_of_unknown_length_are_not_checked_against_it(client_for, listener):
    song = SongFactory(duration_ms=None)
    body = [{"song": song.id, "action": "complete", "position_ms": 1_000}]
    assert post(client_for, listener, body) == {"accepted": 1, "duplicates": 0}


# --- the listener scores trending and charts read ---------------------------------------------


def test_song_listener_scores_count_listeners_and_damp_repeats(days_ago, today):
    from analytics.tests.factories import ListeningEventFactory

    fan_song, crowd_song, hidden = SongFactory(), SongFactory(), SongFactory(is_public=False)
    fan, others = UserFactory(), [UserFactory() for _ in range(3)]
    for day in range(7):  # one fan, a play a day: 7 plays
        ListeningEventFactory(user=fan, song=fan_song, occurred_at=days_ago(day))
    for user in others:  # three listeners, one play each
        ListeningEventFactory(user=user, song=crowd_song, occurred_at=days_ago(1))
    ListeningEventFactory(user=fan, song=hidden, occurred_at=days_ago(1))
    ListeningEventFactory(
        user=others[0], song=fan_song, occurred_at=days_ago(2), flagged=True, flag_reason="repeat"
    )
    services.rollup_run()
    ListeningEventFactory(user=others[0], song=crowd_song, occurred_at=days_ago(0))  # tail

    scores = selectors.song_listener_scores(since=today - timedelta(days=6), until=today)
    # crowd: 3 listeners, log2(1 + 2) + 2 * log2(1 + 1); fan: 1 listener, log2(1 + 7) = 3.
    assert scores == [
        selectors.SongListenerScore(crowd_song.id, 3, 4, 3.585),
        selectors.SongListenerScore(fan_song.id, 1, 7, 3.0),
    ]
    staff = selectors.song_listener_scores(
        since=today - timedelta(days=6), until=today, viewer=EditorFactory()
    )
    assert [s.song_id for s in staff] == [crowd_song.id, fan_song.id, hidden.id]
    two_days = selectors.song_listener_scores(since=today - timedelta(days=1), until=today)
    assert [(s.song_id, s.plays) for s in two_days] == [(crowd_song.id, 4), (fan_song.id, 2)]
    assert (
        selectors.song_listener_scores(since=today - timedelta(days=6), until=today, limit=1)
        == scores[:1]
    )
    genre = selectors.song_listener_scores(
        since=today - timedelta(days=6), until=today, genre_id=fan_song.genre_id
    )
    assert [s.song_id for s in genre] == [fan_song.id]
    # A one-day half-life: the fan's play of each day d days ago weighs 0.5 ** d.
    decayed = selectors.song_listener_scores(
        since=today - timedelta(days=6), until=today, half_life_days=1.0
    )
    fan_weight = sum(0.5**d for d in range(7))
    assert decayed[0] == selectors.SongListenerScore(
        crowd_song.id, 3, 4, round(math.log2(1 + 0.5 + 1) + 2 * math.log2(1 + 0.5), 4)
    )
    assert decayed[1] == selectors.SongListenerScore(
        fan_song.id, 1, 7, round(math.log2(1 + fan_weight), 4)
    )
    with pytest.raises(ValueError):
        selectors.song_listener_scores(since=today, until=today, half_life_days=0)


def test_song_listener_scores_is_one_query(django_assert_num_queries, today):
    with django_assert_num_queries(1):
        assert selectors.song_listener_scores(since=today, until=today) == []
