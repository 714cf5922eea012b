"""Writes: the incremental rollups of the listening events.

Rollups advance a watermark over event ids. Each run:

1. fences ingestion for an instant (``LOCK ... IN SHARE MODE`` waits for in-flight insert
   transactions and is released at once) and reads the highest id: every id up to it is
   committed, and any later insert gets a bigger id, so no event is ever skipped;
2. for each chunk of ids above the watermark, in one transaction with the watermark row
   locked: aggregates the chunk per (user, song, day) into a temporary table, adds it to
   every daily rollup (``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n``), counts
   first-time listeners per day exactly by comparing with the rows as they were, recomputes
   the running totals from the earliest day the chunk touched (late events re-aggregate the
   days they affect), and moves the watermark.

A second run finds nothing above the watermark and changes nothing; a crash rolls the
chunk back with its watermark, so each event is counted exactly once.

Flagged events (``ListeningEvent.flagged``: implausible, see ``services.ingest``) are left
out of every counter and listener count; only ``DailyStats.flagged_plays`` and
``flagged_events`` count them, so staff still see their volume.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from analytics import models as m
from analytics.caching import analytics_changed
from analytics.sql import (
    ARTIST_DAILY,
    ARTIST_RUNNING,
    COUNTERS,
    DAILY,
    EVENTS,
    GENRE_DAILY,
    GENRE_RUNNING,
    LISTENER_DAYS,
    SONG,
    SONG_DAILY,
    SONG_RUNNING,
    USER_ACTIVITY,
    USER_DAILY,
    USER_SONG_DAILY,
    WATERMARK,
    WATERMARK_NAME,
)

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_IDS = 5_000_000


def _cols(prefix: str = "") -> str:
    return ", ".join(f"{prefix}{c}" for c in COUNTERS)


def _sums(prefix: str = "") -> str:
    # int4 inputs keep sum() in bigint arithmetic (bigint inputs would make it numeric).
    return ", ".join(f"sum({prefix}{c})::int AS {c}" for c in COUNTERS)


def _add_excluded(table: str) -> str:
    return ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in COUNTERS)


@dataclass
class RollupResult:
    events: int = 0
    chunks: int = 0
    last_event_id: int = 0
    through_day: date | None = None


def _committed_max_event_id() -> int:
    """The highest event id such that every smaller id is committed (or never will be)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '10s'")
        # SHARE waits for open insert transactions and blocks new ones only while held;
        # it is released when this short transaction ends.
        cursor.execute(f"LOCK TABLE {EVENTS} IN SHARE MODE")
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {EVENTS}")
        return cursor.fetchone()[0]


def _locked_watermark() -> m.RollupWatermark:
    m.RollupWatermark.objects.get_or_create(name=WATERMARK_NAME)
    return m.RollupWatermark.objects.select_for_update().get(name=WATERMARK_NAME)


def rollup_run(
    *,
    chunk_ids: int = DEFAULT_CHUNK_IDS,
    progress: Callable[[str], None] | None = None,
) -> RollupResult:
    """Fold every committed event above the watermark into the rollups (idempotent)."""
    hi = _committed_max_event_id()
    result = RollupResult()
    while True:
        with transaction.atomic():
            watermark = _locked_watermark()
            lo = watermark.last_event_id
            today = timezone.now().date()
            if lo >= hi:
                # Nothing new: still carry the running totals forward to today.
                if watermark.through_day is not None and watermark.through_day < today:
                    with connection.cursor() as cursor:
                        _extend_running_totals(cursor, watermark.through_day, today)
                    watermark.through_day = today
                    watermark.save(update_fields=["through_day", "updated_at"])
                    analytics_changed()
                result.last_event_id = lo
                result.through_day = watermark.through_day
                return result
            chunk_hi = min(hi, lo + chunk_ids)
            started = timezone.now()
            count = _apply_chunk(watermark, lo=lo, hi=chunk_hi, today=today)
            analytics_changed()
            result.events += count
            result.chunks += 1
        if progress:
            seconds = (timezone.now() - started).total_seconds()
            progress(f"events {lo + 1}..{chunk_hi}: {count} rolled up in {seconds:.1f}s")


