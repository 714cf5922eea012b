"""Reads: every figure comes from the rollups plus the not-yet-rolled-up tail.

Each read is ONE SQL statement, so the rollups, the watermark and the tail are seen in one
snapshot (a rollup committing mid-read can neither be missed nor counted twice), and the
number of queries does not depend on the range. Range sums over songs, artists and genres
use the running totals (``total(to) - total(from - 1)``: two rows per entity whatever the
length of the range); daily series read at most 366 daily rows; distinct listeners over a
range scan one bit string per listener.

The tail is every event above the watermark, capped at ``TAIL_MAX_EVENTS`` ids so a
stalled rollup cannot make reads unbounded; ``data_through`` then tells how far the answer
goes (the received time of the newest event included).

Flagged events (implausible, ``services.ingest``) count nowhere but in the staff figures
``flagged_plays``/``flagged_events`` (summary, dashboard): the rollups leave them out, and so
does the tail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from analytics import models as m
from analytics.sql import (
    ARTIST,
    ARTIST_DAILY,
    ARTIST_RUNNING,
    COUNTERS,
    DAILY,
    EVENTS,
    GENRE,
    GENRE_RUNNING,
    LISTENER_DAYS,
    SONG,
    SONG_RUNNING,
    USER_ACTIVITY,
    USER_DAILY,
    USER_SONG_DAILY,
    USERS,
    WATERMARK,
    WATERMARK_NAME,
    queryset_sql,
    read_cursor,
)
from catalog.models import Artist, Song
from catalog.selectors import sees_everything, song_visibility_q
from common.viewer import Viewer

TAIL_MAX_EVENTS = 250_000

# Tail counters per action, as SQL over the ``tail`` CTE (alias t).
_TAIL_COUNTS = ", ".join(
    f"count(*) FILTER (WHERE t.action = '{action}') AS {counter}"
    for action, counter in m.ACTION_COUNTERS.items()
)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _rate(num: str, den: str) -> str:
    return f"CASE WHEN {den} > 0 THEN round({num}::numeric / {den}, 4) END"


def _counts_json(prefix: str = "") -> str:
    return ", ".join(f"'{c}', {prefix}{c}" for c in COUNTERS)


def _rates_json(prefix: str = "") -> str:
    return (
        f"{_counts_json(prefix)}, "
        f"'completion_rate', {_rate(f'{prefix}completes', f'{prefix}plays')}, "
        f"'skip_rate', {_rate(f'{prefix}skips', f'{prefix}plays')}"
    )


def _freshness_ctes() -> str:
    """``tb`` (one row: lo, hi, through, rolled-up and data-through times) and ``tail``."""
    return f"""
    wm AS (
        SELECT coalesce(max(last_event_id), 0) AS lo, max(last_received_at) AS lo_at,
               max(through_day) AS through
        FROM {WATERMARK} WHERE name = %(wm_name)s
    ), tb AS (
        SELECT wm.lo, wm.lo_at, wm.through, coalesce(t.id, wm.lo) AS hi,
               greatest(t.received_at, wm.lo_at) AS data_through
        FROM wm LEFT JOIN LATERAL (
            SELECT id, received_at FROM {EVENTS}
            WHERE id > wm.lo AND id <= wm.lo + %(tail_max)s ORDER BY id DESC LIMIT 1
        ) t ON true
    ), tail AS MATERIALIZED (
        SELECT e.user_id, e.song_id, e.action, e.occurred_at
        FROM tb JOIN {EVENTS} e ON e.id > tb.lo AND e.id <= tb.hi
        WHERE e.occurred_at >= %(tail_from)s AND e.occurred_at < %(tail_to)s AND NOT e.flagged
    ), tail_songs AS MATERIALIZED (
        -- Subqueries: one index lookup per song in the tail, never a hash of the catalog.
        SELECT x.*,
               (SELECT artist_id FROM {SONG} WHERE id = x.song_id) AS artist_id,
               (SELECT genre_id FROM {SONG} WHERE id = x.song_id) AS genre_id
        FROM (
            SELECT t.song_id, (t.occurred_at AT TIME ZONE 'UTC')::date AS day, {_TAIL_COUNTS}
            FROM tail t GROUP BY 1, 2
        ) x
    )"""


def _flagged_days_cte() -> str:
    """``flagged_days``: per day of [from, to] with any, the flagged plays and events (the
    rollups' counts plus the tail's)."""
    return f"""
    flagged_days AS (
        SELECT day, sum(flagged_plays)::bigint AS flagged_plays,
               sum(flagged_events)::bigint AS flagged_events
        FROM (
            SELECT day, flagged_plays, flagged_events FROM {DAILY}
            WHERE day BETWEEN %(from)s AND %(to)s AND flagged_events > 0
            UNION ALL
            SELECT (e.occurred_at AT TIME ZONE 'UTC')::date,
                   count(*) FILTER (WHERE e.action = 'play'), count(*)
            FROM tb JOIN {EVENTS} e ON e.id > tb.lo AND e.id <= tb.hi
            WHERE e.flagged AND e.occurred_at >= %(from_ts)s AND e.occurred_at < %(to_next_ts)s
            GROUP BY 1
        ) x GROUP BY day
    )"""


def _period_ctes(
    name: str, table: str, key: str, start: str, end: str, *, key_filter: str = ""
) -> str:
    """``<name>``: per-key counters over [start, end] (param names) from running totals
    plus the tail. ``key`` is song_id, artist_id or genre_id."""
    diff = ", ".join(f"e.{c} - coalesce(s.{c}, 0) AS {c}" for c in COUNTERS)
    tail_sums = ", ".join(f"sum(t.{c})::bigint AS {c}" for c in COUNTERS)
    return f"""
    {name}_rolled AS (
        SELECT e.{key} AS k, {diff}
        FROM tb
        JOIN {table} e ON e.day = least(%({end})s::date, tb.through)
        LEFT JOIN {table} s ON s.{key} = e.{key} AND s.day = %({start})s::date - 1
        WHERE tb.through >= %({start})s::date {key_filter.replace("{k}", "e." + key)}
    ), {name}_tail AS (
        SELECT t.{key} AS k, {tail_sums}
        FROM tail_songs t
        WHERE t.day BETWEEN %({start})s AND %({end})s
            AND t.{key} IS NOT NULL {key_filter.replace("{k}", "t." + key)}
        GROUP BY 1
    ), {name} AS (
        SELECT k, {", ".join(f"sum({c})::bigint AS {c}" for c in COUNTERS)}
        FROM (SELECT * FROM {name}_rolled UNION ALL SELECT * FROM {name}_tail) x
        GROUP BY k
    )"""


def _top_ctes(
    name: str,
    table: str,
    key: str,
    start: str,
    end: str,
    *,
    rank_filter: str = "",
    keys_filter: str = "",
) -> str:
    """``<name>``: full counters of the ``limit`` keys with the most plays over [start, end].

    The ranking reads only plays, from two day slices of the running totals and the tail;
    only the keys ranked get their other counters, by index lookups. ``rank_filter``
    (with ``{k}`` for the key) restricts the candidates in every scan (for a few keys);
    ``keys_filter`` once, on the ranked rows.
    """
    ranked = f"AND {{k}} IN (SELECT k FROM {name}_keys)"
    return f"""
    {name}_plays AS (
        -- Two day slices joined (OFFSET 0 keeps each a plain scan, hashed once), plus the
        -- tail: one row per key, no aggregation over the slices.
        SELECT coalesce(r.k, t.k) AS k, coalesce(r.plays, 0) + coalesce(t.plays, 0) AS plays
        FROM (
            SELECT e.k, e.plays - coalesce(s.plays, 0) AS plays
            FROM (
                SELECT e.{key} AS k, e.plays FROM tb JOIN {table} e
                    ON e.day = least(%({end})s::date, tb.through)
                WHERE tb.through >= %({start})s::date {rank_filter.replace("{k}", "e." + key)}
                OFFSET 0
            ) e
            LEFT JOIN (
                SELECT s.{key} AS k, s.plays FROM {table} s
                WHERE s.day = %({start})s::date - 1 {rank_filter.replace("{k}", "s." + key)}
                OFFSET 0
            ) s ON s.k = e.k
        ) r
        FULL JOIN (
            SELECT t.{key} AS k, sum(t.plays) AS plays FROM tail_songs t
            WHERE t.day BETWEEN %({start})s AND %({end})s AND t.{key} IS NOT NULL
                {rank_filter.replace("{k}", "t." + key)}
            GROUP BY 1
        ) t ON t.k = r.k
    ), {name}_keys AS MATERIALIZED (
        SELECT k FROM {name}_plays WHERE plays > 0 {keys_filter.replace("{k}", "k")}
        ORDER BY plays DESC, k LIMIT %(limit)s
    ),
    {_period_ctes(name, table, key, start, end, key_filter=ranked)}"""


def _range_params(date_from: date, date_to: date, **extra: Any) -> dict[str, Any]:
    params = {
        "wm_name": WATERMARK_NAME,
        "tail_max": TAIL_MAX_EVENTS,
        "from": date_from,
        "to": date_to,
        "from_ts": _day_start(date_from),
        "to_next_ts": _day_start(date_to + timedelta(days=1)),
        "tail_from": _day_start(date_from),
        "tail_to": _day_start(date_to + timedelta(days=1)),
    }
    params.update(extra)
    return params


def _fetch_one(sql: str, params: dict[str, Any]) -> tuple[Any, ...]:
    """Run one read with server-side parameters, so that psycopg prepares the statement
    after a few runs on a connection: these statements take longer to plan than to run."""
    wrapped = read_cursor()
    with wrapped as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _envelope(
    date_from: date, date_to: date, rolled_at: datetime | None, data_through: datetime | None
) -> dict[str, Any]:
    return {
        "from": date_from,
        "to": date_to,
        "generated_at": timezone.now(),
        "data_through": data_through,
        "rolled_up_through": rolled_at,
    }


def _song_json() -> str:
    return (
        "json_build_object('id', s.id, 'title', s.title, "
        "'artist', json_build_object('id', a.id, 'name', a.name))"
    )


def _hidden_songs_filter(*, viewer: Viewer) -> tuple[str, dict[str, Any]]:
    """``AND {k} NOT IN (songs the viewer may not see)`` and its parameters, from the one
    rule in ``catalog.selectors``; empty for callers who see everything. The hidden songs
    are usually few, so PostgreSQL hashes them once (a small NOT IN)."""
    if sees_everything(viewer):
        return "", {}
    hidden = Song.objects.exclude(song_visibility_q(user=viewer)).order_by().values("pk")
    sql, params = queryset_sql(hidden, name="hidden")
    return f"AND {{k}} NOT IN ({sql})", params


def _daily_series_sql(source: str) -> str:
    """Zero-filled daily series over [from, to] from ``source`` (day + counters, may repeat)."""
    sums = ", ".join(f"coalesce(sum(d.{c}), 0)::bigint AS {c}" for c in COUNTERS)
    return f"""
        SELECT g.day::date AS day, {sums}
        FROM generate_series(%(from)s::date, %(to)s::date, interval '1 day') g(day)
        LEFT JOIN ({source}) d ON d.day = g.day::date
        GROUP BY g.day"""


def _series_json(cte: str) -> str:
    return (
        f"(SELECT coalesce(json_agg(json_build_object('day', day, {_counts_json()}) "
        f"ORDER BY day), '[]'::json) FROM {cte})"
    )


def _totals_json(cte: str) -> str:
    sums = ", ".join(f"coalesce(sum({c}), 0)::bigint AS {c}" for c in COUNTERS)
    return f"(SELECT row_to_json(z) FROM (SELECT {sums} FROM {cte}) z)"


def _flagged_totals_json() -> str:
    return (
        "(SELECT json_build_object("
        "'flagged_plays', coalesce(sum(flagged_plays), 0)::bigint, "
        "'flagged_events', coalesce(sum(flagged_events), 0)::bigint) FROM flagged_days)"
    )


def _ratio(num: int, den: int) -> float | None:
    """Four decimals, rounded half away from zero like PostgreSQL's ``round``."""
    if not den:
        return None
    return float((Decimal(num) / Decimal(den)).quantize(Decimal("0.0001"), ROUND_HALF_UP))


