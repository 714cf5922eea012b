"""Platform charts, wired: analytics ranks, charts writes.

Charts and analytics are siblings in the layer order (DESIGN.md §1: neither imports the
other), and the platform charts need both: analytics owns the counting rule (unique listeners,
repeat plays damped, flagged plays left out: ``analytics.selectors.song_listener_scores`` and
``artist_listener_scores``) and charts owns snapshots and their trends
(``charts.services.platform``, which takes the rankings as functions). The composition root,
which already knows every app (``load_demo``, ``setup_schedules``), passes one to the other.
Recommendations could have hosted this too, but platform charts are not a recommendation.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.utils import timezone

from analytics.selectors import artist_listener_scores, song_listener_scores
from charts.models import ChartEntry, ChartSnapshot, IngestionRun
from charts.services.platform import (
    PLATFORM_CHARTS,
    PlatformChartResult,
    RankedRow,
    platform_charts_compute,
)


def rank_songs(since: date, until: date, limit: int) -> list[RankedRow]:
    # viewer=None: only songs anyone may see (a chart is public).
    scores = song_listener_scores(since=since, until=until, viewer=None, limit=limit)
    return [(score.song_id, score.listeners, score.plays) for score in scores]


def rank_artists(since: date, until: date, limit: int) -> list[RankedRow]:
    scores = artist_listener_scores(since=since, until=until, viewer=None, limit=limit)
    return [(score.artist_id, score.listeners, score.plays) for score in scores]


def yesterday() -> date:
    return timezone.now().date() - timedelta(days=1)


def compute_platform_charts(
    *, days: Iterable[date], trigger: str = IngestionRun.Trigger.SCHEDULE
) -> list[PlatformChartResult]:
    return platform_charts_compute(
        days=days, rank_songs=rank_songs, rank_artists=rank_artists, trigger=trigger
    )


def latest_platform_chart_song_ids(*, limit: int, slug: str = PLATFORM_CHARTS[0].slug) -> list[int]:
    """The catalog songs at the top of a platform chart's latest snapshot, best first."""
    snapshot = ChartSnapshot.objects.filter(chart__slug=slug).order_by("-date").first()
    if snapshot is None:
        return []
    return list(
        ChartEntry.objects.filter(snapshot=snapshot, song__isnull=False)
        .order_by("position")
        .values_list("song_id", flat=True)[:limit]
    )