def rollup_reset() -> None:
    """Empty every rollup and the watermark; the next ``rollup_run`` rebuilds from events."""
    tables = [
        DAILY, SONG_DAILY, ARTIST_DAILY, GENRE_DAILY, USER_DAILY, USER_SONG_DAILY,
        SONG_RUNNING, ARTIST_RUNNING, GENRE_RUNNING, LISTENER_DAYS, USER_ACTIVITY, WATERMARK,
    ]  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        # Deferred foreign-key checks still pending in this transaction would block TRUNCATE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {', '.join(tables)}")
        analytics_changed()


def _apply_chunk(watermark: m.RollupWatermark, *, lo: int, hi: int, today: date) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("DROP TABLE IF EXISTS analytics_delta")
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE analytics_delta AS
            SELECT e.user_id, e.song_id, s.artist_id, s.genre_id,
                   (e.occurred_at AT TIME ZONE 'UTC')::date AS day,
                   (count(*) FILTER (WHERE e.action = 'play'))::int AS plays,
                   (count(*) FILTER (WHERE e.action = 'complete'))::int AS completes,
                   (count(*) FILTER (WHERE e.action = 'skip'))::int AS skips,
                   (count(*) FILTER (WHERE e.action = 'like'))::int AS likes,
                   (count(*) FILTER (WHERE e.action = 'share'))::int AS shares,
                   count(*)::int AS events,
                   min(e.occurred_at) AS first_at,
                   max(e.occurred_at) AS last_at,
                   max(e.received_at) AS last_received
            FROM {EVENTS} e JOIN {SONG} s ON s.id = e.song_id
            WHERE e.id > %s AND e.id <= %s AND NOT e.flagged
            GROUP BY 1, 2, 3, 4, 5
            """,
            [lo, hi],
        )
        cursor.execute("ANALYZE analytics_delta")
        cursor.execute(
            "SELECT coalesce(sum(events), 0)::bigint, max(last_received), max(day), min(day)"
            " FROM analytics_delta"
        )
        count, last_received, max_day, min_day = cursor.fetchone()
        flagged, flagged_received = _add_flagged_daily(cursor, lo=lo, hi=hi)
        last_received = max((d for d in (last_received, flagged_received) if d), default=None)
        if count:
            for step in (
                _add_daily_totals,
                _add_user_rollups,
                _add_song_rollups,
                _add_artist_daily,
                _add_genre_daily,
                _add_listener_days,
                _add_user_activity,
            ):
                _timed(step, cursor)

        through = max(d for d in (watermark.through_day, today, max_day) if d is not None)
        if watermark.through_day is not None and watermark.through_day < through:
            _extend_running_totals(cursor, watermark.through_day, through)
        if count:
            for table, key, daily in (
                (SONG_RUNNING, "song_id", SONG_DAILY),
                (ARTIST_RUNNING, "artist_id", ARTIST_DAILY),
                (GENRE_RUNNING, "genre_id", GENRE_DAILY),
            ):
                _timed(_recompute_running_totals, cursor, table, key, daily, through)
        cursor.execute("DROP TABLE analytics_delta")

    watermark.last_event_id = hi
    if last_received is not None:
        watermark.last_received_at = max(
            d for d in (watermark.last_received_at, last_received) if d is not None
        )
    watermark.through_day = through
    watermark.save()
    logger.info(
        "analytics rollup: events %s..%s (%s counted, %s flagged) days %s..%s",
        lo + 1, hi, count, flagged, min_day, max_day,
    )  # fmt: skip
    return count + flagged


def _timed(step: Callable[..., None], *args: Any) -> None:
    started = time.perf_counter()
    step(*args)
    logger.debug(
        "rollup step %s: %.3fs", getattr(step, "__name__", step), time.perf_counter() - started
    )


def _add_daily_totals(cursor: CursorWrapper) -> None:
    cursor.execute(
        f"""
        INSERT INTO {DAILY} (day, {_cols()}, active_users, listeners)
        SELECT day, {_sums()}, 0, 0 FROM analytics_delta GROUP BY day
        ON CONFLICT (day) DO UPDATE SET {_add_excluded(DAILY)}
        """
    )


def _add_flagged_daily(cursor: CursorWrapper, *, lo: int, hi: int) -> tuple[int, Any]:
    """Count the chunk's flagged events into ``DailyStats``; (how many, newest received)."""
    cursor.execute(
        f"""
        WITH flagged AS (
            SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day,
                   (count(*) FILTER (WHERE action = 'play'))::int AS plays,
                   count(*)::int AS events, max(received_at) AS last_received
            FROM {EVENTS} WHERE id > %s AND id <= %s AND flagged GROUP BY 1
        ), added AS (
            INSERT INTO {DAILY} (day, {_cols()}, active_users, listeners,
                                 flagged_plays, flagged_events)
            SELECT day, {", ".join("0" for _ in COUNTERS)}, 0, 0, plays, events FROM flagged
            ON CONFLICT (day) DO UPDATE SET
                flagged_plays = {DAILY}.flagged_plays + excluded.flagged_plays,
                flagged_events = {DAILY}.flagged_events + excluded.flagged_events
        )
        SELECT coalesce(sum(events), 0)::bigint, max(last_received) FROM flagged
        """,
        [lo, hi],
    )
    return cursor.fetchone()


