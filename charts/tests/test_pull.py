"""Feed pulls over HTTP (mocked with `responses`, serving the invented fixtures): retries,
conditional requests, bad feeds."""

import json
from datetime import date
from unittest import mock

import pytest
import requests
import responses
from django.db import OperationalError
from responses import matchers

from charts import services
from charts.fetching import USER_AGENT, FetchError, retry_after_seconds
from charts.models import ChartEntry, ChartSnapshot, ChartTrack, IngestionRun
from charts.parsers import SOURCE_SPOTIFY_CSV
from charts.tasks import chart_pull_task

from .factories import ChartFactory, FeedChartFactory
from .samples import APPLE_V2_SONGS, NEW_FORMAT_US, fixture

pytestmark = pytest.mark.django_db


def tr_sample() -> bytes:
    """An Apple Music v2 songs feed for Turkey, five entries, updated 2024-05-04."""
    return fixture(APPLE_V2_SONGS)


@pytest.fixture
def chart():
    return FeedChartFactory(slug="apple-tr", country="tr")


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def pull(chart, sleeps):
    def run(**kwargs):
        return services.chart_pull(chart_id=chart.pk, sleep=sleeps.append, **kwargs)

    return run


def assert_nothing_written(chart):
    assert not ChartSnapshot.objects.filter(chart=chart).exists()
    assert not ChartTrack.objects.exists()
    chart.refresh_from_db()
    assert (chart.etag, chart.last_modified) == ("", "")


@responses.activate
def test_pull_stores_the_snapshot_and_the_validators(chart, pull):
    responses.get(
        chart.feed_url,
        body=tr_sample(),
        headers={"ETag": '"v1"', "Last-Modified": "Sat, 04 May 2024 18:20:05 GMT"},
    )
    run = pull(trigger=IngestionRun.Trigger.MANUAL, task_id="t-1")

    assert (run.status, run.trigger, run.task_id, run.http_status) == (
        "succeeded",
        "manual",
        "t-1",
        200,
    )
    assert (run.snapshots_written, run.entries_written, run.first_date) == (
        1,
        5,
        date(2024, 5, 4),
    )
    snapshot = ChartSnapshot.objects.get(chart=chart)
    assert snapshot.date == date(2024, 5, 4)  # the feed's own date, not today
    first = snapshot.entries.get(position=1)
    assert (first.title, first.artist_name, first.is_new) == (
        "Gölge Oyunu",
        "Deniz Yılmaztepe",
        True,
    )
    chart.refresh_from_db()
    assert (chart.etag, chart.last_modified) == ('"v1"', "Sat, 04 May 2024 18:20:05 GMT")
    request = responses.calls[0].request
    assert request.headers["User-Agent"] == USER_AGENT
    assert "If-None-Match" not in request.headers


@responses.activate
def test_unchanged_feed_is_a_conditional_304(chart, pull):
    chart.etag, chart.last_modified = '"v1"', "Sat, 04 May 2024 18:20:05 GMT"
    chart.save()
    responses.get(
        chart.feed_url,
        status=304,
        match=[
            matchers.header_matcher(
                {"If-None-Match": '"v1"', "If-Modified-Since": "Sat, 04 May 2024 18:20:05 GMT"}
            )
        ],
    )
    run = pull()
    assert (run.status, run.http_status) == ("unchanged", 304)
    assert not ChartSnapshot.objects.exists()


@responses.activate
def test_same_content_without_validators_is_not_reprocessed(chart, pull):
    responses.get(chart.feed_url, body=tr_sample())
    pull()
    snapshot = ChartSnapshot.objects.get()
    run = pull()
    assert (run.status, run.snapshots_written) == ("unchanged", 0)
    assert ChartSnapshot.objects.get().pk == snapshot.pk


