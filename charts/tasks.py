"""Celery tasks of the charts app: thin wrappers around charts.services.

Routing lives in ``settings.CELERY_TASK_ROUTES``.
"""

from celery import shared_task

from charts.fetching import FetchError
from charts.models import Chart, IngestionRun
from charts.services import chart_pull, chart_tracks_link
from common.tasks import TEMPORARY_ERRORS, retry_policy


@shared_task(
    name="charts.pull",
    bind=True,
    acks_late=True,
    # 5, 10, 20 min: the feed server already failed several quick retries inside the request.
    **retry_policy(
        errors=(FetchError, *TEMPORARY_ERRORS), backoff=300, backoff_max=3600, max_retries=3
    ),
    soft_time_limit=240,
    time_limit=300,
)
def chart_pull_task(self, chart_id: int, trigger: str = IngestionRun.Trigger.SCHEDULE) -> dict:
    """Pull one chart's feed. Safe to run twice: an unchanged feed is a 304 or the same
    checksum, and a changed one replaces the day's snapshot. Only temporary errors are
    retried: fetch errors the service re-raises as temporary, and a database or cache that
    is briefly away."""
    chart = Chart.objects.filter(pk=chart_id).only("id", "active").first()
    if chart is None:
        return {"status": "skipped", "reason": "chart deleted"}
    if trigger == IngestionRun.Trigger.SCHEDULE and not chart.active:
        return {"status": "skipped", "reason": "chart inactive"}
    run = chart_pull(chart_id=chart_id, trigger=trigger, task_id=self.request.id or "")
    return {"status": run.status, "run": run.pk, "error": run.error}


@shared_task(
    name="charts.link_tracks",
    acks_late=True,
    **retry_policy(backoff=60, backoff_max=1800, max_retries=3),
    soft_time_limit=540,
    time_limit=600,
)
def chart_tracks_link_task() -> dict:
    """Link unmatched chart tracks to songs the catalog gained since. Safe to run twice: it
    only looks at tracks that are still unmatched."""
    looked_at, matched = chart_tracks_link()
    return {"looked_at": looked_at, "matched": matched}
