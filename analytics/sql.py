"""What the analytics writes (``services``) and reads (``selectors``) share at the SQL level:
table names, the counter columns, the watermark's name, the cursor that binds parameters on
the server, and a way to embed a Django queryset in a statement with named parameters.

Both layers write raw SQL for speed (see their module docstrings); the names come from the
models' ``db_table`` so a renamed table cannot silently split the two.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.backends.utils import CursorWrapper
from django.db.models import QuerySet

from analytics import models as m
from catalog.models import Album, Artist, Genre, Song

# The one watermark row the rollups advance (other apps read it: recommendations does).
WATERMARK_NAME = "events"
# Executions of the same statement on a connection before psycopg prepares it.
PREPARE_AFTER = 2

# Counter columns of every rollup: plays, completes, skips, likes, shares.
COUNTERS: tuple[str, ...] = m.COUNTER_FIELDS

EVENTS = m.ListeningEvent._meta.db_table
DAILY = m.DailyStats._meta.db_table
SONG_DAILY = m.SongDailyStats._meta.db_table
ARTIST_DAILY = m.ArtistDailyStats._meta.db_table
GENRE_DAILY = m.GenreDailyStats._meta.db_table
USER_DAILY = m.UserDailyStats._meta.db_table
USER_SONG_DAILY = m.UserSongDailyStats._meta.db_table
USER_ACTIVITY = m.UserActivity._meta.db_table
SONG_RUNNING = m.SongRunningTotals._meta.db_table
ARTIST_RUNNING = m.ArtistRunningTotals._meta.db_table
GENRE_RUNNING = m.GenreRunningTotals._meta.db_table
LISTENER_DAYS = m.ListenerDays._meta.db_table
WATERMARK = m.RollupWatermark._meta.db_table

SONG = Song._meta.db_table
ALBUM = Album._meta.db_table
ARTIST = Artist._meta.db_table
GENRE = Genre._meta.db_table
USERS = get_user_model()._meta.db_table


def server_side_cursor(using: str = DEFAULT_DB_ALIAS) -> CursorWrapper:
    """A cursor that sends parameters separately (server-side binding) instead of quoting
    them into the SQL text: much cheaper for big arrays, and lets psycopg prepare repeated
    statements. Wrapped like Django's own cursors, so query logging and counting see it.
    Writes use the primary (the default); reads ask ``read_cursor``."""
    connection = connections[using]
    connection.ensure_connection()
    raw_connection = connection.connection
    assert raw_connection is not None  # ensure_connection() opened it
    if raw_connection.prepare_threshold is None:
        # Django turns automatic preparation off; only these cursors can use it (Django's
        # own client-side-binding cursors never prepare), so it stays scoped to them.
        raw_connection.prepare_threshold = PREPARE_AFTER
    # django-stubs declares these wrappers' argument as a CursorWrapper; it is the raw cursor.
    raw: Any = psycopg.Cursor(raw_connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


def read_cursor() -> CursorWrapper:
    """A server-side-binding cursor on the database analytics reads go to: the database
    routers decide, as for the ORM (a replica when ``DATABASE_REPLICA_URL`` is set, the
    primary after a write in the same request, in a task or in a transaction)."""
    return server_side_cursor(router.db_for_read(m.ListeningEvent) or DEFAULT_DB_ALIAS)


_PLACEHOLDER = re.compile(r"%s")


def queryset_sql(queryset: QuerySet[Any], *, name: str) -> tuple[str, dict[str, Any]]:
    """``queryset`` as SQL with named parameters (``%(<name>_0)s``, ...) and their values,
    to embed in a statement that uses named parameters (Django compiles to ``%s``)."""
    sql, params = queryset.query.sql_with_params()
    if "%%" in sql:
        # A literal percent sign would need care we do not take here; the querysets
        # embedded (visibility rules) never compile to one.
        raise ValueError("queryset_sql cannot embed SQL containing a literal '%'")
    if len(_PLACEHOLDER.findall(sql)) != len(params):
        raise ValueError("queryset_sql: placeholders and parameters do not match")
    names = iter(f"{name}_{index}" for index in range(len(params)))
    named = _PLACEHOLDER.sub(lambda _match: f"%({next(names)})s", sql)
    return named, {f"{name}_{index}": value for index, value in enumerate(params)}