def _with_rates(totals: dict[str, Any]) -> dict[str, Any]:
    totals["completion_rate"] = _ratio(totals["completes"], totals["plays"])
    totals["skip_rate"] = _ratio(totals["skips"], totals["plays"])
    return totals


# --- summary ---------------------------------------------------------------------------------


def analytics_summary(*, date_from: date, date_to: date, limit: int = 10) -> dict[str, Any]:
    """Platform figures for staff over [date_from, date_to] (UTC days, inclusive)."""
    now = timezone.now()
    since = now - timedelta(hours=24)
    params = _range_params(date_from, date_to, since=since, limit=limit)
    params["tail_from"] = min(params["from_ts"], since)
    params["tail_to"] = max(params["to_next_ts"], now + timedelta(hours=2))
    # Listened in [from, to]: a 1 among the bits of the days the range and the string share.
    listened = (
        "ld.first_day <= %(to)s AND ld.first_day + length(ld.days) - 1 >= %(from)s"
        " AND position(B'1' IN substring(ld.days"
        " FROM greatest(%(from)s::date - ld.first_day, 0) + 1"
        " FOR %(to)s::date - greatest(%(from)s::date, ld.first_day) + 1)) > 0"
    )
    sql = f"""
    WITH {_freshness_ctes()},
    {_top_ctes("top", SONG_RUNNING, "song_id", "from", "to")},
    {_flagged_days_cte()},
    totals AS (
        SELECT {", ".join(COUNTERS)} FROM {DAILY} WHERE day BETWEEN %(from)s AND %(to)s
        UNION ALL
        SELECT {_TAIL_COUNTS} FROM tail t
        WHERE t.occurred_at >= %(from_ts)s AND t.occurred_at < %(to_next_ts)s
    ), active AS (
        SELECT (
            SELECT count(*) FROM {USER_ACTIVITY} WHERE last_event_at >= %(since)s
        ) + (
            SELECT count(*) FROM (
                SELECT DISTINCT user_id FROM tail
                WHERE occurred_at >= %(since)s AND user_id IS NOT NULL
            ) tu
            WHERE NOT EXISTS (
                SELECT 1 FROM {USER_ACTIVITY} a
                WHERE a.user_id = tu.user_id AND a.last_event_at >= %(since)s
            )
        ) AS n
    ), listeners AS (
        SELECT (SELECT count(*) FROM {LISTENER_DAYS} ld WHERE {listened}) + (
            SELECT count(*) FROM (
                SELECT DISTINCT t.user_id FROM tail t
                WHERE t.action = 'play' AND t.user_id IS NOT NULL
                  AND t.occurred_at >= %(from_ts)s AND t.occurred_at < %(to_next_ts)s
            ) tu
            WHERE NOT EXISTS (
                SELECT 1 FROM {LISTENER_DAYS} ld WHERE ld.user_id = tu.user_id AND {listened}
            )
        ) AS n
    )
    SELECT tb.lo_at, tb.data_through,
        (SELECT count(*) FROM {USERS}),
        (SELECT n FROM active),
        (SELECT n FROM listeners),
        {_totals_json("totals")},
        {_flagged_totals_json()},
        (SELECT coalesce(json_agg(json_build_object('song', {_song_json()}, {_rates_json("top.")})
                ORDER BY top.plays DESC, top.k), '[]'::json)
         FROM top JOIN {SONG} s ON s.id = top.k JOIN {ARTIST} a ON a.id = s.artist_id)
    FROM tb
    """
    rolled_at, data_through, total_users, active, listeners, totals, flagged, top = _fetch_one(
        sql, params
    )
    return {
        **_envelope(date_from, date_to, rolled_at, data_through),
        "total_users": total_users,
        "active_users_24h": active,
        "events_by_action": {
            action: totals[counter] for action, counter in m.ACTION_COUNTERS.items()
        },
        "plays": totals["plays"],
        "unique_listeners": listeners,
        **flagged,
        "top_songs": top,
    }


