"""Writing snapshots and keeping their trend fields right.

Ingestion is all or nothing per call: every feed is parsed and validated before the first
write, and all snapshots of one call are written in one transaction. Writing a date that
already has a snapshot replaces it. Trend fields are computed in memory in one forward
pass (charts.trends), seeded from one aggregate query over the older snapshots; when the
new dates are not the latest, the later snapshots are recomputed in the same pass and
only their changed rows are updated.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeAlias

from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone

from charts.caching import charts_changed
from charts.models import Chart, ChartEntry, ChartSnapshot, ChartTrack, IngestionRun
from charts.parsers import (
    FeedValidationError,
    ParsedEntry,
    ParsedFeed,
    feed_checksum,
    validate_feed,
)
from charts.services.tracks import BATCH_SIZE, TEXT_MAX, entry_keys, tracks_for
from charts.trends import TrackSummary, TrendFields, TrendState
from common.bulk import copy_rows
from common.realtime import publish

_ANALYZE_AFTER = 20_000  # entry rows written in one call

Row: TypeAlias = tuple[Any, ...]  # raw column values, as read or written in bulk


@dataclasses.dataclass
class IngestSummary:
    snapshots_written: int = 0
    entries_written: int = 0
    entries_updated: int = 0
    tracks_created: int = 0
    tracks_matched: int = 0
    first_date: date | None = None
    last_date: date | None = None

    @property
    def unchanged(self) -> bool:
        return self.snapshots_written == 0


def chart_ingest(
    *,
    chart: Chart,
    feeds: Mapping[date, ParsedFeed],
    fetched_at: datetime | None = None,
    skip_unchanged: bool = False,
    run: IngestionRun | None = None,
) -> IngestSummary:
    """Write one snapshot per date (replacing what is there) and keep trends right.

    Raises FeedValidationError, before anything is written, when any feed is unusable.
    With `skip_unchanged`, dates whose stored snapshot has the same content are left alone.
    """
    if not feeds:
        raise FeedValidationError("nothing to import")
    problems = []
    for day, feed in sorted(feeds.items()):
        try:
            validate_feed(feed, expected_country=chart.country, expected_kind=chart.kind)
        except FeedValidationError as exc:
            problems.append(f"{day.isoformat()}: {exc}" if len(feeds) > 1 else str(exc))
    if problems:
        raise FeedValidationError("; ".join(problems))

    fetched_at = fetched_at or timezone.now()
    summary = IngestSummary()
    with transaction.atomic():
        # One writer per chart at a time: trends depend on every snapshot of the chart.
        Chart.objects.select_for_update().filter(pk=chart.pk).first()
        checksums = {day: feed_checksum(feed.entries) for day, feed in feeds.items()}
        if skip_unchanged:
            stored = dict(
                ChartSnapshot.objects.filter(chart=chart, date__in=list(feeds)).values_list(
                    "date", "checksum"
                )
            )
            feeds = {day: f for day, f in feeds.items() if stored.get(day) != checksums[day]}
            if not feeds:
                return summary
        days = sorted(feeds)

        keyed = {day: entry_keys(chart, feeds[day].entries) for day in days}
        tracks, created, matched = tracks_for(
            chart, ((key, entry) for day in days for key, entry in keyed[day])
        )
        # Replace what is stored at these dates (entries go by fast cascade delete).
        ChartSnapshot.objects.filter(chart=chart, date__in=days).delete()

        new_snapshots = {
            day: ChartSnapshot(
                chart=chart,
                date=day,
                fetched_at=fetched_at,
                source_updated_at=feeds[day].updated,
                checksum=checksums[day],
                entry_count=len(feeds[day].entries),
            )
            for day in days
        }
        ChartSnapshot.objects.bulk_create(new_snapshots.values(), batch_size=BATCH_SIZE)

        new_positions = {
            day: [(tracks[key].pk, entry.position) for key, entry in keyed[day]] for day in days
        }
        trends, updated = _recompute_trends(chart, start=days[0], new=new_positions)

        rows = [
            _entry_row(new_snapshots[day].pk, tracks[key], entry, fields)
            for day in days
            for (key, entry), fields in zip(keyed[day], trends[day], strict=True)
        ]
        _copy_entries(rows)
        charts_changed()
        # Subscribers of chart:<slug> learn of the new snapshot once it is committed.
        publish(
            f"chart:{chart.slug}",
            "snapshot_ingested",
            {"date": days[-1].isoformat(), "dates": [day.isoformat() for day in days]},
        )

    if len(rows) >= _ANALYZE_AFTER:
        # A backfill can multiply the table's size; without fresh statistics the planner
        # keeps its "tiny table" plans (nested loops over 75,000 rows for the rankings).
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(ChartEntry._meta.db_table)}")

    summary.snapshots_written = len(days)
    summary.entries_written = len(rows)
    summary.entries_updated = updated
    summary.tracks_created = created
    summary.tracks_matched = matched
    summary.first_date, summary.last_date = days[0], days[-1]
    if run is not None:
        for field in (
            "snapshots_written",
            "entries_written",
            "entries_updated",
            "tracks_created",
            "tracks_matched",
            "first_date",
            "last_date",
        ):
            setattr(run, field, getattr(summary, field))
    return summary


def chart_snapshot_delete(*, snapshot: ChartSnapshot) -> int:
    """Delete a snapshot and recompute the later ones; the number of entries updated."""
    with transaction.atomic():
        Chart.objects.select_for_update().filter(pk=snapshot.chart_id).first()
        chart, day = snapshot.chart, snapshot.date
        snapshot.delete()
        _, updated = _recompute_trends(chart, start=day, new={})
        charts_changed()
    return updated


def chart_recompute_trends(*, chart: Chart) -> int:
    """Recompute every trend field of a chart (after a manual fix); rows updated."""
    with transaction.atomic():
        Chart.objects.select_for_update().filter(pk=chart.pk).first()
        _, updated = _recompute_trends(chart, start=date.min, new={})
        charts_changed()
    return updated


def _recompute_trends(
    chart: Chart, *, start: date, new: Mapping[date, Sequence[tuple[int, int]]]
) -> tuple[dict[date, list[TrendFields]], int]:
    """One pass from `start` over the chart's snapshots, the `new` ones (not stored yet,
    given as (track id, position) lists) among them.

    Returns the trend fields of the new snapshots and the number of stored entries whose
    fields changed (those are updated here).
    """
    state = _trend_state_before(chart, start)
    stored_days = dict(
        ChartSnapshot.objects.filter(chart=chart, date__gte=start)
        .exclude(date__in=list(new))
        .values_list("date", "id")
    )
    # Rows as tuples: (id, track_id, position, *trend fields).
    stored_entries: dict[int, list[Row]] = defaultdict(list)
    if stored_days:
        for snapshot_id, *row in (
            ChartEntry.objects.filter(snapshot_id__in=stored_days.values())
            .order_by("position")
            .values_list("snapshot_id", "id", "track_id", "position", *ChartEntry.TREND_FIELDS)
        ):
            stored_entries[snapshot_id].append(tuple(row))

    results: dict[date, list[TrendFields]] = {}
    changed: list[Row] = []
    for day in sorted({*new, *stored_days}):
        if day in new:
            results[day] = state.advance(new[day])
            continue
        rows = stored_entries[stored_days[day]]
        for row, fields in zip(
            rows, state.advance([(row[1], row[2]) for row in rows]), strict=True
        ):
            values = fields.as_tuple()
            if row[3:] != values:
                changed.append((row[0], *values))
    _update_trend_fields(changed)
    return results, len(changed)


def _update_trend_fields(rows: Sequence[Row]) -> None:
    """Set the trend fields of (id, *TREND_FIELDS) rows with UPDATE ... FROM unnest(arrays),
    one statement per 10,000 rows: bulk_update's CASE WHEN per row takes about a minute for
    the ~25,000 rows that backfilling one mid-year day of a daily top 200 changes."""
    table = connection.ops.quote_name(ChartEntry._meta.db_table)
    names = ChartEntry.TREND_FIELDS
    types = ("bigint", "integer", "integer", "boolean", "boolean", "integer", "integer")
    assignments = ", ".join(f"{name} = v.{name}" for name in names)
    arrays = ", ".join(f"%s::{t}[]" for t in types)
    sql = (
        f"UPDATE {table} AS e SET {assignments} "
        f"FROM unnest({arrays}) AS v(id, {', '.join(names)}) WHERE e.id = v.id"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 10_000):
            columns = zip(*rows[start : start + 10_000], strict=True)
            cursor.execute(sql, [list(column) for column in columns])


def _trend_state_before(chart: Chart, day: date) -> TrendState[int]:
    """What the snapshots before `day` say: per track, days on chart and peak, and the
    positions in the last of them. Two queries, whatever the chart's length."""
    if day == date.min:
        return TrendState()
    older = ChartEntry.objects.filter(snapshot__chart=chart, snapshot__date__lt=day)
    history = {
        track_id: TrackSummary(days_on_chart=days, peak_position=peak)
        for track_id, days, peak in older.values("track_id")
        .annotate(days=Count("id"), peak=Min("position"))
        .values_list("track_id", "days", "peak")
        .order_by()
    }
    previous = (
        ChartSnapshot.objects.filter(chart=chart, date__lt=day).order_by("-date").values("id")[:1]
    )
    previous_positions = dict(
        ChartEntry.objects.filter(snapshot_id__in=previous)
        .values_list("track_id", "position")
        .order_by()
    )
    return TrendState(history=history, previous_positions=previous_positions)


