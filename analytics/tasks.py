"""Analytics Celery tasks: thin wrappers around ``analytics.services``."""

from celery import shared_task
from django.db import OperationalError

from analytics import services

HEAVY_QUEUE = "heavy"  # Beat sends the periodic run there (analytics/schedules.py)


@shared_task(
    bind=True,
    name="analytics.rollup",
    acks_late=True,  # safe: the watermark makes a repeated run a no-op
    autoretry_for=(OperationalError,),  # lock timeouts, lost connections
    retry_backoff=10,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=25 * 60,
    time_limit=30 * 60,
)
def rollup(self) -> dict:
    """Fold the events received since the last run into the daily rollups."""
    result = services.rollup_run()
    return {
        "events": result.events,
        "chunks": result.chunks,
        "last_event_id": result.last_event_id,
        "through_day": result.through_day.isoformat() if result.through_day else None,
    }
