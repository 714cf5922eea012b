"""Enqueueing Celery tasks: the one way, after commit, by name, with a 503 when the broker is down.

``enqueue_after_commit`` is what every service calls (DESIGN.md §6 rules 8 and 12):
- the task id is generated here, so the caller can answer 202 ``{task_id}`` at once;
- the message is sent only when the surrounding transaction commits (a rolled-back request
  enqueues nothing, and the worker never reads rows that are not there yet);
- it sends by task name (no import of the tasks module, so no import cycles) and with
  ``ignore_result``: publishing never touches the result backend, whose retries once held a
  request for ~19 s when Redis was down;
- a broker that is down or unreachable becomes ``ServiceUnavailable`` (503 in the standard
  format) within ``CELERY_ENQUEUE_TIMEOUT`` seconds, whatever the transport's error type.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from celery import current_app
from django import db
from django.conf import settings
from django.db import transaction
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from common.errors import ServiceUnavailable

logger = logging.getLogger(__name__)


def queue_name(base: str) -> str:
    """The real name of queue ``base`` (tests suffix names per xdist worker)."""
    return f"{base}{settings.CELERY_QUEUE_SUFFIX}"


def send_task_now(
    name: str, *, kwargs: dict[str, Any] | None = None, queue: str | None = None, task_id: str
) -> None:
    """Publish one task message now, failing fast: no publish retries, one connection try."""
    app = current_app
    options: dict[str, Any] = {"task_id": task_id, "ignore_result": True, "retry": False}
    if queue is not None:
        options["queue"] = queue_name(queue)
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(
                max_retries=1,
                interval_start=0,
                interval_step=0.1,
                interval_max=0.1,
                timeout=settings.CELERY_ENQUEUE_TIMEOUT,
            )
            app.send_task(name, kwargs=kwargs or {}, connection=connection, **options)
    except Exception as exc:  # kombu, redis-py, amqp and socket errors alike
        logger.warning("could not enqueue %s (%s): %r", name, task_id, exc)
        raise ServiceUnavailable() from exc


def enqueue_after_commit(
    name: str,
    *,
    kwargs: dict[str, Any] | None = None,
    queue: str | None = None,
    task_id: str | None = None,
    on_failure: Callable[[], None] | None = None,
) -> str:
    """Send task ``name`` once the current transaction commits; return its id.

    Outside a transaction the task is sent at once. Raises ``ServiceUnavailable`` when the
    broker cannot take the message (at commit: the data is saved, the task is not queued);
    ``on_failure`` runs first, so a caller can mark the row it saved for the task as failed.
    ``task_id`` lets a caller store the id in that row before the task exists.
    """
    task_id = task_id or str(uuid.uuid4())

    def send() -> None:
        try:
            send_task_now(name, kwargs=kwargs, queue=queue, task_id=task_id)
        except ServiceUnavailable:
            if on_failure is not None:
                on_failure()
            raise

    transaction.on_commit(send, robust=False)
    return task_id


# --- the one retry policy for temporary errors ------------------------------------------------

# Lost database connections, lock timeouts and a cache/broker that is briefly away go away on
# their own; anything else (bad data, a bug) would fail again and is not retried.
TEMPORARY_ERRORS: tuple[type[BaseException], ...] = (
    db.OperationalError,
    db.InterfaceError,
    RedisConnectionError,
    RedisTimeoutError,
)


def retry_policy(
    *,
    errors: tuple[type[BaseException], ...] = TEMPORARY_ERRORS,
    backoff: int = 30,
    backoff_max: int = 15 * 60,
    max_retries: int = 4,
) -> dict[str, Any]:
    """Celery task options: retry ``errors`` with jittered exponential backoff
    (``backoff``, 2x, 4x ... capped at ``backoff_max`` seconds)."""
    return {
        "autoretry_for": errors,
        "retry_backoff": backoff,
        "retry_backoff_max": backoff_max,
        "retry_jitter": True,
        "max_retries": max_retries,
    }