# --- trends ----------------------------------------------------------------------------------


def _change_json(prefix: str) -> str:
    return (
        f"'plays', {prefix}plays, 'previous_plays', coalesce(p.plays, 0), "
        f"'change', {prefix}plays - coalesce(p.plays, 0), "
        f"'change_pct', CASE WHEN coalesce(p.plays, 0) > 0 "
        f"THEN round(({prefix}plays - p.plays) * 100.0 / p.plays, 1) END"
    )


def analytics_trends(
    *, viewer: Viewer, date_from: date, date_to: date, limit: int = 10
) -> dict[str, Any]:
    """Top songs, artists and genres over the range, against the previous period of the
    same length; the songs are those ``viewer`` may see (artists and genres count all)."""
    length = (date_to - date_from).days + 1
    prev_from = date_from - timedelta(days=length)
    prev_to = date_from - timedelta(days=1)
    params = _range_params(
        date_from,
        date_to,
        prev_from=prev_from,
        prev_to=prev_to,
        prev_from_ts=_day_start(prev_from),
        prev_to_next_ts=_day_start(date_from),
        limit=limit,
    )
    params["tail_from"] = _day_start(prev_from)
    song_filter, hidden_params = _hidden_songs_filter(viewer=viewer)
    params.update(hidden_params)
    sql = f"""
    WITH {_freshness_ctes()},
    {_top_ctes("top_songs", SONG_RUNNING, "song_id", "from", "to", keys_filter=song_filter)},
    {_top_ctes("top_artists", ARTIST_RUNNING, "artist_id", "from", "to")},
    {_top_ctes("top_genres", GENRE_RUNNING, "genre_id", "from", "to")},
    -- The previous period only for the entities shown.
    {
        _period_ctes(
            "song_prev",
            SONG_RUNNING,
            "song_id",
            "prev_from",
            "prev_to",
            key_filter="AND {k} IN (SELECT k FROM top_songs)",
        )
    },
    {
        _period_ctes(
            "artist_prev",
            ARTIST_RUNNING,
            "artist_id",
            "prev_from",
            "prev_to",
            key_filter="AND {k} IN (SELECT k FROM top_artists)",
        )
    },
    {
        _period_ctes(
            "genre_prev",
            GENRE_RUNNING,
            "genre_id",
            "prev_from",
            "prev_to",
            key_filter="AND {k} IN (SELECT k FROM top_genres)",
        )
    }
    SELECT tb.lo_at, tb.data_through,
        (SELECT coalesce(json_agg(json_build_object(
                'song', {_song_json()}, {_change_json("c.")},
                'completes', c.completes, 'skips', c.skips,
                'completion_rate', {_rate("c.completes", "c.plays")},
                'skip_rate', {_rate("c.skips", "c.plays")}
            ) ORDER BY c.plays DESC, c.k), '[]'::json)
         FROM top_songs c JOIN {SONG} s ON s.id = c.k JOIN {ARTIST} a ON a.id = s.artist_id
         LEFT JOIN song_prev p ON p.k = c.k),
        (SELECT coalesce(json_agg(json_build_object(
                'artist', json_build_object('id', a.id, 'name', a.name), {_change_json("c.")}
            ) ORDER BY c.plays DESC, c.k), '[]'::json)
         FROM top_artists c JOIN {ARTIST} a ON a.id = c.k LEFT JOIN artist_prev p ON p.k = c.k),
        (SELECT coalesce(json_agg(json_build_object(
                'genre', json_build_object('slug', g.slug, 'name', g.name), {_change_json("c.")}
            ) ORDER BY c.plays DESC, c.k), '[]'::json)
         FROM top_genres c JOIN {GENRE} g ON g.id = c.k LEFT JOIN genre_prev p ON p.k = c.k)
    FROM tb
    """
    rolled_at, data_through, songs, artists, genres = _fetch_one(sql, params)
    return {
        **_envelope(date_from, date_to, rolled_at, data_through),
        "previous_from": prev_from,
        "previous_to": prev_to,
        "songs": songs,
        "artists": artists,
        "genres": genres,
    }


