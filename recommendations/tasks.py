"""Recommendation Celery tasks: thin, idempotent wrappers around ``recommendations.services``.

Routing lives in ``settings.CELERY_TASK_ROUTES``: builds and batch refreshes go to the heavy
queue, a single listener's refresh (asked for through the API) stays on the default queue so
it is quick. Temporary errors are retried by the one policy (``common.tasks.retry_policy``).
"""

from __future__ import annotations

from celery import shared_task

from common.tasks import enqueue_after_commit, retry_policy
from recommendations import selectors, services

ACTIVE_DAYS = 7
REFRESH_BATCH_SIZE = 500


@shared_task(
    name="recommendations.build_model",
    acks_late=True,  # safe: a second build while one runs is a no-op (a database lock)
    soft_time_limit=50 * 60,
    time_limit=55 * 60,
    **retry_policy(),
)
def build_model() -> int | None:
    """Fit and swap in a new model, then refresh the active listeners' picks."""
    model = services.recommendation_model_build()
    if model is None:
        return None
    enqueue_after_commit("recommendations.refresh_active_users")
    return model.pk


@shared_task(
    name="recommendations.refresh_active_users",
    acks_late=True,
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
    **retry_policy(),
)
def refresh_active_users(days: int = ACTIVE_DAYS) -> int:
    """Queue picks refreshes, in batches, for everyone who listened in the last ``days``."""
    user_ids = selectors.active_user_ids(days=days)
    for start in range(0, len(user_ids), REFRESH_BATCH_SIZE):
        enqueue_after_commit(
            "recommendations.refresh_users",
            kwargs={"user_ids": user_ids[start : start + REFRESH_BATCH_SIZE]},
        )
    return len(user_ids)


@shared_task(
    name="recommendations.refresh_users",
    acks_late=True,
    soft_time_limit=10 * 60,
    time_limit=11 * 60,
    **retry_policy(),
)
def refresh_users(user_ids: list[int]) -> int:
    return services.user_picks_refresh(user_ids=user_ids)


@shared_task(
    name="recommendations.refresh_user",
    acks_late=True,
    soft_time_limit=60,
    time_limit=90,
    **retry_policy(),
)
def refresh_user(user_id: int) -> int:
    """Recompute one listener's picks (a deleted or inactive user is skipped)."""
    return services.user_picks_refresh(user_ids=[user_id])
