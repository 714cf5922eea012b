"""Platform charts at volume: N listening events, then the daily job and a month's backfill.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_charts \\
        .venv/bin/python bench/platform_charts.py 1000000 [--keep]

Loads the same synthetic catalog and year of events as ``bench/analytics_load.py`` (its
functions, in a fresh ``<name>_bench`` database), rolls them up, then times:

- baseline: the rankings alone (``song_listener_scores`` + ``artist_listener_scores`` over
  one day, as the daily charts call them, and over seven days for the weekly ones);
- the daily Beat job for one day (four charts when the day is a Sunday, else two), written
  through the charts ingest (tracks, trends, COPY of the entries) and, run again, replacing
  the day;
- a 30-day backfill (``compute_platform_charts --from --to``: one ingest per chart).

The figures are printed; nothing is asserted (performance is not a unit test).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("analytics_load", HERE / "analytics_load.py")
assert _spec and _spec.loader
load = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(load)


def timed(function, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("events", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()

    url, admin_url, name = load._bench_database_url()
    load._recreate_database(admin_url, name)
    load._setup_django(url)

    import numpy as np
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from analytics import services
    from analytics.selectors import artist_listener_scores, song_listener_scores
    from charts.models import ChartEntry
    from music_platform.platform_charts import compute_platform_charts

    rng = np.random.default_rng(args.seed)
    print(f"database {name}; N = {args.events:,} events", flush=True)
    try:
        call_command("migrate", verbosity=0)
        step = time.perf_counter()
        catalog = load.build_catalog(args.events, rng)
        cols = load.synthesize_events(args.events, catalog, rng, time.time())
        rebuild = load.drop_event_indexes()
        with transaction.atomic():
            loaded = load.copy_events(cols)
        rebuild()
        services.rollup_run(chunk_ids=loaded + 1)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        load._say(
            f"{loaded:,} events over a year, {len(catalog['song_ids']):,} songs, "
            f"{len(catalog['user_ids']):,} listeners, rolled up",
            step,
        )

        yesterday = timezone.now().date() - timedelta(days=1)
        sunday = yesterday - timedelta(days=(yesterday.weekday() + 1) % 7)
        print(f"\nbaseline: the rankings alone (n={args.repeat}, median)")
        for label, days in (("daily (1 day)", 1), ("weekly (7 days)", 7)):
            since = yesterday - timedelta(days=days - 1)
            samples = timed(
                lambda since=since: (
                    song_listener_scores(since=since, until=yesterday, limit=200),
                    artist_listener_scores(since=since, until=yesterday, limit=200),
                ),
                args.repeat,
            )
            print(f"  songs + artists, {label:<18} {statistics.median(samples):8.1f} ms")

        print("\nthe job, through the charts ingest")
        for label, day in (("a weekday (2 charts)", yesterday), ("a Sunday (4 charts)", sunday)):
            if label.startswith("a weekday") and yesterday.weekday() == 6:
                day = yesterday - timedelta(days=1)
            first = timed(lambda day=day: compute_platform_charts(days=[day]), 1)[0]
            again = timed(lambda day=day: compute_platform_charts(days=[day]), args.repeat)
            print(
                f"  {label:<22} first {first:8.1f} ms, recomputed (replaced) median "
                f"{statistics.median(again):8.1f} ms"
            )
        days = [yesterday - timedelta(days=n) for n in range(30)]
        step = time.perf_counter()
        results = compute_platform_charts(days=days)
        seconds = time.perf_counter() - step
        written = sum(r.entries_written for r in results)
        print(
            f"  30-day backfill: {sum(r.snapshots_written for r in results)} snapshots, "
            f"{written:,} entries in {seconds:.1f} s; "
            f"{ChartEntry.objects.count():,} platform entries stored"
        )
    finally:
        load.connections_close()
        if not args.keep:
            load._recreate_database(admin_url, name, drop_only=True)


if __name__ == "__main__":
    main()
