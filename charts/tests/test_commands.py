"""`manage.py import_chart_csv` on the real sample files."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from charts.models import Chart, ChartEntry, ChartSnapshot, IngestionRun

from .factories import ChartFactory
from .samples import APPLE_DIR, NEW_FORMAT_US, SPOTIFY_DIR, global_daily_files

pytestmark = pytest.mark.django_db


def run(*args, **options):
    out = StringIO()
    call_command("import_chart_csv", *map(str, args), stdout=out, **options)
    return out.getvalue()


def test_import_creates_the_chart_and_prints_progress():
    files = global_daily_files()
    output = run(*files, chart="global-daily", name="Spotify Global Daily")
    chart = Chart.objects.get(slug="global-daily")
    assert (chart.name, chart.source, chart.country, chart.kind) == (
        "Spotify Global Daily",
        "spotify_csv",
        "global",
        "songs",
    )
    assert ChartSnapshot.objects.filter(chart=chart).count() == 31
    assert ChartEntry.objects.filter(snapshot__chart=chart).count() == 6200
    lines = output.splitlines()
    assert lines[0] == (
        "[25/31] parsed regional-global-daily-2017-01-25.csv: 25 dates, 5000 entries, "
        "0 rows skipped"
    )
    assert lines[2] == "Created chart global-daily (spotify_csv, global)."
    assert lines[-1].startswith(
        "Imported 31 snapshots, 6200 entries (2017-01-01 to 2017-01-31) into global-daily in "
    )
    run_row = IngestionRun.objects.get()
    assert (run_row.trigger, run_row.status, run_row.snapshots_written) == (
        "import",
        "succeeded",
        31,
    )


def test_import_into_an_existing_chart_replaces_dates():
    chart = ChartFactory(slug="us", country="us")
    run(NEW_FORMAT_US, chart="us")
    run(NEW_FORMAT_US, chart="us")
    assert ChartSnapshot.objects.get(chart=chart).date == date(2023, 1, 21)
    assert ChartEntry.objects.count() == 200


def test_multi_day_file_needs_skip_incomplete_rows(tmp_path):
    source = SPOTIFY_DIR / "us_daily_2017" / "us_daily_top200_2017-01-01_to_2018-01-09.csv"
    # The first 50 days keep the test quick; the blank rows are in July, so add one.
    lines = source.read_text(encoding="utf-8").splitlines()
    sample = tmp_path / "us_daily_sample.csv"
    sample.write_text("\n".join([*lines[: 1 + 200 * 50], "7,,,888014,2017-02-19"]) + "\n")

    with pytest.raises(CommandError, match=r"line 10002: entry at position 7: missing"):
        run(sample, chart="us-daily", country="us")
    assert not Chart.objects.exists()  # nothing is created when the files do not parse

    output = run(sample, chart="us-daily", country="us", skip_incomplete_rows=True)
    assert "50 dates, 10000 entries, 1 rows skipped" in output
    assert ChartSnapshot.objects.count() == 50
    assert IngestionRun.objects.get().rows_skipped == 1


def test_date_option_and_missing_dates(tmp_path):
    latest = (
        SPOTIFY_DIR / "groovydata_global_daily_monthly_samples" / "regional-global-daily-latest.csv"
    )
    with pytest.raises(CommandError, match="no date in the file name; use --date"):
        run(latest, chart="g")
    run(latest, chart="g", date=date(2020, 10, 23))
    assert ChartSnapshot.objects.get().date == date(2020, 10, 23)
    with pytest.raises(CommandError, match="--date applies to a single file"):
        run(latest, latest, chart="g", date=date(2020, 10, 23))


def test_the_same_date_twice_is_refused():
    monthly = SPOTIFY_DIR / "groovydata_global_daily_monthly_samples"
    first = monthly / "regional-global-daily-2017-01-01.csv"
    second = global_daily_files()[0]
    with pytest.raises(
        CommandError, match="2017-01-01 is also in regional-global-daily-2017-01-01"
    ):
        run(first, second, chart="g")


def test_failed_validation_is_recorded_and_writes_nothing():
    ChartFactory(slug="gb", country="gb")
    with pytest.raises(CommandError, match="the feed is for country 'us', the chart is for 'gb'"):
        run(NEW_FORMAT_US, chart="gb")
    assert IngestionRun.objects.get().status == "failed"
    assert not ChartSnapshot.objects.exists()


def test_unreadable_file_is_recorded_for_an_existing_chart(tmp_path):
    ChartFactory(slug="x")
    bad = tmp_path / "regional-us-daily-2020-01-01.csv"
    bad.write_text("not,a,chart\n")
    with pytest.raises(CommandError, match="not a Spotify chart CSV"):
        run(bad, chart="x")
    failed = IngestionRun.objects.get()
    assert failed.status == "failed" and failed.error.startswith(
        "regional-us-daily-2020-01-01.csv:"
    )
    with pytest.raises(CommandError, match="No such file"):
        run(tmp_path / "missing.csv", chart="x")


def test_saved_apple_feed_with_source_option():
    path = APPLE_DIR / "applemusic_v2_mostplayed_albums_gb_top10_2022-08-21.json"
    run(path, chart="apple-gb", source="apple_music", kind="albums", country="gb")
    chart = Chart.objects.get(slug="apple-gb")
    assert (chart.source, chart.kind) == ("apple_music", "albums")
    assert ChartSnapshot.objects.get().date == date(2022, 8, 21)
    with pytest.raises(CommandError, match="has source apple_music, not spotify_csv"):
        run(NEW_FORMAT_US, chart="apple-gb", source="spotify_csv")


def test_invalid_new_chart_options():
    with pytest.raises(CommandError, match="cannot create chart bad slug"):
        run(NEW_FORMAT_US, chart="bad slug", country="usa")
    assert not Chart.objects.exists()
