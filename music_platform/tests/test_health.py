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


def test_metrics_endpoint(api_client):
    response = api_client.get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests_latency" in response.content


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