_ENTRY_COLUMNS = (
    "snapshot_id",
    "position",
    "track_id",
    "title",
    "artist_name",
    "external_id",
    "streams",
    "url",
    "artwork_url",
    "explicit",
    "song_id",
    "artist_id",
    *ChartEntry.TREND_FIELDS,
)


def _entry_row(snapshot_id: int, track: ChartTrack, entry: ParsedEntry, fields: TrendFields) -> Row:
    return (
        snapshot_id,
        entry.position,
        track.pk,
        entry.title[:TEXT_MAX],
        entry.artist_name[:TEXT_MAX],
        entry.external_id[:64],
        entry.streams,
        _url(entry.url),
        _url(entry.artwork),
        entry.explicit,
        track.song_id,
        track.artist_id,
        fields.previous_position,
        fields.movement,
        fields.is_new,
        fields.is_reentry,
        fields.peak_position,
        fields.days_on_chart,
    )


def _copy_entries(rows: Sequence[Row]) -> None:
    """Insert entry rows with COPY: a year of a daily top 200 is ~75,000 rows, and building
    model instances for bulk_create costs more than the database work."""
    copy_rows(table=ChartEntry._meta.db_table, columns=_ENTRY_COLUMNS, rows=rows)


def _url(value: str) -> str:
    # An overlong URL is useless cut short: drop it rather than fail the snapshot.
    return value if len(value) <= TEXT_MAX else ""
