#!/usr/bin/env python
"""Benchmark: how many real chart entries link to the real track import, and how fast.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/music_platform \\
        .venv/bin/python bench/chart_linking.py [--keep] [--skip-us-daily]

Creates a throw-away database (bench_<name>), migrates it, imports the Spotify tracks of
settings.MUSIC_DATA_DIR (spotify_tracks_audio_features/, 4,831 rows) with `import_tracks`,
then each real chart series with `import_chart_csv` (which links entries as it ingests them):
the global daily chart of January 2017, the US weekly charts 2019-2021, the global monthly
samples, the new-format US day and (unless --skip-us-daily) the US daily chart of 2017,
which has no track ids (titles and artists only). Prints, per chart, the tracks and entries
linked, by method (Spotify id, ISRC, name), and the seconds the import took; then drops the
database (unless --keep).

Figures of 2026-11-26 (2 shared cores, load average 5-6 from other work), the same before and
after accent-folded name candidates (charts migration 0003):

    catalog: 4,495 songs
    global-daily-2017-01: 49 of 305 (16.1%) tracks, 1240 of 6200 (20.0%) entries
    us-weekly-2019-2021: 208 of 2741 (7.6%) tracks, 4137 of 22800 (18.1%) entries
    global-monthly-samples: 155 of 891 (17.4%) tracks, 538 of 2200 (24.5%) entries
    us-daily-new-format: 64 of 200 (32.0%) tracks, 64 of 200 (32.0%) entries
    us-daily-2017: 106 of 1657 (6.4%) tracks, 10010 of 74184 (13.5%) entries
    all charts: 582 of 5794 (10.0%) tracks, 15989 of 105584 (15.1%) entries

These files spell accented names alike (the catalog's "Señorita" is "Señorita" on the charts),
and of the 4,581 tracks left unmatched none has a catalog song with the same normalised title
and primary artist: the catalog (a 2024 pull) simply lacks most 2017-2021 chart tracks. Of the
rest, 2 differ in credit order only ("Best Part (feat. Daniel Caesar)" by H.E.R. vs "Best Part
(feat. H.E.R.)" by Daniel Caesar) and about 37 are other recordings by the same artist
(remixes, "Remastered", "Single Version"), rightly not linked.
"""

import argparse
import os
import sys
import time
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHARTS = [
    # slug, folder, file or glob under MUSIC_DATA_DIR/spotify_charts, import options
    ("global-daily-2017-01", "global_daily_2017-01_clay-ol", {}),
    ("us-weekly-2019-2021", "us_weekly_2019-2021_cs480x", {"country": "us"}),
    # Its "latest" file has no date: left out.
    ("global-monthly-samples", "groovydata_global_daily_monthly_samples/*-20*.csv", {}),
    ("us-daily-new-format", "new_format_samples", {"country": "us"}),
    (
        "us-daily-2017",
        "us_daily_2017/us_daily_top200_2017-01-01_to_2018-01-09.csv",
        {"country": "us", "skip_incomplete_rows": True},
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark database.")
    parser.add_argument(
        "--skip-us-daily", action="store_true", help="Leave out the US daily chart of 2017."
    )
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_platform.settings")
    os.environ.setdefault("DEBUG", "1")
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False

    data = Path(settings.MUSIC_DATA_DIR)
    if not (data / "spotify_charts").is_dir():
        sys.exit(f"chart_linking: no real datasets at {data} (MUSIC_DATA_DIR).")

    from _database import bench_database  # bench/ is this script's folder

    with bench_database(keep=args.keep):
        run(data, skip_us_daily=args.skip_us_daily)


def run(data: Path, *, skip_us_daily: bool) -> None:
    from django.core.management import call_command
    from django.db.models import Count

    from catalog.models import Song
    from charts import selectors
    from charts.models import Chart, ChartEntry

    tracks = sorted((data / "spotify_tracks_audio_features").glob("*.csv"))
    started = time.perf_counter()
    call_command("import_tracks", *map(str, tracks), stdout=StringIO())
    print(f"catalog: {Song.objects.count():,} songs in {time.perf_counter() - started:.1f} s")

    totals = {"tracks": 0, "tracks_linked": 0, "entries": 0, "entries_linked": 0}
    for slug, relative, options in CHARTS:
        if skip_us_daily and slug == "us-daily-2017":
            continue
        path = data / "spotify_charts" / relative
        if path.is_dir():
            files = sorted(path.glob("*.csv"))
        elif "*" in relative:
            files = sorted((data / "spotify_charts").glob(relative))
        else:
            files = [path]
        started = time.perf_counter()
        call_command("import_chart_csv", *map(str, files), chart=slug, stdout=StringIO(), **options)
        seconds = time.perf_counter() - started
        chart = Chart.objects.get(slug=slug)
        rates = selectors.chart_link_rates(chart=chart)
        for key in totals:
            totals[key] += rates[key]  # type: ignore[literal-required]
        methods = dict(
            ChartEntry.objects.filter(snapshot__chart=chart)
            .values_list("track__match_method")
            .annotate(n=Count("id"))
            .values_list("track__match_method", "n")
        )
        by_method = ", ".join(f"{m or 'none'}={n}" for m, n in sorted(methods.items()))
        print(f"{slug}: {selectors.format_link_rates(rates)} [{by_method}] in {seconds:.1f} s")
    print(f"RESULT all charts {selectors.format_link_rates(totals)}")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
