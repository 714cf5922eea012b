"""Prometheus metrics of the Celery workers, served on their own port (``CELERY_METRICS_PORT``).

Exported (the names the Grafana dashboards in deploy/grafana/ query):
- ``celery_tasks_total{task,state}``: tasks that finished in this worker, by final state
  (``succeeded``, ``failed``, ``retried``);
- ``celery_task_duration_seconds{task}``: run time of each task, successful or not;
- ``celery_queue_length{queue}``: messages waiting in each queue of the routing table, read
  from the broker when Prometheus scrapes (RabbitMQ and Redis alike).

A prefork worker runs tasks in child processes, so the counters use prometheus_client's
multiprocess mode: every process writes its values to files in ``PROMETHEUS_MULTIPROC_DIR``
and the main process, which serves the port, adds them up. ``music_platform.celery`` prepares
that directory before prometheus_client is imported (the value class is chosen at import).
Nothing here runs unless ``CELERY_METRICS_PORT`` is set (web and realtime serve their own
/metrics; tests start workers with it when they test these metrics).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from celery import signals
from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

TASKS = Counter("celery_tasks_total", "Celery tasks finished, by final state", ["task", "state"])
TASK_DURATION = Histogram(
    "celery_task_duration_seconds",
    "Run time of Celery tasks",
    ["task"],
    # From e-mails (sub-second) to model builds (up to an hour).
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200),
)
# Celery's final states, as the dashboards name them.
STATES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retried"}
BROKER_TIMEOUT = 2.0

_started: dict[str, float] = {}


def routed_queues() -> list[str]:
    """Every queue of the routing table (real names, test suffixes included), default first."""
    from django.conf import settings

    queues = [settings.CELERY_TASK_DEFAULT_QUEUE]
    for route in settings.CELERY_TASK_ROUTES.values():
        if route["queue"] not in queues:
            queues.append(route["queue"])
    return queues


class QueueLengthCollector(Collector):
    """``celery_queue_length``: asks the broker at scrape time (a passive declare per queue:
    it never creates a queue). A queue the broker does not know yet holds no message; a broker
    that cannot be reached leaves the metric out (an absent series, not a false zero)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "celery_queue_length", "Messages waiting in a Celery queue", labels=["queue"]
        )
        try:
            with self.app.connection_for_read() as connection:
                connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
                for queue in routed_queues():
                    family.add_metric([queue], self._length(connection, queue))
        except Exception as exc:  # broker away: report nothing rather than zeros
            logger.warning("queue length unavailable: %r", exc)
            return
        yield family

    @staticmethod
    def _length(connection: Any, queue: str) -> int:
        channel = connection.channel()  # a failed passive declare closes an AMQP channel
        try:
            return int(channel.queue_declare(queue=queue, passive=True).message_count)
        except connection.channel_errors:
            return 0
        finally:
            with contextlib.suppress(Exception):  # already closed by the broker
                channel.close()


def registry_for(app: Any) -> CollectorRegistry:
    """What the worker's port serves: every process's task metrics plus the queue lengths."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(QueueLengthCollector(app))
    return registry


def enabled() -> bool:
    return bool(os.environ.get("CELERY_METRICS_PORT"))


def _clear_earlier_runs() -> None:
    """Remove the value files of processes of an earlier run (an emptyDir outlives a container
    restart), before this worker's pool starts. This process's own files stay: it may have
    opened them already (and as PID 1 of a container it may reuse an earlier run's, whose
    counters then continue, which Prometheus handles like a restart)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    for path in Path(directory).glob("*.db"):
        if path.stem.rsplit("_", 1)[-1] != str(os.getpid()):
            path.unlink(missing_ok=True)


@signals.worker_init.connect
def _serve_metrics(sender: Any = None, **_: Any) -> None:
    """In the worker's main process, before the pool starts: serve the port."""
    if not enabled():
        return
    from prometheus_client import start_http_server

    from music_platform.celery import app

    _clear_earlier_runs()
    port = int(os.environ["CELERY_METRICS_PORT"])
    address = os.environ.get("CELERY_METRICS_ADDR", "0.0.0.0")
    start_http_server(port, addr=address, registry=registry_for(app))
    logger.info("Celery metrics on %s:%s", address, port)


@signals.task_prerun.connect
def _task_started(task_id: str | None = None, **_: Any) -> None:
    if task_id is not None:
        _started[task_id] = time.monotonic()


@signals.task_postrun.connect
def _task_finished(
    task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any
) -> None:
    started = _started.pop(task_id or "", None)
    name = getattr(task, "name", "unknown")
    if started is not None:
        TASK_DURATION.labels(task=name).observe(time.monotonic() - started)
    if state in STATES:
        TASKS.labels(task=name, state=STATES[state]).inc()


@signals.worker_process_shutdown.connect
def _child_exited(pid: int | None = None, **_: Any) -> None:
    """A pool child's live gauges go with it (counters and histograms are kept)."""
    if enabled() and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid or os.getpid())
