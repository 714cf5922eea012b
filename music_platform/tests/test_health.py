import os

import pytest
from django.core.cache import cache
from django_redis.pool import ConnectionFactory

pytestmark = pytest.mark.django_db


def test_liveness(api_client):
    response = api_client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_ok(api_client):
    response = api_client.get("/health/ready/")
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "broker": "ok"},
        "failed": [],
    }


@pytest.fixture
def redis_down(settings):
    """Point the cache and the broker at a closed port, as if REDIS_URL were wrong."""
    closed = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": closed},
    }
    settings.CELERY_BROKER_URL = closed
    ConnectionFactory._pools.clear()
    yield
    ConnectionFactory._pools.clear()


def test_readiness_names_the_cache_when_redis_is_down(api_client, redis_down):
    response = api_client.get("/health/ready/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"].startswith("error")
    assert "cache" in body["failed"]


def test_redis_outage_degrades_to_cache_misses(api_client, redis_down):
    assert cache.get("anything") is None
    cache.set("anything", 1)  # swallowed, not raised
    response = api_client.get("/api/v1/users/1/")
    assert response.status_code == 404  # normal answer, not a 500


def test_metrics_are_served_to_loopback_callers_without_a_token(api_client):
    response = api_client.get("/metrics")  # the test client calls from 127.0.0.1
    assert response.status_code == 200
    assert b"django_http_requests_latency" in response.content
    assert api_client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404


def test_with_a_token_metrics_need_it(api_client, settings):
    settings.METRICS_TOKEN = "scrape-secret"
    assert api_client.get("/metrics").status_code == 404
    assert api_client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    response = api_client.get(
        "/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret", REMOTE_ADDR="203.0.113.9"
    )
    assert response.status_code == 200


def test_in_production_the_schema_and_docs_are_for_staff_only():
    """A production process (API_DOCS_PUBLIC unset, DEBUG off) refuses anonymous callers."""
    import subprocess
    import sys

    from django.conf import settings as django_settings

    code = (
        "import django; django.setup();"
        "from django.test import Client;"
        "c = Client();"
        "print(c.get('/api/schema/').status_code, c.get('/api/docs/').status_code)"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"API_DOCS_PUBLIC", "DEBUG", "PYTEST_XDIST_WORKER"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="music_platform.settings",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0",
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["401", "401"], result.stdout + result.stderr


def test_unknown_api_route_is_json_404(api_client):
    response = api_client.get("/api/v1/does-not-exist/")
    assert response.status_code == 404
    assert response.json() == {
        "type": "client_error",
        "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}],
    }


def test_method_not_allowed_is_standard(api_client):
    response = api_client.delete("/api/v1/auth/register/")
    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "method_not_allowed"
