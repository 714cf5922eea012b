"""A real Celery worker as the worker-default Deployment runs it (one queue, metrics on its
own port): it exports task metrics (states, durations, queue lengths), and a heavy task never
lands on or runs from the default queue. The Grafana dashboards are checked against what the
web, realtime and worker processes really export (their live /metrics)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
import yaml
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from common.tasks import queue_name, send_task_now
from deploy.tests.manifests import ROOT
from deploy.tests.promql import (
    EXPORTER_PREFIXES,
    PROMETHEUS_BUILTIN,
    exported_metrics,
    queried_metrics,
)
from music_platform.celery import app

DASHBOARDS = sorted((ROOT / "deploy/grafana/dashboards").glob("*.json"))
HEAVY_TASKS = sorted(
    name
    for name, route in settings.CELERY_TASK_ROUTES.items()
    if route["queue"] == queue_name("heavy")
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def queue_length(queue: str) -> int:
    with app.connection_for_read() as connection:
        channel = connection.channel()
        try:
            return channel.queue_declare(queue=queue, passive=True).message_count
        except connection.channel_errors:
            return 0
        finally:
            with contextlib.suppress(Exception):
                channel.close()


def purge(queues: list[str]) -> None:
    with app.connection_for_write() as connection:
        for queue in queues:
            channel = connection.channel()
            with contextlib.suppress(*connection.channel_errors):
                channel.queue_purge(queue)
            with contextlib.suppress(Exception):
                channel.close()


def samples(exposition: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


class Worker:
    def __init__(self, port: int, process: subprocess.Popen) -> None:
        self.port, self.process = port, process

    def scrape(self) -> str:
        return requests.get(f"http://127.0.0.1:{self.port}/metrics", timeout=10).text

    def wait_for(self, condition, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                found = samples(self.scrape())
                if condition(found):
                    return found
            except requests.ConnectionError:
                pass
            assert self.process.poll() is None, "the worker exited"
            assert time.monotonic() < deadline, "the worker did not get there in time"
            time.sleep(0.3)


@pytest.fixture(scope="module")
def default_worker(tmp_path_factory):
    """`celery worker -Q default` with CELERY_METRICS_PORT, prefork with one child (the
    production shape: metrics from child processes), on a database that does not exist: a
    task needing it fails (or is retried, under the retry policy), and nothing is written."""
    queues = [queue_name(q) for q in ("default", "heavy", "media", "feeds")]
    purge(queues)
    port = free_port()
    metrics_dir = tmp_path_factory.mktemp("worker-metrics")
    base = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "music_platform.settings_test",
        "DATABASE_URL": f"postgres://{base['USER']}@{base['HOST']}:{base['PORT'] or 5432}/"
        f"{base['NAME']}_does_not_exist",
        "CELERY_METRICS_PORT": str(port),
        "CELERY_METRICS_ADDR": "127.0.0.1",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    stale = metrics_dir / "counter_999999.db"  # an earlier run's: cleared at start
    stale.write_bytes(b"stale")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "music_platform", "worker",
         "-Q", queue_name("default"), "--concurrency=1", "--loglevel=WARNING",
         "-n", f"deploy-test-{uuid.uuid4().hex[:8]}@%h",
         "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=settings.BASE_DIR, env=env,
    )  # fmt: skip
    worker = Worker(port, process)
    try:
        worker.wait_for(lambda found: True, timeout=60)  # the port answers
        assert not stale.exists()
        yield worker
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        purge(queues)


def state(task: str, outcome: str) -> tuple[str, tuple]:
    return ("celery_tasks_total", (("state", outcome), ("task", task)))


OUTCOMES = {
    # a task needing no database succeeds; one needing it fails; one under the retry policy
    # (database errors are temporary) is retried
    ("celery.accumulate", "succeeded"): {},
    ("users.flush_expired_tokens", "failed"): {},
    ("recommendations.refresh_user", "retried"): {"user_id": 1},
}


def run_one_task_of_each_outcome(worker: Worker) -> dict:
    """Send them (the test Redis broker is flushed before each test) and wait for the
    worker's counters to move."""
    before = samples(worker.scrape())
    for (task, _), kwargs in OUTCOMES.items():
        send_task_now(task, kwargs=kwargs, task_id=str(uuid.uuid4()))
    return worker.wait_for(
        lambda found: all(
            found.get(state(*key), 0) > before.get(state(*key), 0) for key in OUTCOMES
        )
    ), before


