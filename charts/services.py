"""Chart writes: ingestion (feed pulls and file imports), trend upkeep, catalog matching.

Ingestion is all or nothing per call: every feed is parsed and validated before the first
write, and all snapshots of one call are written in one transaction. Writing a date that
already has a snapshot replaces it. Trend fields are computed in memory in one forward
pass (charts.trends), seeded from one aggregate query over the older snapshots; when the
new dates are not the latest, the later snapshots are recomputed in the same pass and
only their changed rows are updated.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from urllib.parse import urlparse

import requests
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from rest_framework import serializers

from catalog.models import Artist, Song
from charts.fetching import FetchError, fetch_feed
from charts.models import Chart, ChartEntry, ChartKind, ChartSnapshot, ChartTrack, IngestionRun
from charts.normalization import (
    fold_text,
    name_key,
    normalize_artist,
    primary_artist,
    strip_credits,
)
from charts.parsers import (
    KIND_ALBUMS,
    SOURCE_SPOTIFY_CSV,
    FeedError,
    FeedValidationError,
    ParsedEntry,
    ParsedFeed,
    date_from_filename,
    feed_checksum,
    parse_feed,
    validate_feed,
)
from charts.trends import TrackSummary, TrendFields, TrendState, dedupe_keys
from common.bulk import copy_rows
from common.tasks import enqueue_after_commit

logger = logging.getLogger(__name__)

# Sources whose external ids live in the same id space (and catalog column).
_ID_NAMESPACE = {SOURCE_SPOTIFY_CSV: "spotify"}
_DEFAULT_NAMESPACE = "apple"
_CATALOG_ID_FIELD = {"spotify": "spotify_id", "apple": "apple_id"}
_MAX_KEY = 255
_TEXT_MAX = 500
_BATCH = 2000
_NAME_MATCH_CHUNK = 50
_ANALYZE_AFTER = 20_000  # entry rows written in one call


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


# --------------------------------------------------------------------------- charts


def chart_create(
    *,
    slug: str,
    name: str,
    source: str,
    country: str = "",
    kind: str = ChartKind.SONGS,
    feed_url: str = "",
    size: int = 200,
    active: bool = True,
) -> Chart:
    chart = Chart(
        slug=slug,
        name=name,
        source=source,
        country=country.lower(),
        kind=kind,
        feed_url=feed_url,
        size=size,
        active=active,
    )
    chart.full_clean()
    chart.save()
    return chart


def chart_seed_from_settings(*, spec: str | None = None) -> list[Chart]:
    """Create the charts listed in CHART_FEEDS ("slug|name|source|country|kind|feed_url;...").

    Existing charts are left as they are: staff may have edited them in the admin.
    """
    spec = settings.CHART_FEEDS if spec is None else spec
    created = []
    for item in filter(None, (part.strip() for part in spec.split(";"))):
        fields = [f.strip() for f in item.split("|")]
        if len(fields) != 6:
            raise ValueError(
                f"CHART_FEEDS item {item!r}: expected slug|name|source|country|kind|url"
            )
        slug, name, source, country, kind, feed_url = fields
        if not Chart.objects.filter(slug=slug).exists():
            created.append(
                chart_create(
                    slug=slug,
                    name=name,
                    source=source,
                    country=country,
                    kind=kind or ChartKind.SONGS,
                    feed_url=feed_url,
                )
            )
    return created


# --------------------------------------------------------------------------- pulls


class ChartNotPullable(serializers.ValidationError):
    default_code = "no_feed_url"


def chart_request_pull(*, chart: Chart, trigger: str = IngestionRun.Trigger.MANUAL) -> str:
    """Queue a pull of the chart's feed once the current transaction commits; the task id."""
    if not chart.feed_url:
        raise ChartNotPullable(
            "This chart has no feed URL; its data comes from file imports.", code="no_feed_url"
        )

    return enqueue_after_commit("charts.pull", kwargs={"chart_id": chart.pk, "trigger": trigger})


