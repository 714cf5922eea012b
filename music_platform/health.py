"""Liveness and readiness probes, and the guarded Prometheus endpoint."""

import glob
import hmac
import os

import prometheus_client
from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django_redis import get_redis_connection
from kombu import Connection
from prometheus_client import multiprocess


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _check_cache() -> None:
    # The cache client swallows errors (IGNORE_EXCEPTIONS), so ping the server directly.
    get_redis_connection("default").ping()


def _check_broker() -> None:
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=1) as conn:
        conn.ensure_connection(max_retries=1, timeout=1)


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


def live(request):
    return JsonResponse({"status": "ok"})


def ready(request):
    results, failed = {}, []
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # any failure means "not ready"; report which one
            results[name] = f"error: {exc.__class__.__name__}"
            failed.append(name)
    body = {"status": "ok" if not failed else "unavailable", "checks": results, "failed": failed}
    return JsonResponse(body, status=503 if failed else 200)


def metrics(request):
    """Prometheus metrics for the scraper only: with ``METRICS_TOKEN`` set, a request must
    carry it as a Bearer token; without one, only loopback callers (a sidecar or a private
    bind) get them. Everyone else gets the same 404 as any unknown URL."""
    from django_prometheus.exports import ExportToDjangoView

    from common.errors import not_found

    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        allowed = hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    else:
        allowed = request.META.get("REMOTE_ADDR") in {"127.0.0.1", "::1"}
    if not allowed:
        return not_found(request)
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return ExportToDjangoView(request)
    registry = prometheus_client.CollectorRegistry()
    _StartedFilesCollector(registry)
    page = prometheus_client.generate_latest(registry)
    return HttpResponse(page, content_type=prometheus_client.CONTENT_TYPE_LATEST)


class _StartedFilesCollector(multiprocess.MultiProcessCollector):
    """Every worker's metrics files, as prometheus_client's collector reads them, except a file
    a worker has just created and not yet sized (empty: it holds no values yet). Reading one
    of those raised ``struct.error`` and made the scrape a 500 (seen when a worker counted its
    first request of a kind while another answered the scrape)."""

    def collect(self):
        files = []
        for path in glob.glob(os.path.join(self._path, "*.db")):
            try:
                if os.path.getsize(path) > 0:
                    files.append(path)
            except OSError:  # removed meanwhile (a dead worker's gauges)
                pass
        return self.merge(files, accumulate=True)