def _increments(target: str, source: str) -> str:
    return ", ".join(f"{c} = {target}.{c} + {source}.{c}" for c in COUNTERS)


# The rollup holds the watermark lock, so nothing else writes these tables meanwhile: rows
# found by the LEFT JOIN are updated, the others inserted (cheaper than ON CONFLICT for the
# millions of rows of a rebuild).


def _add_user_rollups(cursor: CursorWrapper) -> None:
    """Per-user daily rows; a user's first row of a day makes them active (and a listener
    on their first play of the day), counted against the rows as they were before."""
    cursor.execute(
        f"""
        WITH agg AS (
            SELECT user_id, day, {_sums()}, min(first_at) AS first_at, max(last_at) AS last_at
            FROM analytics_delta WHERE user_id IS NOT NULL GROUP BY user_id, day
        ), prior AS MATERIALIZED (
            SELECT agg.*, u.id AS row_id, coalesce(u.plays, 0) AS old_plays
            FROM agg LEFT JOIN {USER_DAILY} u ON u.user_id = agg.user_id AND u.day = agg.day
        ), updated AS (
            UPDATE {USER_DAILY} u SET {_increments("u", "p")},
                first_event_at = least(u.first_event_at, p.first_at),
                last_event_at = greatest(u.last_event_at, p.last_at)
            FROM prior p WHERE u.id = p.row_id
        ), inserted AS (
            INSERT INTO {USER_DAILY} (user_id, day, {_cols()}, first_event_at, last_event_at)
            SELECT user_id, day, {_cols()}, first_at, last_at FROM prior WHERE row_id IS NULL
            ORDER BY day  -- a day's rows together (the last-24-hours read takes two days)
        ), fresh AS (
            SELECT day,
                   count(*) FILTER (WHERE row_id IS NULL) AS active,
                   count(*) FILTER (WHERE old_plays = 0 AND plays > 0) AS listeners
            FROM prior GROUP BY day
        )
        UPDATE {DAILY} d SET active_users = d.active_users + fresh.active,
                             listeners = d.listeners + fresh.listeners
        FROM fresh WHERE d.day = fresh.day AND (fresh.active > 0 OR fresh.listeners > 0)
        """
    )


