"""Celery tasks that need more than one app (wired here, in the composition root)."""

from datetime import date

from celery import shared_task

from common.tasks import retry_policy
from music_platform.platform_charts import compute_platform_charts, yesterday


@shared_task(
    name="music_platform.compute_platform_charts",
    acks_late=True,
    **retry_policy(backoff=60, backoff_max=30 * 60, max_retries=5),
    soft_time_limit=9 * 60,
    time_limit=10 * 60,
)
def compute_platform_charts_task(day: str | None = None) -> dict:
    """Compute the platform charts of `day` (ISO date; default yesterday, UTC). Safe to run
    twice: a day computed again replaces its snapshots (one transaction per chart)."""
    target = date.fromisoformat(day) if day else yesterday()
    results = compute_platform_charts(days=[target])
    return {
        "date": target.isoformat(),
        "charts": {r.slug: r.snapshots_written for r in results},
    }
