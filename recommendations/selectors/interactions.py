"""Listening data as recommendation input: who interacted with which song, and how much.

Read by tasks that have no caller (model builds, picks refreshes): songs count when an
anonymous caller may see them (``catalog.selectors``' rule with ``user=None``); what a
reader is shown is filtered again for that reader.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from django.db.models import Count, F, FloatField, Q, QuerySet, Sum, Value
from django.db.models.expressions import CombinedExpression, RawSQL
from django.utils import timezone

from analytics.models import (
    ACTION_COUNTERS,
    Action,
    ListeningEvent,
    RollupWatermark,
    UserDailyStats,
    UserSongDailyStats,
)
from analytics.selectors import TAIL_MAX_EVENTS
from analytics.sql import WATERMARK_NAME
from catalog.models import PlaylistSong
from catalog.selectors import song_visibility_q, songs_visible_to

# Interaction weight of each rollup counter: finishing or liking a song says more than
# starting it; skipping it says the opposite.
COUNTER_WEIGHTS = {"plays": 1.0, "completes": 2.0, "likes": 4.0, "shares": 2.0, "skips": -2.0}
ALBUM_LIKE_WEIGHT = 2.0
PLAYLIST_ADD_WEIGHT = 3.0
HISTORY_DAYS = 365
HISTORY_HALF_LIFE_DAYS = 90.0
RECENT_SKIP_DAYS = 14

# How a listener came to know a song (bit flags), for the wording of reasons.
PLAYED, LIKED, PLAYLISTED = 1, 2, 4


@dataclass
class InteractionTable:
    """Net interaction weight per (user, song), one entry per pair, weights > 0 only."""

    users: np.ndarray
    songs: np.ndarray
    weights: np.ndarray
    sources: np.ndarray

    def __len__(self) -> int:
        return len(self.weights)


# --- shared by every reader of the rollups (interactions and trending) ----------------------


def events_tail(*, user_ids: Sequence[int] | None) -> QuerySet[ListeningEvent]:
    """Events not yet in the daily rollups (above the watermark; capped like analytics).

    The rollups, the watermark and the tail are separate queries here: a rollup that
    commits in between (they run every minute) can count a minute of events twice, a
    harmless blip for recommendation weights.
    """
    watermark = (
        RollupWatermark.objects.filter(name=WATERMARK_NAME)
        .values_list("last_event_id", flat=True)
        .first()
    ) or 0
    events = ListeningEvent.objects.filter(
        id__gt=watermark,
        id__lte=watermark + TAIL_MAX_EVENTS,
        user__isnull=False,
        flagged=False,  # implausible plays count nowhere (analytics flags them at ingest)
    )
    return events if user_ids is None else events.filter(user_id__in=user_ids)


def weighted_counters(weights: Mapping[str, float]) -> CombinedExpression:
    """SQL: the sum of each rollup counter column times its weight."""
    terms = [F(counter) * Value(weight) for counter, weight in weights.items()]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def day_decay(*, table: str, today: date, half_life: float) -> RawSQL:
    """SQL: 0.5 to the power of a rollup row's age in days over ``half_life``."""
    return RawSQL(f'power(0.5, (%s::date - "{table}"."day") / %s::float)', (today, half_life))


def tail_counter_totals() -> dict[str, Count]:
    """Annotations counting the tail's events into the rollups' counter names."""
    return {
        counter: Count("id", filter=Q(action=action)) for action, counter in ACTION_COUNTERS.items()
    }


def tail_weight(row: Mapping[str, Any], weights: Mapping[str, float]) -> float:
    """The weighted counters of one tail row (annotated with ``tail_counter_totals``)."""
    return sum(row[counter] * weight for counter, weight in weights.items())


# --- interactions -----------------------------------------------------------------------------


