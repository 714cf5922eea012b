"""Platform charts: our own daily and weekly charts, computed from our own listening.

The ranking (unique listeners, a listener's repeat plays damped, flagged plays left out) is
analytics' rule, and charts may not import analytics (they are siblings in the layer order,
DESIGN.md §1). So the caller passes the rankings in: ``rank_songs`` / ``rank_artists`` return
``(catalog id, listeners, plays)`` rows, best first, ties already broken. The composition root
(``music_platform.platform_charts``) wires them to ``analytics.selectors``; tests can pass an
independent computation.

Each chart day becomes a feed written through ``chart_import``, the path every imported chart
takes, so trend fields, movers, drop-outs, history and the artists ranking work unchanged, and
a day computed again replaces the stored snapshot in one transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta

from django.db import transaction

from catalog.models import Artist, Song
from charts.models import Chart, ChartSnapshot, IngestionRun
from charts.parsers import KIND_ARTISTS, KIND_SONGS, SOURCE_PLATFORM, ParsedEntry, ParsedFeed
from charts.services.ingest import chart_snapshot_delete
from charts.services.pulls import chart_import
from charts.services.registry import chart_create

PLATFORM_CHART_SIZE = 200
# Weekly charts cover Monday to Sunday and are dated on the Sunday (date.weekday() == 6).
WEEK_END_WEEKDAY = 6

# (catalog id, unique listeners, plays), best first: at most `limit` rows over [since, until].
RankedRow = tuple[int, int, int]
Ranker = Callable[[date, date, int], Sequence[RankedRow]]


@dataclasses.dataclass(frozen=True)
class PlatformChart:
    slug: str
    name: str
    kind: str
    days: int  # 1: daily; 7: weekly (Monday to Sunday)

    def covers(self, day: date) -> bool:
        """Whether the chart has a snapshot dated `day`."""
        return self.days == 1 or day.weekday() == WEEK_END_WEEKDAY

    def window(self, day: date) -> tuple[date, date]:
        return day - timedelta(days=self.days - 1), day


PLATFORM_CHARTS = (
    PlatformChart("platform-daily-songs", "Top songs today on our platform", KIND_SONGS, 1),
    PlatformChart("platform-daily-artists", "Top artists today on our platform", KIND_ARTISTS, 1),
    PlatformChart("platform-weekly-songs", "Top songs this week on our platform", KIND_SONGS, 7),
    PlatformChart(
        "platform-weekly-artists", "Top artists this week on our platform", KIND_ARTISTS, 7
    ),
)


@dataclasses.dataclass
class PlatformChartResult:
    slug: str
    snapshots_written: int = 0
    entries_written: int = 0
    snapshots_removed: int = 0  # days recomputed with no listening left


def platform_chart_get_or_create(*, spec: PlatformChart) -> Chart:
    chart = Chart.objects.filter(slug=spec.slug).first()
    if chart is None:
        chart = chart_create(
            slug=spec.slug,
            name=spec.name,
            source=SOURCE_PLATFORM,
            country="global",
            kind=spec.kind,
            size=PLATFORM_CHART_SIZE,
            active=True,  # has no feed: Beat computes it (no pull is scheduled without one)
        )
    elif chart.source != SOURCE_PLATFORM:
        raise ValueError(f"chart {spec.slug} exists with source {chart.source}, not platform")
    return chart


def platform_charts_compute(
    *,
    days: Iterable[date],
    rank_songs: Ranker,
    rank_artists: Ranker,
    charts: Sequence[PlatformChart] = PLATFORM_CHARTS,
    trigger: str = IngestionRun.Trigger.SCHEDULE,
) -> list[PlatformChartResult]:
    """Compute (or recompute) the platform charts for `days`: weekly charts only on the days
    that end a week. A day with listening replaces that day's snapshot; a day without any
    removes a stored snapshot (trends of later days are recomputed either way).

    Each chart is written in one transaction, all its days at once (one trend pass).
    """
    days = sorted(set(days))
    results = []
    for spec in charts:
        chart = platform_chart_get_or_create(spec=spec)
        rank = rank_artists if spec.kind == KIND_ARTISTS else rank_songs
        ranked = {
            day: list(rank(*spec.window(day), PLATFORM_CHART_SIZE)[:PLATFORM_CHART_SIZE])
            for day in days
            if spec.covers(day)
        }
        feeds = _feeds(spec, {day: rows for day, rows in ranked.items() if rows})
        empty = [day for day, rows in ranked.items() if not rows]
        result = PlatformChartResult(slug=spec.slug)
        with transaction.atomic():
            if feeds:
                run = chart_import(chart=chart, feeds=feeds, trigger=trigger)
                if run.status != IngestionRun.Status.SUCCEEDED:
                    # Our own rankings always make valid feeds: this is a bug, not bad input.
                    raise RuntimeError(f"{spec.slug}: platform chart not written: {run.error}")
                result.snapshots_written = run.snapshots_written
                result.entries_written = run.entries_written
            for snapshot in ChartSnapshot.objects.filter(chart=chart, date__in=empty).order_by(
                "-date"
            ):
                chart_snapshot_delete(snapshot=snapshot)
                result.snapshots_removed += 1
        results.append(result)
    return results


def _feeds(spec: PlatformChart, ranked: dict[date, list[RankedRow]]) -> dict[date, ParsedFeed]:
    ids = {row[0] for rows in ranked.values() for row in rows}
    names: dict[int, tuple[str, str, bool | None]]  # title, artist credit, explicit
    if spec.kind == KIND_ARTISTS:
        artists = Artist.objects.in_bulk(ids)
        names = {pk: (a.name, a.name, None) for pk, a in artists.items()}
    else:
        songs = Song.objects.select_related("artist").only(
            "id", "title", "explicit", "artist__name"
        )
        names = {pk: (s.title, s.artist.name, s.explicit) for pk, s in songs.in_bulk(ids).items()}
    feeds = {}
    for day, rows in ranked.items():
        # A row deleted since it was ranked is left out; positions stay consecutive.
        rows = [row for row in rows if row[0] in names]
        entries = [
            ParsedEntry(
                position=position,
                title=names[pk][0],
                artist_name=names[pk][1],
                external_id=str(pk),
                streams=plays,
                explicit=names[pk][2],
            )
            for position, (pk, _listeners, plays) in enumerate(rows, start=1)
        ]
        if entries:
            feeds[day] = ParsedFeed(
                source=SOURCE_PLATFORM,
                entries=entries,
                country="global",
                kind=spec.kind,
                title=spec.name,
            )
    return feeds
