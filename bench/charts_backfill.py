#!/usr/bin/env python
"""Benchmark: backfill a year of the US daily Spotify chart into a fresh database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/music_platform \\
        .venv/bin/python bench/charts_backfill.py [--keep] [--csv PATH]

The CSV is the real US daily chart of 2017 under settings.MUSIC_DATA_DIR (the MUSIC_DATA_DIR
environment variable; default ../shared/data), unless --csv names another file.
Creates a throw-away database (bench_<name>), migrates it, then times:
1. the whole import of spotify_charts/us_daily_2017/ (74,200 rows, 371 dates):
   parsing, track identities and catalog matching, trend fields, and the writes;
2. backfilling one earlier date (2017-06-01, first deleted): the ~220 later snapshots'
   trend fields are recomputed;
3. a daily pull's worth of work: re-ingesting the latest date with changed content.
Prints rows/s and seconds for each, then drops the database (unless --keep).
"""

import argparse
import dataclasses
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Relative to settings.MUSIC_DATA_DIR.
DEFAULT_CSV = Path("spotify_charts/us_daily_2017/us_daily_top200_2017-01-01_to_2018-01-09.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--csv", type=Path, help=f"Chart CSV (default: MUSIC_DATA_DIR/{DEFAULT_CSV})."
    )
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark database.")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_platform.settings")
    os.environ.setdefault("DEBUG", "1")  # the development SECRET_KEY; query logging is off below
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False

    csv_path = args.csv or Path(settings.MUSIC_DATA_DIR) / DEFAULT_CSV
    if not csv_path.is_file():
        sys.exit(
            f"charts_backfill: the benchmark data is missing: {csv_path} not found.\n"
            "Point MUSIC_DATA_DIR at the real datasets (see shared/data/README.md) "
            "or pass --csv PATH."
        )

    from _database import bench_database  # bench/ is this script's folder

    with bench_database(keep=args.keep):
        run(csv_path)


def run(csv_path: Path) -> None:
    from charts import services
    from charts.models import ChartEntry, ChartSnapshot, IngestionRun
    from charts.parsers import SOURCE_SPOTIFY_CSV, parse_feed

    raw = csv_path.read_bytes()
    started = time.perf_counter()
    feed = parse_feed(SOURCE_SPOTIFY_CSV, raw, filename=csv_path.name, skip_incomplete=True)
    feeds = feed.split_by_date()
    parsed = time.perf_counter()
    chart = services.chart_create(
        slug="us-daily", name="Spotify US Daily", source=SOURCE_SPOTIFY_CSV, country="us"
    )
    run = services.chart_import(chart=chart, feeds=feeds)
    finished = time.perf_counter()
    assert run.status == IngestionRun.Status.SUCCEEDED, run.error

    rows = len(feed.entries) + feed.skipped
    total = finished - started
    print(f"file: {csv_path.name}: {rows:,} rows, {len(feeds)} dates, {feed.skipped} rows skipped")
    print(
        f"full import: {run.entries_written:,} entries in {total:.2f} s "
        f"({rows / total:,.0f} rows/s; parse {parsed - started:.2f} s, "
        f"ingest {finished - parsed:.2f} s), {run.tracks_created:,} tracks"
    )
    assert ChartEntry.objects.filter(snapshot__chart=chart).count() == run.entries_written

    day = date(2017, 6, 1)
    services.chart_snapshot_delete(snapshot=ChartSnapshot.objects.get(chart=chart, date=day))
    started = time.perf_counter()
    backfill = services.chart_import(chart=chart, feeds={day: feeds[day]})
    seconds = time.perf_counter() - started
    print(
        f"backfill {day}: {backfill.entries_written} entries written, "
        f"{backfill.entries_updated:,} later entries updated in {seconds:.2f} s"
    )

    latest = max(feeds)
    changed = dataclasses.replace(
        feeds[latest],
        entries=[
            dataclasses.replace(e, streams=(e.streams or 0) + 1) for e in feeds[latest].entries
        ],
    )
    started = time.perf_counter()
    services.chart_import(chart=chart, feeds={latest: changed})
    print(f"daily pull ({latest}, replaced): {time.perf_counter() - started:.3f} s")
    print(f"RESULT rows/s={rows / total:,.0f} seconds={total:.2f}")


if __name__ == "__main__":
    main()