# --- one listener ----------------------------------------------------------------------------


def user_engagement(
    *, user_id: int, date_from: date, date_to: date, limit: int = 5
) -> dict[str, Any]:
    """A listener's plays, rates, active days, top artists and genres, daily series."""
    params = _range_params(date_from, date_to, user_id=user_id, limit=limit)
    tail_days = f"""
        SELECT (t.occurred_at AT TIME ZONE 'UTC')::date AS day, {_TAIL_COUNTS}
        FROM tail t WHERE t.user_id = %(user_id)s GROUP BY 1"""
    rolled_days = f"""
        SELECT day, {", ".join(COUNTERS)} FROM {USER_DAILY}
        WHERE user_id = %(user_id)s AND day BETWEEN %(from)s AND %(to)s"""
    sql = f"""
    WITH {_freshness_ctes()},
    daily AS ({_daily_series_sql(f"{rolled_days} UNION ALL {tail_days}")}),
    songs AS (
        SELECT song_id, sum(plays) AS plays FROM (
            SELECT song_id, plays FROM {USER_SONG_DAILY}
            WHERE user_id = %(user_id)s AND day BETWEEN %(from)s AND %(to)s AND plays > 0
            UNION ALL
            SELECT song_id, 1 FROM tail t WHERE t.user_id = %(user_id)s AND t.action = 'play'
        ) x GROUP BY song_id
    ), artists AS (
        SELECT s.artist_id AS k, sum(songs.plays)::bigint AS plays
        FROM songs JOIN {SONG} s ON s.id = songs.song_id
        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %(limit)s
    ), genres AS (
        SELECT s.genre_id AS k, sum(songs.plays)::bigint AS plays
        FROM songs JOIN {SONG} s ON s.id = songs.song_id WHERE s.genre_id IS NOT NULL
        GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %(limit)s
    )
    SELECT tb.lo_at, tb.data_through,
        {_totals_json("daily")},
        (SELECT count(*) FROM daily WHERE {" + ".join(COUNTERS)} > 0),
        (SELECT coalesce(json_agg(json_build_object(
                'artist', json_build_object('id', a.id, 'name', a.name), 'plays', x.plays)
            ORDER BY x.plays DESC, x.k), '[]'::json)
         FROM artists x JOIN {ARTIST} a ON a.id = x.k),
        (SELECT coalesce(json_agg(json_build_object(
                'genre', json_build_object('slug', g.slug, 'name', g.name), 'plays', x.plays)
            ORDER BY x.plays DESC, x.k), '[]'::json)
         FROM genres x JOIN {GENRE} g ON g.id = x.k),
        {_series_json("daily")}
    FROM tb
    """
    rolled_at, data_through, totals, active_days, artists, genres, daily = _fetch_one(sql, params)
    return {
        **_envelope(date_from, date_to, rolled_at, data_through),
        "user": user_id,
        **_with_rates(totals),
        "active_days": active_days,
        "top_artists": artists,
        "top_genres": genres,
        "daily": daily,
    }