@responses.activate
def test_timeout_then_503_then_200_retries_with_backoff(chart, pull, sleeps):
    responses.get(chart.feed_url, body=requests.exceptions.ConnectTimeout("connect timed out"))
    responses.get(chart.feed_url, status=503)
    responses.get(chart.feed_url, body=tr_sample())
    run = pull()
    assert run.status == "succeeded"
    assert len(responses.calls) == 3
    assert sleeps == [1.0, 2.0]
    assert ChartEntry.objects.filter(snapshot__chart=chart).count() == 5


@responses.activate
def test_429_honours_retry_after(chart, pull, sleeps):
    responses.get(chart.feed_url, status=429, headers={"Retry-After": "7"})
    responses.get(chart.feed_url, status=502, headers={"Retry-After": "3600"})
    responses.get(chart.feed_url, body=tr_sample())
    assert pull().status == "succeeded"
    assert sleeps == [7.0, 60.0]  # capped


def test_retry_after_as_http_date():
    from datetime import UTC, datetime

    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Mon, 01 Jan 2024 12:00:30 GMT", now=now) == 30
    assert retry_after_seconds("Mon, 01 Jan 2024 11:00:00 GMT", now=now) == 0
    assert retry_after_seconds("soon", now=now) is None
    assert retry_after_seconds(None) is None


@responses.activate
def test_server_down_gives_up_records_and_reraises_for_the_task(chart, pull, sleeps):
    responses.get(chart.feed_url, status=503)
    with pytest.raises(FetchError) as caught:
        pull()
    assert caught.value.temporary
    assert len(responses.calls) == 4 and sleeps == [1.0, 2.0, 4.0]
    run = IngestionRun.objects.get()
    assert (run.status, run.http_status) == ("failed", 503)
    assert run.error == "HTTP 503 from the feed server (gave up after 4 attempts)"
    assert_nothing_written(chart)


@responses.activate
def test_client_error_is_final_without_retry(chart, pull):
    responses.get(chart.feed_url, status=404)
    run = pull()
    assert (run.status, run.http_status, run.error) == (
        "failed",
        404,
        "HTTP 404 from the feed server",
    )
    assert len(responses.calls) == 1
    assert_nothing_written(chart)


def _v2(results, country="tr"):
    return json.dumps(
        {
            "feed": {
                "country": country,
                "updated": "Sat, 20 Aug 2022 18:33:32 +0000",
                "results": results,
            }
        }
    )


GOOD = {"id": "1", "name": "Song", "artistName": "Artist", "kind": "songs"}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ('{"feed": {"results": [', "malformed JSON: Expecting value at line 1"),
        (_v2([GOOD, {"id": "2", "artistName": "x"}]), "entry at position 2: missing name"),
        (_v2([]), "the feed has no entries"),
        (_v2([GOOD], country="us"), "the feed is for country 'us', the chart is for 'tr'"),
        (_v2([{**GOOD, "kind": "albums"}]), "the feed lists albums, the chart lists songs"),
    ],
    ids=["malformed", "missing-field", "empty", "other-country", "other-kind"],
)
@responses.activate
def test_bad_feeds_fail_the_run_and_write_nothing(chart, pull, body, error):
    responses.get(chart.feed_url, body=body, headers={"ETag": '"bad"'})
    run = pull()
    assert (run.status, run.error, run.http_status) == ("failed", error, 200)
    assert run.finished_at is not None
    assert_nothing_written(chart)


@responses.activate
def test_duplicate_positions_in_a_csv_feed_fail_the_run(sleeps):
    chart = ChartFactory(
        source=SOURCE_SPOTIFY_CSV,
        feed_url="https://charts.example.com/regional-us-daily-latest.csv",
    )
    body = NEW_FORMAT_US.read_text(encoding="utf-8-sig").replace("\n2,", "\n1,", 1)
    responses.get(chart.feed_url, body=body)
    run = services.chart_pull(chart_id=chart.pk, sleep=sleeps.append)
    assert (run.status, run.error) == ("failed", "duplicate positions: 1")
    assert_nothing_written(chart)


