"""Ingestion runs: queueing and running feed pulls, file imports, and the run that records
each outcome."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import date
from urllib.parse import urlparse

import requests
from django.utils import timezone

from charts.fetching import FetchError, fetch_feed
from charts.models import Chart, IngestionRun
from charts.parsers import FeedError, ParsedFeed, date_from_filename, parse_feed
from charts.services.ingest import chart_ingest
from common.errors import ValidationFailed
from common.tasks import enqueue_after_commit

logger = logging.getLogger(__name__)


class ChartNotPullable(ValidationFailed):
    default_code = "no_feed_url"
    default_detail = "This chart has no feed URL; its data comes from file imports."


def chart_request_pull(*, chart: Chart, trigger: str = IngestionRun.Trigger.MANUAL) -> str:
    """Queue a pull of the chart's feed once the current transaction commits; the task id."""
    if not chart.feed_url:
        raise ChartNotPullable()
    return enqueue_after_commit("charts.pull", kwargs={"chart_id": chart.pk, "trigger": trigger})


def chart_pull(
    *,
    chart_id: int,
    trigger: str = IngestionRun.Trigger.SCHEDULE,
    task_id: str = "",
    session: requests.Session | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> IngestionRun:
    """Fetch, validate and store today's snapshot of a chart; the run records the outcome.

    A temporary fetch failure (the server kept failing after the in-request retries) is
    recorded and re-raised, so the task can try again later; every other failure is
    final for this run and leaves the chart's data untouched.
    """
    chart = Chart.objects.get(pk=chart_id)
    run = IngestionRun.objects.create(chart=chart, trigger=trigger, task_id=task_id)
    if not chart.feed_url:
        return _run_fail(run, "the chart has no feed URL; import its data with import_chart_csv")
    try:
        result = fetch_feed(
            chart.feed_url,
            etag=chart.etag,
            last_modified=chart.last_modified,
            session=session,
            sleep=sleep,
        )
    except FetchError as exc:
        _run_fail(run, str(exc), http_status=exc.status)
        if exc.temporary:
            raise
        return run
    run.http_status = result.status
    if result.not_modified:
        return _run_finish(run, IngestionRun.Status.UNCHANGED)

    path = urlparse(chart.feed_url).path
    try:
        feed = parse_feed(chart.source, result.content, filename=path)
        # The feed's own date, else one in its URL (CSV downloads), else today (UTC).
        snapshot_date = feed.chart_date or date_from_filename(path) or timezone.now().date()
        summary = chart_ingest(
            chart=chart, feeds={snapshot_date: feed}, skip_unchanged=True, run=run
        )
    except FeedError as exc:
        return _run_fail(run, str(exc), http_status=result.status)
    except Exception as exc:
        # A bug or a database failure: close the run before the task reports the error.
        _run_fail(run, f"unexpected error: {exc!r}", http_status=result.status)
        raise

    # Only a stored (or identical) snapshot earns the validators: a feed that failed
    # validation must be fetched in full next time.
    Chart.objects.filter(pk=chart.pk).update(
        etag=result.etag[:255], last_modified=result.last_modified[:64]
    )
    status = IngestionRun.Status.UNCHANGED if summary.unchanged else IngestionRun.Status.SUCCEEDED
    return _run_finish(run, status)


def chart_import(
    *,
    chart: Chart,
    feeds: Mapping[date, ParsedFeed],
    rows_skipped: int = 0,
    trigger: str = IngestionRun.Trigger.IMPORT,
) -> IngestionRun:
    """Store snapshots parsed from files (backfills); the run records the outcome."""
    run = IngestionRun.objects.create(chart=chart, trigger=trigger, rows_skipped=rows_skipped)
    try:
        chart_ingest(chart=chart, feeds=feeds, run=run)
    except FeedError as exc:
        return _run_fail(run, str(exc))
    except Exception as exc:
        _run_fail(run, f"unexpected error: {exc!r}")
        raise
    return _run_finish(run, IngestionRun.Status.SUCCEEDED)


def ingestion_run_record_failure(
    *, chart: Chart, error: str, trigger: str = IngestionRun.Trigger.IMPORT
) -> IngestionRun:
    """Log a failure found before ingestion started (an unreadable import file)."""
    return _run_fail(IngestionRun.objects.create(chart=chart, trigger=trigger), error)


def _run_fail(run: IngestionRun, error: str, *, http_status: int | None = None) -> IngestionRun:
    run.error = error
    if http_status is not None:
        run.http_status = http_status
    logger.warning("chart %s: ingestion failed: %s", run.chart_id, error)
    return _run_finish(run, IngestionRun.Status.FAILED)


def _run_finish(run: IngestionRun, status: str) -> IngestionRun:
    run.status = status
    run.finished_at = timezone.now()
    run.save()
    return run