# --- one artist ------------------------------------------------------------------------------


def artist_engagement(
    *, artist: Artist, date_from: date, date_to: date, limit: int = 10
) -> dict[str, Any]:
    """The engagement figures of an artist's songs (all of them, hidden ones included)."""
    params = _range_params(date_from, date_to, artist_id=artist.pk, limit=limit)
    tail_days = f"""
        SELECT (t.occurred_at AT TIME ZONE 'UTC')::date AS day, {_TAIL_COUNTS}
        FROM tail t JOIN {SONG} s ON s.id = t.song_id
        WHERE s.artist_id = %(artist_id)s GROUP BY 1"""
    rolled_days = f"""
        SELECT day, {", ".join(COUNTERS)} FROM {ARTIST_DAILY}
        WHERE artist_id = %(artist_id)s AND day BETWEEN %(from)s AND %(to)s"""
    own_songs = f"AND {{k}} IN (SELECT id FROM {SONG} WHERE artist_id = %(artist_id)s)"
    sql = f"""
    WITH {_freshness_ctes()},
    daily AS ({_daily_series_sql(f"{rolled_days} UNION ALL {tail_days}")}),
    {_top_ctes("top", SONG_RUNNING, "song_id", "from", "to", rank_filter=own_songs)}
    SELECT tb.lo_at, tb.data_through,
        {_totals_json("daily")},
        (SELECT coalesce(json_agg(json_build_object('song', {_song_json()}, {_rates_json("top.")})
                ORDER BY top.plays DESC, top.k), '[]'::json)
         FROM top JOIN {SONG} s ON s.id = top.k JOIN {ARTIST} a ON a.id = s.artist_id),
        {_series_json("daily")}
    FROM tb
    """
    rolled_at, data_through, totals, top, daily = _fetch_one(sql, params)
    return {
        **_envelope(date_from, date_to, rolled_at, data_through),
        "artist": {"id": artist.pk, "name": artist.name},
        **_with_rates(totals),
        "top_songs": top,
        "daily": daily,
    }


