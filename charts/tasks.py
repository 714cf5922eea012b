"""Celery tasks of the charts app: thin wrappers around charts.services.

Routing lives in ``settings.CELERY_TASK_ROUTES``.
"""

from celery import shared_task

from charts.fetching import FetchError
from charts.models import Chart, IngestionRun
from charts.services import chart_pull
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