@pytest.mark.slow
def test_the_worker_exports_task_states_durations_and_queue_lengths(default_worker):
    for name in HEAVY_TASKS:
        send_task_now(name, task_id=str(uuid.uuid4()))
    found, before = run_one_task_of_each_outcome(default_worker)
    assert (
        found[state("celery.accumulate", "succeeded")]
        - before.get(state("celery.accumulate", "succeeded"), 0)
        == 1
    )
    duration = ("celery_task_duration_seconds_count", (("task", "celery.accumulate"),))
    assert found[duration] - before.get(duration, 0) == 1
    # the heavy queue's messages wait for their own worker
    assert found[("celery_queue_length", (("queue", queue_name("heavy")),))] == len(HEAVY_TASKS)
    assert found[("celery_queue_length", (("queue", queue_name("media")),))] == 0


@pytest.mark.slow
def test_a_heavy_task_never_lands_on_or_runs_from_the_default_queue(default_worker):
    assert HEAVY_TASKS  # model builds, user refreshes, rollups, platform charts
    for name in HEAVY_TASKS:
        send_task_now(name, task_id=str(uuid.uuid4()))
    assert queue_length(queue_name("default")) == 0
    assert queue_length(queue_name("heavy")) == len(HEAVY_TASKS)
    # the default worker keeps taking its own tasks meanwhile, never the heavy ones
    run_one_task_of_each_outcome(default_worker)
    time.sleep(1)  # time enough for a wrongly routed message to be taken
    assert queue_length(queue_name("heavy")) == len(HEAVY_TASKS)
    ran = {
        dict(labels)["task"]
        for (name, labels) in samples(default_worker.scrape())
        if name == "celery_tasks_total"
    }
    assert ran and not ran & set(HEAVY_TASKS), ran


def realtime_metrics() -> str:
    """The realtime process's own /metrics: its ASGI application (music_platform.asgi, all
    it imports loaded), called as uvicorn calls it."""
    from music_platform.asgi import application

    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": "/metrics", "method": "GET", "headers": []}
    asyncio.run(application(scope, receive, send))
    assert sent[0]["status"] == 200
    return sent[1]["body"].decode()


def dashboard_queries() -> dict[str, list[str]]:
    queries = {}
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())  # valid JSON, or the test fails here
        assert dashboard["uid"] and dashboard["title"] and dashboard["panels"], path.name
        for panel in dashboard["panels"]:
            assert panel["description"], f"{path.name}: {panel['title']}"
            assert panel["datasource"]["uid"] == "prometheus"
            exprs = [target["expr"] for target in panel["targets"]]
            assert exprs, f"{path.name}: {panel['title']} has no query"
            queries[f"{path.name}: {panel['title']}"] = exprs
    alerts = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    for group in alerts["groups"]:
        for rule in group["rules"]:
            queries[f"alerts.yml: {rule['alert']}"] = [rule["expr"]]
    return queries


def test_promql_names_are_found_and_unknown_ones_flagged():
    expr = (
        'histogram_quantile(0.95, sum by (le, view) (rate(a_seconds_bucket{status=~"5.."}[5m])))'
        " / clamp_min(sum(rate(b_total[5m])), 1) > 2 and on (job) up"
    )
    assert queried_metrics(expr) == {"a_seconds_bucket", "b_total", "up"}


@pytest.mark.slow
@pytest.mark.django_db
def test_the_dashboards_query_only_metrics_the_processes_export(default_worker, client):
    web = client.get("/metrics")  # loopback, as Prometheus beside the pod
    assert web.status_code == 200
    run_one_task_of_each_outcome(default_worker)  # multiprocess mode exports used metrics
    exported = (
        exported_metrics(web.content.decode())
        | exported_metrics(realtime_metrics())
        | exported_metrics(default_worker.scrape())
    )
    assert len(DASHBOARDS) >= 4
    unknown = {}
    for where, exprs in dashboard_queries().items():
        for expr in exprs:
            for name in queried_metrics(expr):
                if (
                    name in exported
                    or name in PROMETHEUS_BUILTIN
                    or name.startswith(EXPORTER_PREFIXES)
                ):
                    continue
                unknown.setdefault(where, set()).add(name)
    assert unknown == {}
    # and the dashboards cover what the issue asks for
    names = set().union(*(queried_metrics(e) for es in dashboard_queries().values() for e in es))
    for wanted in ("django_http_requests_latency_seconds_by_view_method_bucket",
                   "django_http_responses_total_by_status_view_method_total",
                   "mp_analytics_events_ingested_total", "celery_tasks_total",
                   "celery_task_duration_seconds_bucket", "celery_queue_length",
                   "realtime_open_sockets", "mp_stream_bytes_total"):  # fmt: skip
        assert wanted in names


def test_dashboard_files_are_the_ones_provisioned():
    assert {path.name for path in DASHBOARDS} == {
        "api.json",
        "tasks.json",
        "realtime.json",
        "datastores.json",
    }
    assert all(Path(p).suffix == ".json" for p in DASHBOARDS)
