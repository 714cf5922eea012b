"""Analytics at volume: load N events with COPY, roll them up, time the reads.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_analytics \\
        .venv/bin/python bench/analytics_load.py 10000000 [--keep] [--repeat 30]

1. Creates a fresh database ``<name>_bench`` next to DATABASE_URL's (dropped first, and
   again at the end unless ``--keep``) and migrates it.
2. Synthesises a catalog (N/1000 songs by N/10000 artists in 20 genres, N/200 listeners)
   and N listening events over the last 365 days: sessions of ~12 tracks by listeners
   drawn with skewed (Zipf-like) activity, on days with a slow growth over the year and
   at hours from a daily rhythm; songs drawn with Zipf popularity, a third of them from
   the listener's favourites; each play followed by a completion or a skip and sometimes
   a like or a share, with a context and a client event_id. Events are written in time
   order with COPY; the event indexes are built after the load, as a restore would.
3. Runs the rollups (``analytics.services.rollup_run``: the task's code) and VACUUM ANALYZE.
4. Adds a tail of recent events that are not rolled up, as between two Beat runs.
5. Times summary, trends and user engagement (random active listeners) over 30 and 365
   days through Django's test client (whole request: auth, view, SQL, JSON): median, p95;
   then ``song_listener_scores`` (the selector trending and platform charts read) over 1, 7
   and 30 days.

Targets (issue 5), at N = 10,000,000: each read under 50 ms median; load + rollups under
10 minutes on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DAY_SECONDS = 86_400
HOURLY = [2, 1, 1, 1, 1, 2, 4, 7, 8, 6, 5, 5, 6, 6, 5, 5, 6, 8, 10, 12, 12, 10, 7, 4]
CONTEXTS = [
    '{"source":"playlist","device":"ios"}',
    '{"source":"album","device":"android"}',
    '{"source":"recommendation","device":"ios"}',
    '{"source":"search","device":"web"}',
    '{"source":"chart","device":"android"}',
    '{"source":"library","device":"desktop"}',
]
ACTIONS = ["play", "complete", "skip", "like", "share"]
CHUNK_ROWS = 500_000
SESSION_TRACKS = 12


def _bench_database_url() -> tuple[str, str, str]:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/music_platform")
    parts = urlsplit(base)
    name = parts.path.lstrip("/") + "_bench"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    return urlunsplit(parts._replace(path="/" + name)), admin_url, name


def _recreate_database(admin_url: str, name: str, *, drop_only: bool = False) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_platform.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    os.environ["DEBUG"] = "0"  # no query log
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    import django

    django.setup()
    # Import every view now: a long run must not mix code versions if files change.
    import music_platform.urls  # noqa: F401


def _say(message: str, started: float | None = None) -> None:
    suffix = f" ({time.perf_counter() - started:.1f} s)" if started is not None else ""
    print(f"{message}{suffix}", flush=True)


def _zipf_weights(n: int, exponent: float, rng) -> object:
    import numpy as np

    weights = 1.0 / np.power(np.arange(1, n + 1) + 2.0, exponent)
    rng.shuffle(weights)  # popularity unrelated to id order
    return weights / weights.sum()


def build_catalog(n_events: int, rng) -> dict:
    """Genres, artists, albums, songs and listeners, with bulk inserts."""
    from django.contrib.auth import get_user_model

    from catalog.models import Album, Artist, Genre, Song

    n_songs = max(500, n_events // 1000)
    n_artists = max(50, n_songs // 10)
    n_users = max(1000, n_events // 200)
    genres = Genre.objects.bulk_create(
        [Genre(slug=f"genre-{i}", name=f"Genre {i}") for i in range(20)]
    )
    artists = Artist.objects.bulk_create(
        [Artist(name=f"Artist {i}", slug=f"artist-{i}") for i in range(n_artists)],
        batch_size=5000,
    )
    albums = Album.objects.bulk_create(
        [
            Album(title=f"Album {i}", artist=artist, year=2000 + i % 25, genre=genres[i % 20])
            for i, artist in enumerate(artists)
        ],
        batch_size=5000,
    )
    durations = rng.integers(120_000, 360_000, size=n_songs)
    songs = Song.objects.bulk_create(
        [
            Song(
                title=f"Song {i}",
                artist_id=albums[i % n_artists].artist_id,
                album=albums[i % n_artists],
                genre=genres[(i % n_artists) % 20],
                duration_ms=int(durations[i]),
                popularity=int(i % 101),
            )
            for i in range(n_songs)
        ],
        batch_size=5000,
    )
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [
            user_model(username=f"listener{i}", email=f"listener{i}@example.com", password="!")
            for i in range(n_users)
        ],
        batch_size=5000,
    )
    return {
        "song_ids": [s.id for s in songs],
        "durations": durations,
        "user_ids": [u.id for u in users],
        "artists": n_artists,
    }


def synthesize_events(n_events: int, catalog: dict, rng, now_s: float) -> dict:
    """Columns of N events in time order (numpy arrays)."""
    import numpy as np

    song_ids = np.asarray(catalog["song_ids"])
    user_ids = np.asarray(catalog["user_ids"])
    durations = np.asarray(catalog["durations"])
    # Events per play: 1 + complete (.65) or skip (.35) + like (.06) + share (.015).
    target_plays = max(1, int(n_events / 2.075))
    # Listening sessions of ~12 tracks: a listener, a day (a slow growth over the year:
    # more listening recently) and an hour (the daily rhythm).
    sessions = max(1, target_plays // SESSION_TRACKS)
    lengths = rng.geometric(1 / SESSION_TRACKS, size=sessions)
    user_p = _zipf_weights(len(user_ids), 0.6, rng)
    song_p = _zipf_weights(len(song_ids), 1.0, rng)
    session_user = rng.choice(len(user_ids), size=sessions, p=user_p)
    day_age = (365 * (1 - np.sqrt(rng.random(sessions)))).astype(np.int64)
    hour = rng.choice(24, size=sessions, p=np.asarray(HOURLY) / sum(HOURLY))
    session_start = np.floor((now_s - day_age * DAY_SECONDS) / DAY_SECONDS) * DAY_SECONDS
    session_start += hour * 3600 + rng.random(sessions) * 3600

    play_session = np.repeat(np.arange(sessions), lengths)
    plays = len(play_session)
    track_in_session = np.arange(plays) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    start = np.minimum(session_start[play_session] + track_in_session * 210.0, now_s - 600)
    user_index = session_user[play_session]
    # A third of the plays come from the listener's own favourites (15 songs each).
    favourites = rng.choice(len(song_ids), size=(len(user_ids), 15), p=song_p)
    from_favourites = rng.random(plays) < 0.35
    song_index = np.where(
        from_favourites,
        favourites[user_index, rng.integers(0, 15, size=plays)],
        rng.choice(len(song_ids), size=plays, p=song_p),
    )
    duration = durations[song_index]

    completed = rng.random(plays) < 0.65
    listened = np.where(completed, duration, (rng.random(plays) * 0.5 * duration).astype(int))
    liked = rng.random(plays) < 0.06
    shared = rng.random(plays) < 0.015

    parts = [
        (np.ones(plays, bool), 0, np.zeros(plays, np.int64), 0),
        (completed, 1, listened, 1),
        (~completed, 2, listened, 1),
        (liked, 3, listened, 2),
        (shared, 4, listened, 3),
    ]
    columns = {"user": [], "song": [], "action": [], "at": [], "position": []}
    for mask, action, position, extra in parts:
        count = int(mask.sum())
        columns["user"].append(user_ids[user_index[mask]])
        columns["song"].append(song_ids[song_index[mask]])
        columns["action"].append(np.full(count, action, np.int8))
        offset = np.asarray(position)[mask] / 1000.0 if np.ndim(position) else 0.0
        columns["at"].append(start[mask] + offset + extra)
        columns["position"].append(np.asarray(position)[mask])
    merged = {k: np.concatenate(v) for k, v in columns.items()}
    merged["at"] = np.minimum(merged["at"], now_s - 1)
    order = np.argsort(merged["at"], kind="stable")
    result = {k: v[order] for k, v in merged.items()}
    result["context"] = rng.integers(0, len(CONTEXTS), size=len(order))
    return result


def _format_chunk(cols: dict, lo: int, hi: int, serial_base: int, tail: bool = False) -> str:
    import numpy as np

    at = cols["at"][lo:hi]
    occurred = np.datetime_as_string((at * 1e6).astype("datetime64[us]"), unit="us")
    received = np.datetime_as_string(((at + 2) * 1e6).astype("datetime64[us]"), unit="us")
    users = cols["user"][lo:hi].tolist()
    songs = cols["song"][lo:hi].tolist()
    actions = cols["action"][lo:hi].tolist()
    positions = cols["position"][lo:hi].tolist()
    contexts = cols["context"][lo:hi].tolist()
    prefix = "t" if tail else "b"
    lines = [
        f"{u}\t{s}\t{ACTIONS[a]}\t{o}+00\t{r}+00\t{p}\t{CONTEXTS[c]}\t{prefix}{serial_base + i:x}\n"
        for i, (u, s, a, o, r, p, c) in enumerate(
            zip(users, songs, actions, occurred, received, positions, contexts, strict=True)
        )
    ]
    return "".join(lines)


def copy_events(cols: dict, *, tail: bool = False) -> int:
    from django.db import connection

    from analytics.services import COPY_COLUMNS, EVENTS

    total = len(cols["at"])
    sql = f"COPY {EVENTS} ({', '.join(COPY_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor:
        # Trusted synthetic rows: skip the per-row foreign-key triggers during the load.
        cursor.execute("SET LOCAL session_replication_role = replica")
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for lo in range(0, total, CHUNK_ROWS):
            copy.write(_format_chunk(cols, lo, min(total, lo + CHUNK_ROWS), lo, tail))
    return total


def drop_event_indexes():
    """Drop the secondary indexes of the events table; return a function that rebuilds
    them (faster than maintaining them row by row during a bulk load)."""
    from django.db import connection

    from analytics.models import ListeningEvent

    meta = ListeningEvent._meta
    with connection.schema_editor() as editor:
        for index in meta.indexes:
            editor.remove_index(ListeningEvent, index)
        for constraint in meta.constraints:
            editor.remove_constraint(ListeningEvent, constraint)

    def rebuild():
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
        with connection.schema_editor() as editor:
            for index in meta.indexes:
                editor.add_index(ListeningEvent, index)
            for constraint in meta.constraints:
                editor.add_constraint(ListeningEvent, constraint)

    return rebuild


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))]


def time_reads(repeat: int, user_ids: list[int], rng) -> list[tuple[str, list[float]]]:
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    from users.models import Role, User

    staff = User.objects.create(username="bench-staff", email="staff@example.com", role=Role.ADMIN)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(staff)
    listener = Client(HTTP_HOST="127.0.0.1")
    listener.force_login(User.objects.get(pk=user_ids[0]))
    today = timezone.now().date()
    results = []
    for days in (30, 365):
        params = {"from": (today - timedelta(days=days - 1)).isoformat(), "to": today.isoformat()}
        for name, caller, make_url in (
            ("summary", client, lambda: "/api/v1/analytics/summary/"),
            ("trends (staff)", client, lambda: "/api/v1/analytics/trends/"),
            ("trends (listener)", listener, lambda: "/api/v1/analytics/trends/"),
            ("user engagement", client, lambda: f"/api/v1/analytics/users/{rng.choice(user_ids)}/"),
        ):
            samples = []
            for i in range(repeat + 2):
                started = time.perf_counter()
                response = caller.get(make_url(), params)
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, response.content[:500]
                if i >= 2:  # the first two warm the connection and caches
                    samples.append(elapsed * 1000)
            results.append((f"{name} ({days} days)", samples))
    results.extend(time_listener_scores(repeat, today))
    return results


def time_listener_scores(repeat: int, today) -> list[tuple[str, list[float]]]:
    """``song_listener_scores`` as trending (1, 7, 30 days, per genre) and platform charts
    (1 day, every song) call it: the selector alone, no HTTP."""
    from datetime import timedelta

    from analytics.selectors import song_listener_scores
    from catalog.models import Genre

    genre_id = Genre.objects.order_by("pk").values_list("pk", flat=True).first()
    results = []
    for label, days, kwargs in (
        ("listener scores, chart (all songs)", 1, {}),
        ("listener scores, top 100", 7, {"limit": 100}),
        ("listener scores, top 100", 30, {"limit": 100}),
        ("listener scores, genre top 100", 30, {"limit": 100, "genre_id": genre_id}),
    ):
        samples = []
        for i in range(repeat + 2):
            started = time.perf_counter()
            song_listener_scores(since=today - timedelta(days=days - 1), until=today, **kwargs)
            if i >= 2:
                samples.append((time.perf_counter() - started) * 1000)
        results.append((f"{label} ({days} days)", samples))
    return results


def _print_reads(repeat: int, user_ids: list[int]) -> None:
    import numpy as np

    print(f"\nreads (n={repeat} each, after 2 warm-up requests; target median < 50 ms)")
    for label, samples in time_reads(repeat, user_ids, np.random.default_rng(1)):
        print(
            f"  {label:<46} median {statistics.median(samples):7.1f} ms"
            f"   p95 {percentile(samples, 0.95):7.1f} ms",
            flush=True,
        )


def connections_close() -> None:
    from django.db import connections

    connections.close_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("events", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per read")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--reads-only",
        action="store_true",
        help="only time the reads, on the database a previous --keep run left",
    )
    args = parser.parse_args()

    url, admin_url, name = _bench_database_url()
    if not args.reads_only:
        _recreate_database(admin_url, name)
    _setup_django(url)

    import numpy as np
    from django.core.management import call_command
    from django.db import connection, transaction

    from analytics import services

    rng = np.random.default_rng(args.seed)
    if args.reads_only:
        from analytics.models import ListeningEvent
        from users.models import User

        User.objects.filter(username="bench-staff").delete()
        users = list(ListeningEvent.objects.order_by("?").values_list("user_id", flat=True)[:200])
        print(f"database {name}: reads only, listeners drawn from the stored events")
        _print_reads(args.repeat, [u for u in users if u])
        connections_close()
        return
    print(f"database {name}; N = {args.events:,} events", flush=True)
    try:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        _say("migrated", started)

        total_started = time.perf_counter()
        step = time.perf_counter()
        catalog = build_catalog(args.events, rng)
        _say(
            f"catalog: {len(catalog['song_ids']):,} songs, {catalog['artists']:,} artists, "
            f"{len(catalog['user_ids']):,} listeners",
            step,
        )
        step = time.perf_counter()
        now_s = time.time()
        cols = synthesize_events(args.events, catalog, rng, now_s)
        _say(f"synthesised {len(cols['at']):,} events", step)

        step = time.perf_counter()
        rebuild_indexes = drop_event_indexes()
        with transaction.atomic():
            loaded = copy_events(cols)
        _say(f"COPY of {loaded:,} events", step)
        step = time.perf_counter()
        rebuild_indexes()
        _say("event indexes built (BRIN time, user+time, song+time, unique event_id)", step)
        load_seconds = time.perf_counter() - total_started

        step = time.perf_counter()
        result = services.rollup_run(chunk_ids=loaded + 1)
        rollup_seconds = time.perf_counter() - step
        _say(f"rollups: {result.events:,} events, through {result.through_day}", step)
        total_seconds = time.perf_counter() - total_started
        print(
            f"load {load_seconds:.1f} s + rollups {rollup_seconds:.1f} s = "
            f"{total_seconds:.1f} s ({total_seconds / 60:.1f} min; target < 10 min)",
            flush=True,
        )
        step = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        _say("VACUUM ANALYZE", step)

        tail_n = 2_000
        tail_cols = synthesize_events(tail_n, catalog, rng, time.time())
        tail_cols["at"] = time.time() - rng.random(len(tail_cols["at"])) * 60
        tail_cols["at"].sort()
        with transaction.atomic():
            copy_events(tail_cols, tail=True)
        print(f"tail: {len(tail_cols['at']):,} events received in the last minute, not rolled up")

        with connection.cursor() as cursor:
            for table in ("analytics_listeningevent", "analytics_usersongdailystats",
                          "analytics_songrunningtotals", "analytics_songdailystats"):  # fmt: skip
                cursor.execute(f"SELECT pg_size_pretty(pg_total_relation_size('{table}'))")
                size = cursor.fetchone()[0]
                cursor.execute(f"SELECT reltuples::bigint FROM pg_class WHERE relname = '{table}'")
                print(f"  {table:<32} ~{cursor.fetchone()[0]:>12,} rows  {size}")

        # Listeners weighted by activity, as callers of their own figures are.
        _print_reads(args.repeat, [int(u) for u in rng.choice(cols["user"], size=200)])
    finally:
        connections_close()
        if not args.keep:
            _recreate_database(admin_url, name, drop_only=True)
            print(f"dropped {name}")


if __name__ == "__main__":
    main()