# --- staff dashboard -------------------------------------------------------------------------


def dashboard_data(*, date_from: date, date_to: date, limit: int = 10) -> dict[str, Any]:
    """What the dashboard draws: daily series (with the flagged plays), actions split, top
    songs and artists, and the flagged volumes."""
    params = _range_params(date_from, date_to, limit=limit)
    rolled_days = f"""
        SELECT day, {", ".join(COUNTERS)} FROM {DAILY} WHERE day BETWEEN %(from)s AND %(to)s"""
    tail_days = f"""
        SELECT (t.occurred_at AT TIME ZONE 'UTC')::date AS day, {_TAIL_COUNTS}
        FROM tail t GROUP BY 1"""
    sql = f"""
    WITH {_freshness_ctes()},
    daily AS ({_daily_series_sql(f"{rolled_days} UNION ALL {tail_days}")}),
    {_flagged_days_cte()},
    {_top_ctes("top", SONG_RUNNING, "song_id", "from", "to")},
    {_top_ctes("top_artists", ARTIST_RUNNING, "artist_id", "from", "to")}
    SELECT tb.lo_at, tb.data_through,
        {_totals_json("daily")},
        {_flagged_totals_json()},
        (SELECT coalesce(json_agg(json_build_object('song', {_song_json()}, {_rates_json("top.")})
                ORDER BY top.plays DESC, top.k), '[]'::json)
         FROM top JOIN {SONG} s ON s.id = top.k JOIN {ARTIST} a ON a.id = s.artist_id),
        (SELECT coalesce(json_agg(json_build_object(
                'artist', json_build_object('id', a.id, 'name', a.name), {_rates_json("x.")})
            ORDER BY x.plays DESC, x.k), '[]'::json)
         FROM top_artists x JOIN {ARTIST} a ON a.id = x.k),
        (SELECT coalesce(json_agg(json_build_object(
                'day', daily.day, {_counts_json("daily.")},
                'flagged_plays', coalesce(f.flagged_plays, 0)) ORDER BY daily.day), '[]'::json)
         FROM daily LEFT JOIN flagged_days f ON f.day = daily.day)
    FROM tb
    """
    rolled_at, data_through, totals, flagged, top_songs, top_artists, daily = _fetch_one(
        sql, params
    )
    return {
        **_envelope(date_from, date_to, rolled_at, data_through),
        "events_by_action": {
            action: totals[counter] for action, counter in m.ACTION_COUNTERS.items()
        },
        **flagged,
        "top_songs": top_songs,
        "top_artists": top_artists,
        "daily": daily,
    }


