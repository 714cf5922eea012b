"""Trending songs: time-decayed listening (rollups + raw tail) plus chart momentum.

Read for a caller (``user``; ``None`` for a task building picks ahead of any reader): only
songs that caller may see are scored, so the cache holds one list per visibility predicate.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from analytics.selectors import song_listener_scores
from catalog.selectors import song_visibility_q, songs_visible_to
from charts.models import ChartEntry, ChartKind, ChartSnapshot
from recommendations.selectors.ranking import blend_trending, chart_momentum_of

# window -> (days of rollups read, half-life in days of a day's plays)
TRENDING_WINDOWS: dict[str, tuple[int, float]] = {"24h": (1, 0.5), "7d": (7, 2.0), "30d": (30, 7.0)}
TRENDING_PERIOD_WORDS = {"24h": "today", "7d": "this week", "30d": "this month"}
TRENDING_COUNTER_WEIGHTS = {
    "plays": 1.0,
    "completes": 0.5,
    "likes": 2.0,
    "shares": 2.0,
    "skips": -0.5,
}
TRENDING_CACHE_SECONDS = 5 * 60


class ScoredSong(NamedTuple):
    song_id: int
    score: float
    reason: str


def chart_momentum(
    *, visible: Q, since: date, genre_id: int | None = None
) -> dict[int, tuple[float, str]]:
    """Songs (matching ``visible``, a predicate on ``song__``) climbing or newly entering the
    latest snapshot since ``since`` of each song chart; see ``ranking.chart_momentum_of``.
    No chart data: an empty mapping."""
    latest = (
        ChartSnapshot.objects.filter(chart__kind=ChartKind.SONGS, date__gte=since)
        .order_by("chart_id", "-date")
        .distinct("chart_id")
        .values("id")
    )
    entries = ChartEntry.objects.filter(
        visible, Q(movement__gt=0) | Q(is_new=True), snapshot__in=latest, song__isnull=False
    )
    if genre_id is not None:
        entries = entries.filter(song__genre_id=genre_id)
    return chart_momentum_of(
        entries.values_list(
            "song_id",
            "position",
            "movement",
            "snapshot__chart__size",
            "snapshot__chart__country",
            "snapshot__chart__name",
        )
    )


def _cache_key(*, visible: Q, window: str, genre_id: int | None, limit: int) -> str:
    # The visibility predicate itself names the audience (everyone, staff, one artist), so
    # the cache cannot hand one caller's list to a caller who may see less.
    audience = hashlib.sha256(str(visible).encode()).hexdigest()[:16]
    return f"recommendations:trending:{window}:{genre_id}:{limit}:{audience}"


def trending_songs(
    *, user: Any, window: str = "7d", genre_id: int | None = None, limit: int = 20
) -> list[ScoredSong]:
    """Songs ``user`` may see, by time-decayed listening plus chart momentum.

    Each part is normalised to [0, 1] by its maximum; charts weigh ``ranking.CHART_SHARE``.
    Either part alone is enough: without chart data, trending is our own listening, and
    vice versa. Cached for a few minutes per window, genre, limit and audience.
    """
    visible = song_visibility_q(user=user, prefix="song__")
    key = _cache_key(visible=visible, window=window, genre_id=genre_id, limit=limit)
    cached = cache.get(key)
    if cached is not None:
        return cached
    days, half_life = TRENDING_WINDOWS[window]
    since = timezone.now().date() - timedelta(days=days)
    # Our own listening: per song, the sum over listeners of log2(1 + plays), time-decayed,
    # flagged (implausible) plays left out, so one account replaying a song cannot lift it.
    plays = {
        score.song_id: score.damped_plays
        for score in song_listener_scores(
            since=since,
            until=timezone.now().date(),
            genre_id=genre_id,
            viewer=user,
            half_life_days=half_life,
        )
        if score.damped_plays > 0
    }
    momentum = chart_momentum(visible=visible, since=since, genre_id=genre_id)
    ranked = blend_trending(plays, momentum, limit=limit)
    genres = dict(
        songs_visible_to(user=user)
        .filter(id__in=[song_id for song_id, _, _ in ranked])
        .values_list("id", "genre__name")
    )
    period = TRENDING_PERIOD_WORDS[window]
    result = [
        ScoredSong(song_id, round(score, 4), reason or _listening_reason(genres[song_id], period))
        for song_id, score, reason in ranked
        if song_id in genres
    ]
    cache.set(key, result, TRENDING_CACHE_SECONDS)
    return result


def _listening_reason(genre_name: str | None, period: str) -> str:
    return f"Popular in {genre_name.lower()} {period}" if genre_name else f"Trending {period}"