def chart_pull(
    *,
    chart_id: int,
    trigger: str = IngestionRun.Trigger.SCHEDULE,
    task_id: str = "",
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> IngestionRun:
    """Fetch, validate and store today's snapshot of a chart; the run records the outcome.

    A temporary fetch failure (the server kept failing after the in-request retries) is
    recorded and re-raised, so the task can try again later; every other failure is
    final for this run and leaves the chart's data untouched.
    """
    chart = Chart.objects.get(pk=chart_id)
    run = IngestionRun.objects.create(chart=chart, trigger=trigger, task_id=task_id)
    if not chart.feed_url:
        return _run_fail(run, "the chart has no feed URL; import its data with import_chart_csv")
    try:
        result = fetch_feed(
            chart.feed_url,
            etag=chart.etag,
            last_modified=chart.last_modified,
            session=session,
            sleep=sleep,
        )
    except FetchError as exc:
        _run_fail(run, str(exc), http_status=exc.status)
        if exc.temporary:
            raise
        return run
    run.http_status = result.status
    if result.not_modified:
        return _run_finish(run, IngestionRun.Status.UNCHANGED)

    path = urlparse(chart.feed_url).path
    try:
        feed = parse_feed(chart.source, result.content, filename=path)
        # The feed's own date, else one in its URL (CSV downloads), else today (UTC).
        snapshot_date = feed.chart_date or date_from_filename(path) or timezone.now().date()
        summary = chart_ingest(
            chart=chart, feeds={snapshot_date: feed}, skip_unchanged=True, run=run
        )
    except FeedError as exc:
        return _run_fail(run, str(exc), http_status=result.status)
    except Exception as exc:
        # A bug or a database failure: close the run before the task reports the error.
        _run_fail(run, f"unexpected error: {exc!r}", http_status=result.status)
        raise

    # Only a stored (or identical) snapshot earns the validators: a feed that failed
    # validation must be fetched in full next time.
    Chart.objects.filter(pk=chart.pk).update(
        etag=result.etag[:255], last_modified=result.last_modified[:64]
    )
    status = IngestionRun.Status.UNCHANGED if summary.unchanged else IngestionRun.Status.SUCCEEDED
    return _run_finish(run, status)


def chart_import(
    *,
    chart: Chart,
    feeds: Mapping[date, ParsedFeed],
    rows_skipped: int = 0,
    trigger: str = IngestionRun.Trigger.IMPORT,
) -> IngestionRun:
    """Store snapshots parsed from files (backfills); the run records the outcome."""
    run = IngestionRun.objects.create(chart=chart, trigger=trigger, rows_skipped=rows_skipped)
    try:
        chart_ingest(chart=chart, feeds=feeds, run=run)
    except FeedError as exc:
        return _run_fail(run, str(exc))
    except Exception as exc:
        _run_fail(run, f"unexpected error: {exc!r}")
        raise
    return _run_finish(run, IngestionRun.Status.SUCCEEDED)


def ingestion_run_record_failure(
    *, chart: Chart, error: str, trigger: str = IngestionRun.Trigger.IMPORT
) -> IngestionRun:
    """Log a failure found before ingestion started (an unreadable import file)."""
    return _run_fail(IngestionRun.objects.create(chart=chart, trigger=trigger), error)


def _run_fail(run: IngestionRun, error: str, *, http_status: int | None = None) -> IngestionRun:
    run.error = error
    if http_status is not None:
        run.http_status = http_status
    logger.warning("chart %s: ingestion failed: %s", run.chart_id, error)
    return _run_finish(run, IngestionRun.Status.FAILED)


def _run_finish(run: IngestionRun, status: str) -> IngestionRun:
    run.status = status
    run.finished_at = timezone.now()
    run.save()
    return run


# --------------------------------------------------------------------------- ingestion


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

        keyed = {day: _entry_keys(chart, feeds[day].entries) for day in days}
        tracks, created, matched = _tracks_for(
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
        ChartSnapshot.objects.bulk_create(new_snapshots.values(), batch_size=_BATCH)

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
    return updated


def chart_recompute_trends(*, chart: Chart) -> int:
    """Recompute every trend field of a chart (after a manual fix); rows updated."""
    with transaction.atomic():
        Chart.objects.select_for_update().filter(pk=chart.pk).first()
        _, updated = _recompute_trends(chart, start=date.min, new={})
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
    stored_entries: dict[int, list[tuple]] = defaultdict(list)
    if stored_days:
        for snapshot_id, *row in (
            ChartEntry.objects.filter(snapshot_id__in=stored_days.values())
            .order_by("position")
            .values_list("snapshot_id", "id", "track_id", "position", *ChartEntry.TREND_FIELDS)
        ):
            stored_entries[snapshot_id].append(tuple(row))

    results: dict[date, list[TrendFields]] = {}
    changed: list[tuple] = []
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


def _update_trend_fields(rows: Sequence[tuple]) -> None:
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


def _entry_row(snapshot_id: int, track: ChartTrack, entry: ParsedEntry, fields: TrendFields):
    return (
        snapshot_id,
        entry.position,
        track.pk,
        entry.title[:_TEXT_MAX],
        entry.artist_name[:_TEXT_MAX],
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


def _copy_entries(rows: Sequence[tuple]) -> None:
    """Insert entry rows with COPY: a year of a daily top 200 is ~75,000 rows, and building
    model instances for bulk_create costs more than the database work."""
    copy_rows(table=ChartEntry._meta.db_table, columns=_ENTRY_COLUMNS, rows=rows)


def _url(value: str) -> str:
    # An overlong URL is useless cut short: drop it rather than fail the snapshot.
    return value if len(value) <= _TEXT_MAX else ""


# --------------------------------------------------------------------------- tracks


def _namespace(chart: Chart) -> str:
    namespace = _ID_NAMESPACE.get(chart.source, _DEFAULT_NAMESPACE)
    return f"{namespace}-album" if chart.kind == KIND_ALBUMS else namespace


def track_key(chart: Chart, entry: ParsedEntry) -> str:
    """The identity of an entry's track: its external id, or its normalised name."""
    if entry.external_id:
        key = f"{_namespace(chart)}:{entry.external_id}"
    else:
        prefix = "name-album" if chart.kind == KIND_ALBUMS else "name"
        key = f"{prefix}:{name_key(entry.title, entry.artist_name)}"
    if len(key) > _MAX_KEY - 8:  # leave room for a "#n" suffix
        key = f"{key[:180]}~{hashlib.sha256(key.encode()).hexdigest()[:40]}"
    return key


def _entry_keys(chart: Chart, entries: Sequence[ParsedEntry]) -> list[tuple[str, ParsedEntry]]:
    ordered = sorted(entries, key=lambda e: e.position)
    keys = dedupe_keys([track_key(chart, entry) for entry in ordered])
    return list(zip(keys, ordered, strict=True))


def _tracks_for(
    chart: Chart, keyed_entries: Iterable[tuple[str, ParsedEntry]]
) -> tuple[dict[str, ChartTrack], int, int]:
    """The ChartTrack of every key, creating (and matching) the missing ones.

    Returns the tracks by key, how many were created, and how many of those were matched
    to the catalog.
    """
    first_seen: dict[str, ParsedEntry] = {}
    for key, entry in keyed_entries:
        first_seen.setdefault(key, entry)
    keys = list(first_seen)
    tracks = _load_tracks(keys)
    missing = [key for key in keys if key not in tracks]
    if not missing:
        return tracks, 0, 0

    new_tracks = [
        ChartTrack(
            key=key,
            kind=chart.kind,
            title=first_seen[key].title[:_TEXT_MAX],
            artist_name=first_seen[key].artist_name[:_TEXT_MAX],
            name_key=name_key(first_seen[key].title, first_seen[key].artist_name)[:1000],
            artist_key=normalize_artist(first_seen[key].artist_name)[:_TEXT_MAX],
            external_id=first_seen[key].external_id[:64],
            artist_external_id=first_seen[key].artist_external_id[:64],
            genres=list(first_seen[key].genres),
            release_date=first_seen[key].release_date,
        )
        for key in missing
    ]
    matched = match_tracks(tracks=new_tracks, namespace=_namespace(chart).split("-")[0])
    # Another chart's ingest may create the same track meanwhile: keep whichever came first.
    ChartTrack.objects.bulk_create(new_tracks, batch_size=_BATCH, ignore_conflicts=True)
    tracks.update(_load_tracks(missing))
    return tracks, len(new_tracks), matched


def _load_tracks(keys: Sequence[str]) -> dict[str, ChartTrack]:
    tracks: dict[str, ChartTrack] = {}
    for start in range(0, len(keys), 5000):
        for track in ChartTrack.objects.filter(key__in=keys[start : start + 5000]).only(
            "id", "key", "song_id", "artist_id"
        ):
            tracks[track.key] = track
    return tracks


def match_tracks(*, tracks: Sequence[ChartTrack], namespace: str) -> int:
    """Link unsaved tracks to catalog songs and artists, in bulk; the number matched.

    Songs: by external id, then by normalised title + primary artist. Artists: the matched
    song's artist, else by external artist id, else by normalised primary artist name.
    Albums are matched to their artist only.
    """
    id_field = _CATALOG_ID_FIELD.get(namespace)
    songs_wanted = [t for t in tracks if t.kind != KIND_ALBUMS]
    if id_field:
        ids = {t.external_id for t in songs_wanted if t.external_id}
        by_id = (
            {
                external: (song_id, artist_id)
                for external, song_id, artist_id in Song.objects.filter(
                    **{f"{id_field}__in": ids}
                ).values_list(id_field, "id", "artist_id")
            }
            if ids
            else {}
        )
        for track in songs_wanted:
            if track.external_id in by_id:
                track.song_id, track.artist_id = by_id[track.external_id]
                track.match_method = ChartTrack.MatchMethod.EXTERNAL_ID

    unmatched = [t for t in songs_wanted if t.song_id is None and t.title]
    for start in range(0, len(unmatched), _NAME_MATCH_CHUNK):
        _match_songs_by_name(unmatched[start : start + _NAME_MATCH_CHUNK])

    artistless = [t for t in tracks if t.artist_id is None]
    if id_field:
        artist_ids = {t.artist_external_id for t in artistless if t.artist_external_id}
        by_artist_id = (
            dict(
                Artist.objects.filter(**{f"{id_field}__in": artist_ids}).values_list(id_field, "id")
            )
            if artist_ids
            else {}
        )
        for track in artistless:
            track.artist_id = by_artist_id.get(track.artist_external_id)
    artistless = [t for t in artistless if t.artist_id is None and t.artist_key]
    for start in range(0, len(artistless), _NAME_MATCH_CHUNK):
        _match_artists_by_name(artistless[start : start + _NAME_MATCH_CHUNK])
    return sum(1 for t in tracks if t.song_id or (t.kind == KIND_ALBUMS and t.artist_id))


def _match_songs_by_name(tracks: Sequence[ChartTrack]) -> None:
    # Trigram word similarity (GIN-indexed on the catalog) narrows the candidates in one
    # query; the exact decision is the normalised-key comparison in Python.
    condition = Q()
    for track in tracks:
        condition |= Q(
            title__trigram_word_similar=strip_credits(track.title),
            artist__name__trigram_word_similar=primary_artist(track.artist_name),
        )
    candidates: dict[str, tuple[int, int]] = {}
    for song_id, title, artist_id, artist_name in (
        Song.objects.filter(condition)
        .order_by("-is_visible", "-is_public", "id")
        .values_list("id", "title", "artist_id", "artist__name")
    ):
        candidates.setdefault(name_key(title, artist_name), (song_id, artist_id))
    for track in tracks:
        if track.name_key in candidates:
            track.song_id, track.artist_id = candidates[track.name_key]
            track.match_method = ChartTrack.MatchMethod.NAME


def _match_artists_by_name(tracks: Sequence[ChartTrack]) -> None:
    condition = Q()
    for track in tracks:
        condition |= Q(name__trigram_word_similar=primary_artist(track.artist_name))
    candidates: dict[str, int] = {}
    for artist_id, name in (
        Artist.objects.filter(condition).order_by("id").values_list("id", "name")
    ):
        candidates.setdefault(normalize_artist(name), artist_id)
        candidates.setdefault(fold_text(name), artist_id)
    for track in tracks:
        track.artist_id = candidates.get(track.artist_key) or candidates.get(
            fold_text(track.artist_name)
        )


def chart_track_resolve(
    *, track: ChartTrack, song: Song | None, artist: Artist | None = None
) -> int:
    """Staff's match of a track to the catalog, applied to all its entries; rows updated."""
    if song is not None and artist is None:
        artist = song.artist
    with transaction.atomic():
        track.song = song
        track.artist = artist
        track.match_method = (
            ChartTrack.MatchMethod.MANUAL if song or artist else ChartTrack.MatchMethod.NONE
        )
        track.save(update_fields=["song", "artist", "match_method"])
        return ChartEntry.objects.filter(track=track).update(song=song, artist=artist)
