"""`manage.py import_chart_csv` on the invented fixtures, and (marked `realdata`) the real
CSV backfills."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from charts.models import Chart, ChartEntry, ChartSnapshot, ChartTrack, IngestionRun

from .factories import ChartFactory
from .samples import (
    APPLE_V2_ALBUMS,
    FIXTURES,
    LATEST,
    MULTI_DAY,
    NEW_FORMAT_US,
    OTHER_DOWNLOAD,
    REAL_GLOBAL_DAILY,
    REAL_US_DAILY,
    global_daily_files,
    real_global_daily_files,
    real_us_daily_2017,
)

pytestmark = pytest.mark.django_db


def run(*args, **options):
    out = StringIO()
    call_command("import_chart_csv", *map(str, args), stdout=out, **options)
    return out.getvalue()


def test_import_creates_the_chart_and_prints_progress():
    output = run(*global_daily_files(), chart="global-daily", name="Spotify Global Daily")
    chart = Chart.objects.get(slug="global-daily")
    assert (chart.name, chart.source, chart.country, chart.kind) == (
        "Spotify Global Daily",
        "spotify_csv",
        "global",
        "songs",
    )
    assert ChartSnapshot.objects.filter(chart=chart).count() == 4
    assert ChartEntry.objects.filter(snapshot__chart=chart).count() == 20
    lines = output.splitlines()
    assert lines[0] == (
        "[4/4] parsed regional-global-daily-2018-02-04.csv: 4 dates, 20 entries, 0 rows skipped"
    )
    assert lines[1] == "Created chart global-daily (spotify_csv, global)."
    assert lines[2] == "Writing 4 snapshots (20 entries) ..."
    assert lines[-2].startswith(
        "Imported 4 snapshots, 20 entries (2018-02-01 to 2018-02-04) into global-daily in "
    )
    assert lines[-2].endswith(
        "7 new tracks, 0 matched to the catalog, 0 later entries updated, 0 rows skipped."
    )
    assert (
        lines[-1]
        == "Imported dates linked to the catalog: 0 of 7 (0.0%) tracks, 0 of 20 (0.0%) entries."
    )
    run_row = IngestionRun.objects.get()
    assert (run_row.trigger, run_row.status, run_row.snapshots_written) == (
        "import",
        "succeeded",
        4,
    )


def test_import_into_an_existing_chart_replaces_dates():
    chart = ChartFactory(slug="us", country="us")
    run(NEW_FORMAT_US, chart="us")
    run(NEW_FORMAT_US, chart="us")
    assert ChartSnapshot.objects.get(chart=chart).date == date(2023, 6, 10)
    assert ChartEntry.objects.count() == 5


def test_multi_day_file_needs_skip_incomplete_rows():
    with pytest.raises(CommandError, match=r"line 10: entry at position 4: missing"):
        run(MULTI_DAY, chart="us-daily", country="us")
    assert not Chart.objects.exists()  # nothing is created when the files do not parse

    output = run(MULTI_DAY, chart="us-daily", country="us", skip_incomplete_rows=True)
    assert "3 dates, 14 entries, 1 rows skipped" in output
    chart = Chart.objects.get(slug="us-daily")
    assert list(
        ChartSnapshot.objects.filter(chart=chart).order_by("date").values_list("date", flat=True)
    ) == [date(2018, 3, 1), date(2018, 3, 2), date(2018, 3, 4)]
    assert IngestionRun.objects.get().rows_skipped == 1
    # Without track ids, the two "Paper Lanterns" of the first day are two tracks.
    assert set(ChartTrack.objects.filter(title="Paper Lanterns").values_list("key", flat=True)) == {
        "name:paper lanterns|jonah bellweather",
        "name:paper lanterns|jonah bellweather#2",
    }


def test_date_option_and_missing_dates():
    with pytest.raises(CommandError, match="no date in the file name; use --date"):
        run(LATEST, chart="g")
    run(LATEST, chart="g", date=date(2018, 2, 10))
    assert ChartSnapshot.objects.get().date == date(2018, 2, 10)
    with pytest.raises(CommandError, match="--date applies to a single file"):
        run(LATEST, LATEST, chart="g", date=date(2018, 2, 10))


def test_the_same_date_twice_is_refused():
    with pytest.raises(
        CommandError, match="2018-02-01 is also in regional-global-daily-2018-02-01"
    ):
        run(OTHER_DOWNLOAD, global_daily_files()[0], chart="g")


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
    path = FIXTURES / APPLE_V2_ALBUMS
    run(path, chart="apple-jp", source="apple_music", kind="albums", country="jp")
    chart = Chart.objects.get(slug="apple-jp")
    assert (chart.source, chart.kind) == ("apple_music", "albums")
    assert ChartSnapshot.objects.get().date == date(2024, 5, 5)
    assert ChartEntry.objects.filter(snapshot__chart=chart).count() == 4
    with pytest.raises(CommandError, match="has source apple_music, not spotify_csv"):
        run(NEW_FORMAT_US, chart="apple-jp", source="spotify_csv")


def test_invalid_new_chart_options():
    with pytest.raises(CommandError, match="cannot create chart bad slug"):
        run(NEW_FORMAT_US, chart="bad slug", country="usa")
    assert not Chart.objects.exists()


# ----------------------------------------------------------------------------- real data


@pytest.mark.realdata(REAL_GLOBAL_DAILY)
def test_real_global_daily_backfill():
    files = real_global_daily_files()
    output = run(*files, chart="global-daily", name="Spotify Global Daily")
    chart = Chart.objects.get(slug="global-daily")
    assert chart.country == "global"
    assert ChartSnapshot.objects.filter(chart=chart).count() == 31
    assert ChartEntry.objects.filter(snapshot__chart=chart).count() == 6200
    assert output.splitlines()[0] == (
        "[25/31] parsed regional-global-daily-2017-01-25.csv: 25 dates, 5000 entries, "
        "0 rows skipped"
    )
    assert "Imported 31 snapshots, 6200 entries (2017-01-01 to 2017-01-31)" in output


@pytest.mark.realdata(REAL_US_DAILY)
def test_real_us_daily_multi_day_backfill(tmp_path):
    # The first 50 days keep the test quick; the blank rows are in July, so add one.
    lines = real_us_daily_2017().read_text(encoding="utf-8").splitlines()
    sample = tmp_path / "us_daily_sample.csv"
    sample.write_text("\n".join([*lines[: 1 + 200 * 50], "7,,,888014,2017-02-19"]) + "\n")

    with pytest.raises(CommandError, match=r"line 10002: entry at position 7: missing"):
        run(sample, chart="us-daily", country="us")
    output = run(sample, chart="us-daily", country="us", skip_incomplete_rows=True)
    assert "50 dates, 10000 entries, 1 rows skipped" in output
    assert ChartSnapshot.objects.count() == 50
    assert IngestionRun.objects.get().rows_skipped == 1
