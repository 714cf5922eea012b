"""Backfill a chart from downloaded files: `import_chart_csv --chart SLUG PATH...`.

One file per date (the date from the file name, such as regional-global-daily-2017-01-31.csv,
or --date for a single file), or one file with a Date column holding many dates. Saved Apple
feeds work too with --source. The whole import is one transaction: it is written entirely
or not at all, and dates already stored are replaced.
"""

import time
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from charts import selectors, services
from charts.models import Chart, ChartKind, IngestionRun
from charts.parsers import (
    PARSERS,
    SOURCE_SPOTIFY_CSV,
    FeedError,
    ParsedFeed,
    date_from_filename,
    parse_feed,
)


class Command(BaseCommand):
    help = "Import chart files (Spotify CSV by default) into a chart, creating it if new."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, help="Files to import.")
        parser.add_argument("--chart", required=True, help="Chart slug.")
        parser.add_argument("--name", help="Name of a new chart (default: the slug).")
        parser.add_argument("--country", help="Country of a new chart (default: from the name).")
        parser.add_argument(
            "--source",
            choices=sorted(PARSERS),
            help=f"File format (default: the chart's source, or {SOURCE_SPOTIFY_CSV}).",
        )
        parser.add_argument("--kind", choices=ChartKind.values, default=ChartKind.SONGS)
        parser.add_argument(
            "--date", type=date.fromisoformat, help="Chart date of a single file (YYYY-MM-DD)."
        )
        parser.add_argument(
            "--skip-incomplete-rows",
            action="store_true",
            help="Drop rows without a title or artist (they fail the import otherwise).",
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        chart = Chart.objects.filter(slug=options["chart"]).first()
        source = options["source"] or (chart.source if chart else SOURCE_SPOTIFY_CSV)
        if chart and options["source"] and chart.source != options["source"]:
            raise CommandError(f"chart {chart.slug} has source {chart.source}, not {source}")
        if options["date"] and len(options["paths"]) > 1:
            raise CommandError("--date applies to a single file")

        feeds, skipped, rows, country = self._parse(options, source, chart)
        if chart is None:
            try:
                chart = services.chart_create(
                    slug=options["chart"],
                    name=options["name"] or options["chart"],
                    source=source,
                    country=(options["country"] or country or "").lower(),
                    kind=options["kind"],
                )
            except ValidationError as exc:
                raise CommandError(f"cannot create chart {options['chart']}: {exc}") from exc
            self.stdout.write(f"Created chart {chart.slug} ({chart.source}, {chart.country}).")

        self.stdout.write(f"Writing {len(feeds)} snapshots ({rows} entries) ...")
        run = services.chart_import(
            chart=chart, feeds=feeds, rows_skipped=skipped, trigger=IngestionRun.Trigger.IMPORT
        )
        if run.status == IngestionRun.Status.FAILED:
            raise CommandError(f"import failed, nothing written (run {run.pk}): {run.error}")
        seconds = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {run.snapshots_written} snapshots, {run.entries_written} entries "
                f"({run.first_date} to {run.last_date}) into {chart.slug} in {seconds:.1f} s "
                f"({run.entries_written / seconds:,.0f} rows/s); {run.tracks_created} new "
                f"tracks, {run.tracks_matched} matched to the catalog, "
                f"{run.entries_updated} later entries updated, {skipped} rows skipped."
            )
        )
        rates = selectors.chart_link_rates(
            chart=chart, date_from=run.first_date, date_to=run.last_date
        )
        self.stdout.write(f"Imported dates {selectors.format_link_rates(rates)}.")

    def _parse(self, options, source, chart) -> tuple[dict[date, ParsedFeed], int, int, str]:
        feeds: dict[date, ParsedFeed] = {}
        origin: dict[date, str] = {}
        skipped = rows = 0
        country = ""
        paths = options["paths"]
        for number, path in enumerate(paths, start=1):
            try:
                feed = parse_feed(
                    source,
                    path.read_bytes(),
                    filename=path.name,
                    skip_incomplete=options["skip_incomplete_rows"],
                )
            except OSError as exc:
                raise CommandError(f"{path}: {exc.strerror}") from exc
            except FeedError as exc:
                if chart is not None:
                    services.ingestion_run_record_failure(chart=chart, error=f"{path.name}: {exc}")
                raise CommandError(f"{path}: {exc}") from exc
            country = country or feed.country
            skipped += feed.skipped
            if any(entry.chart_date for entry in feed.entries):
                by_date = feed.split_by_date()
            else:
                day = options["date"] or date_from_filename(path.name) or feed.chart_date
                if day is None:
                    raise CommandError(f"{path}: no date in the file name; use --date")
                by_date = {day: feed}
            for day, day_feed in by_date.items():
                if day in feeds:
                    raise CommandError(f"{path}: {day} is also in {origin[day]}")
                feeds[day], origin[day] = day_feed, path.name
                rows += len(day_feed.entries)
            if number == len(paths) or number % 25 == 0 or len(by_date) > 1:
                self.stdout.write(
                    f"[{number}/{len(paths)}] parsed {path.name}: {len(feeds)} dates, "
                    f"{rows} entries, {skipped} rows skipped"
                )
        return feeds, skipped, rows, country
