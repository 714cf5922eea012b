"""Analytics Celery tasks: thin wrappers around ``analytics.services``.

Routing lives in ``settings.CELERY_TASK_ROUTES`` (``analytics.rollup`` -> the heavy queue).
"""

from typing import Any

from celery import shared_task

from analytics import services
from common.tasks import retry_policy


@shared_task(
    bind=True,
    name="analytics.rollup",
    acks_late=True,  # safe: the watermark makes a repeated run a no-op
    # Beat sends a run every minute anyway, so retries stay short.
    **retry_policy(backoff=10, backoff_max=5 * 60, max_retries=5),
    soft_time_limit=25 * 60,
    time_limit=30 * 60,
)
def rollup(self: Any) -> dict[str, Any]:
    """Fold the events received since the last run into the daily rollups."""
    result = services.rollup_run()
    return {
        "events": result.events,
        "chunks": result.chunks,
        "last_event_id": result.last_event_id,
        "through_day": result.through_day.isoformat() if result.through_day else None,
    }