def _add_song_rollups(cursor: CursorWrapper) -> None:
    """Per-user-per-song rows, then per-song rows with exact first-time listener counts."""
    cursor.execute(
        f"""
        WITH agg AS (
            SELECT user_id, song_id, day, {_sums()}
            FROM analytics_delta WHERE user_id IS NOT NULL GROUP BY user_id, song_id, day
        ), prior AS MATERIALIZED (
            SELECT agg.*, u.id AS row_id, coalesce(u.plays, 0) AS old_plays
            FROM agg LEFT JOIN {USER_SONG_DAILY} u
                ON u.user_id = agg.user_id AND u.song_id = agg.song_id AND u.day = agg.day
        ), updated AS (
            UPDATE {USER_SONG_DAILY} u SET {_increments("u", "p")}
            FROM prior p WHERE u.id = p.row_id
        ), inserted AS (
            INSERT INTO {USER_SONG_DAILY} (user_id, song_id, day, {_cols()})
            SELECT user_id, song_id, day, {_cols()} FROM prior WHERE row_id IS NULL
            ORDER BY user_id, day  -- a listener's rows together for their engagement reads
        ), fresh AS (
            SELECT song_id, day, count(*) AS listeners FROM prior
            WHERE old_plays = 0 AND plays > 0 GROUP BY song_id, day
        ), songs AS (
            SELECT song_id, day, {_sums()} FROM analytics_delta GROUP BY song_id, day
        ), merged AS MATERIALIZED (
            SELECT songs.*, coalesce(fresh.listeners, 0) AS listeners, d.id AS row_id
            FROM songs
            LEFT JOIN fresh ON fresh.song_id = songs.song_id AND fresh.day = songs.day
            LEFT JOIN {SONG_DAILY} d ON d.song_id = songs.song_id AND d.day = songs.day
        ), updated_songs AS (
            UPDATE {SONG_DAILY} d SET {_increments("d", "m")},
                listeners = d.listeners + m.listeners
            FROM merged m WHERE d.id = m.row_id
        )
        INSERT INTO {SONG_DAILY} (song_id, day, {_cols()}, listeners)
        SELECT song_id, day, {_cols()}, listeners FROM merged WHERE row_id IS NULL
        ORDER BY day, song_id
        """
    )


def _add_dimension_daily(cursor: CursorWrapper, table: str, key: str) -> None:
    cursor.execute(
        f"""
        WITH agg AS (
            SELECT {key}, day, {_sums()} FROM analytics_delta WHERE {key} IS NOT NULL
            GROUP BY {key}, day
        ), merged AS MATERIALIZED (
            SELECT agg.*, t.id AS row_id
            FROM agg LEFT JOIN {table} t ON t.{key} = agg.{key} AND t.day = agg.day
        ), updated AS (
            UPDATE {table} t SET {_increments("t", "m")} FROM merged m WHERE t.id = m.row_id
        )
        INSERT INTO {table} ({key}, day, {_cols()})
        SELECT {key}, day, {_cols()} FROM merged WHERE row_id IS NULL ORDER BY day, {key}
        """
    )


def _add_artist_daily(cursor: CursorWrapper) -> None:
    _add_dimension_daily(cursor, ARTIST_DAILY, "artist_id")


def _add_genre_daily(cursor: CursorWrapper) -> None:
    _add_dimension_daily(cursor, GENRE_DAILY, "genre_id")


def _add_listener_days(cursor: CursorWrapper) -> None:
    """Set the bit of every (listener, day with a play) in the chunk.

    Each listener's bit string is widened to cover the new days (late events may come
    before its first day), the new days' bits are OR-ed in.
    """
    cursor.execute(
        f"""
        WITH ud AS (
            SELECT DISTINCT user_id, day FROM analytics_delta
            WHERE user_id IS NOT NULL AND plays > 0
        ), span AS (
            SELECT user_id, min(day) AS dmin, max(day) AS dmax FROM ud GROUP BY user_id
        ), c AS (
            SELECT span.user_id, l.id AS lid, l.first_day, l.days AS bits,
                   least(span.dmin, coalesce(l.first_day, span.dmin)) AS nf,
                   greatest(span.dmax, coalesce(l.first_day + length(l.days) - 1, span.dmax)) AS nl
            FROM span LEFT JOIN {LISTENER_DAYS} l ON l.user_id = span.user_id
        ), mask AS (
            SELECT c.lid, c.user_id, c.nf, c.nl, c.first_day, c.bits,
                   bit_or(set_bit(repeat('0', c.nl - c.nf + 1)::varbit, ud.day - c.nf, 1)) AS new
            FROM c JOIN ud ON ud.user_id = c.user_id
            GROUP BY c.lid, c.user_id, c.nf, c.nl, c.first_day, c.bits
        ), merged AS (
            SELECT lid, user_id, nf,
                   CASE WHEN bits IS NULL THEN new
                        ELSE new | (repeat('0', first_day - nf) || bits::text
                                    || repeat('0', nl - (first_day + length(bits) - 1)))::varbit
                   END AS days
            FROM mask
        ), updated AS (
            UPDATE {LISTENER_DAYS} l SET first_day = merged.nf, days = merged.days
            FROM merged WHERE l.id = merged.lid
        )
        INSERT INTO {LISTENER_DAYS} (user_id, first_day, days)
        SELECT user_id, nf, days FROM merged WHERE lid IS NULL
        """
    )


