"""Liveness and readiness probes, and the guarded Prometheus endpoint."""

import hmac

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django_redis import get_redis_connection
from kombu import Connection


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
    return ExportToDjangoView(request)