# --- listener scores (trending, platform charts) ---------------------------------------------


@dataclass(frozen=True)
class SongListenerScore:
    """One song's counted listening over a range (flagged plays excluded).

    ``listeners``: distinct listeners with a play; ``plays``: their plays;
    ``damped_plays``: the sum over listeners of log2(1 + their plays of the song), so a
    listener's first play weighs 1, three plays 2, seven plays 3: repeat plays count, but
    no single account outweighs a handful of real listeners. With a half-life, each play
    is first weighted by 0.5 ** (its age in days at ``until`` / half-life).
    """

    song_id: int
    listeners: int
    plays: int
    damped_plays: float


def song_listener_scores(
    *,
    since: date,
    until: date,
    genre_id: int | None = None,
    viewer: Viewer = None,
    limit: int | None = None,
    half_life_days: float | None = None,
) -> list[SongListenerScore]:
    """Songs by damped plays over [since, until] (UTC days, inclusive), best first (ties:
    more listeners, then song id); only songs ``viewer`` may see (None: anyone, the rule
    for platform charts), of ``genre_id`` when given; at most ``limit`` (None: all);
    plays time-decayed by ``half_life_days`` when given (trending), else all equal (charts).

    Plays of deleted users are not in it (their per-listener rows go with them). One
    statement, like every read here: the rollups (``UserSongDailyStats``) and the tail
    are seen in one snapshot.
    """
    return [
        SongListenerScore(*row)
        for row in _listener_scores(
            since=since,
            until=until,
            genre_id=genre_id,
            viewer=viewer,
            limit=limit,
            half_life_days=half_life_days,
            by_artist=False,
        )
    ]


@dataclass(frozen=True)
class ArtistListenerScore:
    """One artist's counted listening over a range: as ``SongListenerScore``, with a
    listener's plays of all the artist's (visible) songs damped together, so a fan who
    plays ten of an artist's songs once each weighs log2(11), not 10."""

    artist_id: int
    listeners: int
    plays: int
    damped_plays: float


def artist_listener_scores(
    *, since: date, until: date, viewer: Viewer = None, limit: int | None = None
) -> list[ArtistListenerScore]:
    """Artists by damped plays over [since, until], best first (ties: more listeners, then
    artist id); only plays of songs ``viewer`` may see count (None: the platform charts'
    rule). The same statement as ``song_listener_scores``, keyed by the song's artist."""
    return [
        ArtistListenerScore(*row)
        for row in _listener_scores(
            since=since, until=until, viewer=viewer, limit=limit, by_artist=True
        )
    ]