@responses.activate
def test_csv_feed_takes_its_date_from_the_url(sleeps):
    chart = ChartFactory(
        source=SOURCE_SPOTIFY_CSV,
        feed_url="https://charts.example.com/regional-us-daily-2023-06-10.csv",
    )
    responses.get(chart.feed_url, body=NEW_FORMAT_US.read_bytes())
    run = services.chart_pull(chart_id=chart.pk, sleep=sleeps.append)
    assert (run.status, run.first_date, run.entries_written) == (
        "succeeded",
        date(2023, 6, 10),
        5,
    )


@responses.activate
def test_unexpected_errors_close_the_run_and_propagate(chart, pull):
    responses.get(chart.feed_url, body=tr_sample())
    with (
        mock.patch("charts.services.pulls.chart_ingest", side_effect=RuntimeError("db down")),
        pytest.raises(RuntimeError),
    ):
        pull()
    run = IngestionRun.objects.get()
    assert (run.status, run.error) == ("failed", "unexpected error: RuntimeError('db down')")


def test_chart_without_feed_url_fails_the_run():
    chart = ChartFactory(feed_url="")
    run = services.chart_pull(chart_id=chart.pk)
    assert run.status == "failed"
    assert "no feed URL" in run.error


# ----------------------------------------------------------------------------- task


@responses.activate
def test_task_runs_the_pull(chart):
    responses.get(chart.feed_url, body=tr_sample())
    result = chart_pull_task.apply(
        kwargs={"chart_id": chart.pk, "trigger": "manual"}, task_id="abc"
    )
    run = IngestionRun.objects.get()
    assert result.get() == {"status": "succeeded", "run": run.pk, "error": ""}
    assert (run.task_id, run.trigger) == ("abc", "manual")


@pytest.mark.parametrize(
    "error",
    [
        FetchError("HTTP 503", status=503, temporary=True),
        OperationalError("the database went away"),
    ],
)
def test_task_retries_temporary_errors(chart, error):
    with (
        mock.patch("charts.tasks.chart_pull", side_effect=error),
        mock.patch.object(chart_pull_task, "retry", side_effect=RuntimeError("retry")) as retry,
        pytest.raises(RuntimeError, match="retry"),
    ):
        chart_pull_task.apply(kwargs={"chart_id": chart.pk}, throw=True)
    assert retry.call_count == 1
    assert chart_pull_task.max_retries == 3 and chart_pull_task.time_limit == 300


def test_task_does_not_retry_other_errors(chart):
    with (
        mock.patch("charts.tasks.chart_pull", side_effect=ValueError("a bug")),
        mock.patch.object(chart_pull_task, "retry") as retry,
        pytest.raises(ValueError, match="a bug"),
    ):
        chart_pull_task.apply(kwargs={"chart_id": chart.pk}, throw=True)
    retry.assert_not_called()


def test_task_skips_inactive_or_deleted_charts(chart):
    chart.active = False
    chart.save()
    assert chart_pull_task.apply(kwargs={"chart_id": chart.pk}).get() == {
        "status": "skipped",
        "reason": "chart inactive",
    }
    assert chart_pull_task.apply(kwargs={"chart_id": 10**9}).get()["reason"] == "chart deleted"
    assert not IngestionRun.objects.exists()


def test_a_server_dripping_bytes_cannot_hold_the_pull_past_its_deadline():
    """A real socket server that answers at once and then sends one byte every 0.2 s."""
    import socket
    import threading
    import time

    from charts.fetching import FetchError, fetch_feed

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()

    def drip():
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
        while not stop.is_set():
            try:
                connection.sendall(b"x")
            except OSError:
                break
            time.sleep(0.2)
        connection.close()

    threading.Thread(target=drip, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(FetchError) as raised:
            fetch_feed(
                f"http://127.0.0.1:{listener.getsockname()[1]}/feed", max_attempts=1, deadline=2
            )
    finally:
        stop.set()
        listener.close()
    assert raised.value.temporary
    assert "deadline" in str(raised.value)
    assert time.monotonic() - started < 4
