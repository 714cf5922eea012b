"""common.ratelimit.client_ip: forwarded headers are believed only from TRUSTED_PROXIES."""

import pytest
from django.test import RequestFactory

from common.ratelimit import client_ip

PASSWORD = "correct-horse-battery"


def ip_of(remote, **headers):
    return client_ip("g", RequestFactory().get("/", REMOTE_ADDR=remote, **headers))


@pytest.fixture
def behind_proxy(settings):
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_REAL_IP"
    settings.TRUSTED_PROXIES = ["127.0.0.1", "::1", "10.0.0.0/8"]


@pytest.mark.usefixtures("behind_proxy")
class TestClientIp:
    def test_header_from_a_trusted_proxy_names_the_client(self):
        assert ip_of("127.0.0.1", HTTP_X_REAL_IP="203.0.113.5") == "203.0.113.5"
        assert ip_of("10.1.2.3", HTTP_X_REAL_IP="203.0.113.5") == "203.0.113.5"
        assert ip_of("::1", HTTP_X_REAL_IP="2001:db8::1") == "2001:db8::1"

    def test_header_from_anyone_else_is_ignored(self):
        assert ip_of("198.51.100.9", HTTP_X_REAL_IP="203.0.113.5") == "198.51.100.9"

    def test_chain_takes_the_right_most_untrusted_hop(self, settings):
        settings.RATELIMIT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"
        chain = "1.2.3.4, 203.0.113.5, 10.0.0.7"  # "1.2.3.4" is what the client typed
        assert ip_of("127.0.0.1", HTTP_X_FORWARDED_FOR=chain) == "203.0.113.5"
        assert ip_of("127.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.7, 10.0.0.8") == "10.0.0.7"

    def test_missing_or_garbage_values_never_fail(self):
        assert ip_of("127.0.0.1") == "127.0.0.1"
        assert ip_of("127.0.0.1", HTTP_X_REAL_IP=" , ") == "127.0.0.1"
        assert ip_of("not-an-ip", HTTP_X_REAL_IP="203.0.113.5") == "not-an-ip"
        assert ip_of("", HTTP_X_REAL_IP="203.0.113.5") == "unknown"

    def test_default_setting_ignores_headers(self, settings):
        settings.RATELIMIT_IP_META_KEY = "REMOTE_ADDR"
        assert ip_of("198.51.100.9", HTTP_X_REAL_IP="203.0.113.5") == "198.51.100.9"


@pytest.mark.django_db
@pytest.mark.usefixtures("behind_proxy")
def test_rotating_x_real_ip_straight_to_gunicorn_does_not_escape_the_login_ceiling(
    api_client, settings
):
    """Regression (compose setting RATELIMIT_IP_META_KEY=HTTP_X_REAL_IP): a client reaching
    gunicorn directly sent a new X-Real-IP per request and was never limited."""
    settings.LOGIN_RATE_PER_IP = "10/m"
    statuses = [
        api_client.post(
            "/api/v1/auth/token/",
            {"username": f"spray{n}", "password": "guess"},
            format="json",
            REMOTE_ADDR="198.51.100.9",
            HTTP_X_REAL_IP=f"203.0.113.{n}",
        ).status_code
        for n in range(12)
    ]
    assert statuses == [401] * 10 + [429] * 2
    # Through the proxy, each real client keeps its own bucket.
    via_proxy = api_client.post(
        "/api/v1/auth/token/",
        {"username": "spray0", "password": "guess"},
        format="json",
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_REAL_IP="203.0.113.200",
    )
    assert via_proxy.status_code == 401