def _listener_scores(
    *,
    since: date,
    until: date,
    genre_id: int | None = None,
    viewer: Viewer,
    limit: int | None,
    half_life_days: float | None = None,
    by_artist: bool,
) -> list[tuple[int, int, int, float]]:
    """(key, listeners, plays, damped plays) rows; the key is the song, or its artist."""
    if half_life_days is not None and not half_life_days > 0:
        raise ValueError("half_life_days must be positive")
    params = _range_params(since, until, genre_id=genre_id, limit=limit, half_life=half_life_days)
    # A day's weight: 1 without a half-life (power(0.5, NULL) is NULL).
    weight = "coalesce(power(0.5, (%(to)s::date - {day}) / %(half_life)s::float), 1.0)"
    song_filter, hidden_params = _hidden_songs_filter(viewer=viewer)
    params.update(hidden_params)
    genre_filter = (
        f"AND p.song_id IN (SELECT id FROM {SONG} WHERE genre_id = %(genre_id)s)"
        if genre_id is not None
        else ""
    )
    if by_artist:
        # Per (listener, artist) before damping; hidden songs are left out before that.
        keyed = f"""
        SELECT p.user_id, s.artist_id AS song_id, sum(p.plays)::bigint AS plays,
               sum(p.weighted) AS weighted
        FROM pairs_by_song p JOIN {SONG} s ON s.id = p.song_id
        WHERE true {song_filter.replace("{k}", "p.song_id")}
        GROUP BY 1, 2"""
        song_filter = ""
    else:
        keyed = "SELECT * FROM pairs_by_song"
    sql = f"""
    WITH {_freshness_ctes()},
    rolled AS (
        SELECT u.user_id, u.song_id, sum(u.plays)::bigint AS plays,
               sum(u.plays * {weight.format(day="u.day")}) AS weighted
        FROM {USER_SONG_DAILY} u
        WHERE u.day BETWEEN %(from)s AND %(to)s AND u.plays > 0
        GROUP BY 1, 2
    ), tail_pairs AS (
        SELECT t.user_id, t.song_id, count(*) AS plays,
               sum({weight.format(day="(t.occurred_at AT TIME ZONE 'UTC')::date")}) AS weighted
        FROM tail t
        WHERE t.action = 'play' AND t.user_id IS NOT NULL
        GROUP BY 1, 2
    ), pairs_by_song AS (
        -- Joined rather than aggregated again: the planner sizes one aggregate well, a
        -- second over a UNION it underestimates (and spills to disk).
        SELECT coalesce(r.user_id, t.user_id) AS user_id,
               coalesce(r.song_id, t.song_id) AS song_id,
               coalesce(r.plays, 0) + coalesce(t.plays, 0) AS plays,
               coalesce(r.weighted, 0) + coalesce(t.weighted, 0) AS weighted
        FROM rolled r FULL JOIN tail_pairs t ON t.user_id = r.user_id AND t.song_id = r.song_id
    ), pairs AS ({keyed}
    ), scores AS (
        SELECT p.song_id AS k, count(*) AS listeners, sum(p.plays)::bigint AS plays,
               round(sum(ln(1 + p.weighted) / ln(2))::numeric, 4) AS damped
        FROM pairs p WHERE true {genre_filter}
        GROUP BY 1
    )
    SELECT k, listeners, plays, damped FROM scores WHERE true {song_filter.replace("{k}", "k")}
    ORDER BY damped DESC, listeners DESC, k LIMIT %(limit)s
    """
    with read_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [(key, listeners, plays, float(damped)) for key, listeners, plays, damped in rows]


# --- raw events (staff) ----------------------------------------------------------------------


def event_list(
    *,
    user_id: int | None = None,
    song_id: int | None = None,
    action: str | None = None,
    flagged: bool | None = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
) -> QuerySet[m.ListeningEvent]:
    """Raw events, newest first, narrowed by the filters given (times inclusive); no joins
    (the list renders ids only)."""
    events = m.ListeningEvent.objects.order_by("-id")
    if user_id is not None:
        events = events.filter(user_id=user_id)
    if song_id is not None:
        events = events.filter(song_id=song_id)
    if action is not None:
        events = events.filter(action=action)
    if flagged is not None:
        events = events.filter(flagged=flagged)
    if occurred_from is not None:
        events = events.filter(occurred_at__gte=occurred_from)
    if occurred_to is not None:
        events = events.filter(occurred_at__lte=occurred_to)
    return events


# --- the listener's own history (issue 12) --------------------------------------------------


def recently_played(*, user: Viewer) -> QuerySet[m.ListeningEvent]:
    """``user``'s counted plays of songs they may still see, with the song, its artist and
    album joined (one query per page); newest first is the paginator's ordering.

    Counted plays only, as everywhere else (flagged ones are implausible repeats); a song
    hidden since is left out by the one visibility rule (``catalog.selectors``).
    """
    assert user is not None and user.is_authenticated, "recently played is a logged-in read"
    return (
        m.ListeningEvent.objects.filter(user_id=user.pk, action=m.Action.PLAY, flagged=False)
        .filter(song_visibility_q(user=user, prefix="song__"))
        .select_related("song__artist", "song__album")
        .only(
            "id",
            "occurred_at",
            "song__id",
            "song__title",
            "song__duration_ms",
            "song__explicit",
            "song__artist__id",
            "song__artist__name",
            "song__album__id",
            "song__album__title",
        )
    )