def _add_user_activity(cursor: CursorWrapper) -> None:
    cursor.execute(
        f"""
        WITH latest AS (
            SELECT user_id, max(last_at) AS last_at FROM analytics_delta
            WHERE user_id IS NOT NULL GROUP BY user_id
        ), merged AS MATERIALIZED (
            SELECT latest.*, a.id AS row_id
            FROM latest LEFT JOIN {USER_ACTIVITY} a ON a.user_id = latest.user_id
        ), updated AS (
            UPDATE {USER_ACTIVITY} a SET last_event_at = greatest(a.last_event_at, m.last_at)
            FROM merged m WHERE a.id = m.row_id
        )
        INSERT INTO {USER_ACTIVITY} (user_id, last_event_at)
        SELECT user_id, last_at FROM merged WHERE row_id IS NULL
        """
    )


def _extend_running_totals(cursor: CursorWrapper, old_through: date, new_through: date) -> None:
    """Carry every entity's totals forward over the days (old_through, new_through]."""
    for table, key in (
        (SONG_RUNNING, "song_id"),
        (ARTIST_RUNNING, "artist_id"),
        (GENRE_RUNNING, "genre_id"),
    ):
        cursor.execute(
            f"""
            INSERT INTO {table} ({key}, day, {_cols()})
            SELECT t.{key}, g.day::date, {_cols("t.")}
            FROM {table} t
            CROSS JOIN generate_series(%s::date + 1, %s::date, interval '1 day') AS g(day)
            WHERE t.day = %s
            ON CONFLICT (day, {key}) DO NOTHING
            """,
            [old_through, new_through, old_through],
        )


def _recompute_running_totals(
    cursor: CursorWrapper, table: str, key: str, daily: str, through: date
) -> None:
    """For every entity in the chunk, rebuild its totals from the earliest day it touched.

    total(day) = total(d0 - 1) + running sum of the daily rollup over d0..day; the rows from
    d0 on are replaced (deleted, then inserted: no conflict handling per row).
    """
    running = ", ".join(
        f"coalesce(b.{c}, 0) + sum(coalesce(d.{c}, 0)) OVER w AS {c}" for c in COUNTERS
    )
    cursor.execute("DROP TABLE IF EXISTS analytics_affected")
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE analytics_affected AS
        SELECT {key} AS k, min(day) AS d0 FROM analytics_delta
        WHERE {key} IS NOT NULL GROUP BY {key}
        """
    )
    cursor.execute(
        f"DELETE FROM {table} t USING analytics_affected a WHERE t.{key} = a.k AND t.day >= a.d0"
    )
    cursor.execute(
        f"""
        WITH grid AS (
            SELECT a.k, a.d0, g.day::date AS day
            FROM analytics_affected a
            CROSS JOIN LATERAL generate_series(a.d0, %s::date, interval '1 day') g(day)
        )
        INSERT INTO {table} ({key}, day, {_cols()})
        SELECT grid.k, grid.day, {running}
        FROM grid
        LEFT JOIN {table} b ON b.{key} = grid.k AND b.day = grid.d0 - 1
        LEFT JOIN {daily} d ON d.{key} = grid.k AND d.day = grid.day
        WINDOW w AS (PARTITION BY grid.k ORDER BY grid.day)
        ORDER BY grid.day, grid.k  -- each day's rows together: reads take one day's slice
        """,
        [through],
    )
    cursor.execute("DROP TABLE analytics_affected")
