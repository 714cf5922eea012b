"""Recommendation Celery tasks: thin, idempotent wrappers around ``recommendations.services``.

Builds and batch refreshes are heavy and run on the "heavy" queue (Beat sends them there,
see schedules.py, and the fan-out below names it); a single listener's refresh (asked for
through the API) stays on the default queue so it is quick.
Only temporary errors (database or broker connections) are retried, with backoff.
"""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

from recommendations import selectors, services

TEMPORARY_ERRORS = (OperationalError, InterfaceError, RedisConnectionError)
RETRY = {
    "autoretry_for": TEMPORARY_ERRORS,
    "retry_backoff": 30,
    "retry_backoff_max": 15 * 60,
    "retry_jitter": True,
    "max_retries": 4,
}
HEAVY_QUEUE = "heavy"
ACTIVE_DAYS = 7
REFRESH_BATCH_SIZE = 500
BUILD_LOCK_KEY = "recommendations:build-lock"
BUILD_LOCK_SECONDS = 60 * 60


@shared_task(
    name="recommendations.build_model",
    acks_late=True,
    soft_time_limit=50 * 60,
    time_limit=55 * 60,
    **RETRY,
)
def build_model() -> int | None:
    """Fit and swap in a new model, then refresh the active listeners' picks.

    A build already running elsewhere makes this one a no-op (a cache lock), so a
    redelivered or doubled schedule does not fit twice at once.
    """
    if not cache.add(BUILD_LOCK_KEY, "1", timeout=BUILD_LOCK_SECONDS):
        return None
    try:
        model = services.recommendation_model_build()
    finally:
        cache.delete(BUILD_LOCK_KEY)
    if model is not None:
        refresh_active_users.apply_async(queue=HEAVY_QUEUE)
    return model.pk if model is not None else None


@shared_task(
    name="recommendations.refresh_active_users",
    acks_late=True,
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
    **RETRY,
)
def refresh_active_users(days: int = ACTIVE_DAYS) -> int:
    """Queue picks refreshes, in batches, for everyone who listened in the last ``days``."""
    user_ids = selectors.active_user_ids(days=days)
    for start in range(0, len(user_ids), REFRESH_BATCH_SIZE):
        refresh_users.apply_async(
            args=[user_ids[start : start + REFRESH_BATCH_SIZE]], queue=HEAVY_QUEUE
        )
    return len(user_ids)


@shared_task(
    name="recommendations.refresh_users",
    acks_late=True,
    soft_time_limit=10 * 60,
    time_limit=11 * 60,
    **RETRY,
)
def refresh_users(user_ids: list[int]) -> int:
    return services.user_picks_refresh(user_ids=user_ids)


@shared_task(
    name="recommendations.refresh_user",
    acks_late=True,
    soft_time_limit=60,
    time_limit=90,
    **RETRY,
)
def refresh_user(user_id: int) -> int:
    """Recompute one listener's picks (a deleted or inactive user is skipped)."""
    return services.user_picks_refresh(user_ids=[user_id])