def interaction_table(*, user_ids: Sequence[int] | None = None) -> InteractionTable:
    """Implicit feedback of the given users (all when None) on songs anyone may see.

    Daily rollups of the last year, each day's counters weighted by COUNTER_WEIGHTS and
    halved every HISTORY_HALF_LIFE_DAYS; events not yet rolled up; album likes (every
    song of the album) and songs the user added to playlists. Pairs whose net weight is
    not positive (mostly skipped) are dropped.
    """
    today = timezone.now().date()
    visible = song_visibility_q(user=None, prefix="song__")
    rollups = UserSongDailyStats.objects.filter(
        visible, day__gte=today - timedelta(days=HISTORY_DAYS)
    )
    if user_ids is not None:
        rollups = rollups.filter(user_id__in=user_ids)
    decay = day_decay(
        table=UserSongDailyStats._meta.db_table, today=today, half_life=HISTORY_HALF_LIFE_DAYS
    )
    rollup_rows = rollups.values_list("user_id", "song_id").annotate(
        weight=Sum(weighted_counters(COUNTER_WEIGHTS) * decay, output_field=FloatField()),
        played=Sum(F("plays") + F("completes")),
        liked=Sum("likes"),
    )
    tail_rows = (
        events_tail(user_ids=user_ids)
        .filter(visible)
        .values("user_id", "song_id")
        .annotate(**tail_counter_totals())
    )
    album_songs = songs_visible_to(user=None).filter(album__likes__isnull=False)
    if user_ids is not None:
        album_songs = album_songs.filter(album__likes__user_id__in=user_ids)
    playlist_adds = PlaylistSong.objects.filter(visible, added_by__isnull=False)
    if user_ids is not None:
        playlist_adds = playlist_adds.filter(added_by_id__in=user_ids)

    users: list[int] = []
    songs: list[int] = []
    weights: list[float] = []
    sources: list[int] = []

    def add(user_id: int, song_id: int, weight: float, source: int) -> None:
        users.append(user_id)
        songs.append(song_id)
        weights.append(weight)
        sources.append(source)

    for user_id, song_id, weight, played, liked in rollup_rows:
        add(user_id, song_id, weight, (PLAYED if played else 0) | (LIKED if liked else 0))
    for row in tail_rows:
        add(row["user_id"], row["song_id"], tail_weight(row, COUNTER_WEIGHTS), _tail_flags(row))
    for user_id, song_id in album_songs.values_list("album__likes__user_id", "id"):
        add(user_id, song_id, ALBUM_LIKE_WEIGHT, LIKED)
    for user_id, song_id in playlist_adds.values_list("added_by_id", "song_id").distinct():
        add(user_id, song_id, PLAYLIST_ADD_WEIGHT, PLAYLISTED)
    return sum_pairs(users, songs, weights, sources)


def _tail_flags(row: Mapping[str, Any]) -> int:
    """How the listener came to know the song, from a tail row's counters."""
    return (PLAYED if row["plays"] or row["completes"] else 0) | (LIKED if row["likes"] else 0)


def sum_pairs(
    users: Sequence[int], songs: Sequence[int], weights: Sequence[float], sources: Sequence[int]
) -> InteractionTable:
    """One entry per (user, song): weights summed, source flags or-ed, non-positive dropped."""
    if not users:
        empty = np.zeros(0, dtype=np.int64)
        return InteractionTable(empty, empty, np.zeros(0), np.zeros(0, dtype=np.uint8))
    pairs = np.column_stack([np.asarray(users, dtype=np.int64), np.asarray(songs, dtype=np.int64)])
    unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    total = np.bincount(inverse, weights=np.asarray(weights, dtype=float), minlength=len(unique))
    flags = np.zeros(len(unique), dtype=np.uint8)
    np.bitwise_or.at(flags, inverse, np.asarray(sources, dtype=np.uint8))
    keep = total > 0
    return InteractionTable(unique[keep, 0], unique[keep, 1], total[keep], flags[keep])


def recently_skipped_songs(*, user_ids: Sequence[int]) -> dict[int, set[int]]:
    """Per user, the songs they skipped in the last RECENT_SKIP_DAYS days (rollups + tail)."""
    since = timezone.now().date() - timedelta(days=RECENT_SKIP_DAYS)
    skipped: dict[int, set[int]] = {user_id: set() for user_id in user_ids}
    rollups = UserSongDailyStats.objects.filter(user_id__in=user_ids, day__gte=since, skips__gt=0)
    tail = events_tail(user_ids=user_ids).filter(action=Action.SKIP)
    for rows in (rollups.values_list("user_id", "song_id"), tail.values_list("user_id", "song_id")):
        for user_id, song_id in rows.distinct():
            skipped[user_id].add(song_id)
    return skipped


def active_user_ids(*, days: int) -> list[int]:
    """Users with at least one listening event in the last ``days`` days."""
    since = timezone.now().date() - timedelta(days=days)
    rolled = UserDailyStats.objects.filter(day__gte=since).values_list("user_id", flat=True)
    tail = events_tail(user_ids=None).values_list("user_id", flat=True)
    return sorted(set(rolled.distinct()) | set(tail.distinct()))
