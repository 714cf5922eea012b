"""Password logins: per-account lockout that expires and grows, a loose per-IP ceiling, the same
limits on the admin login form, and what happens when Redis is down (issue 11)."""

import pytest

from users import lockout
from users.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NAT = "100.64.0.1"  # one carrier-NAT address for everybody


def login(client, username, password=PASSWORD, ip=NAT):
    return client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=ip,
    )


@pytest.fixture
def clock(monkeypatch):
    """The lockout's clock, moved by hand (locks compare timestamps, Redis TTLs only bound)."""

    class Clock:
        now = 2_000_000_000.0

        def advance(self, seconds):
            self.now += seconds

    clock = Clock()
    monkeypatch.setattr(lockout, "_now", lambda: clock.now)
    return clock


def locked_body(wait):
    return {
        "type": "client_error",
        "errors": [
            {
                "code": "throttled",
                "detail": "Too many failed logins for this account."
                f" Expected available in {wait} seconds.",
                "attr": None,
            }
        ],
    }


def test_five_wrong_passwords_lock_the_account_even_with_the_right_one(api_client, clock):
    UserFactory(username="victim")
    for _ in range(5):
        assert login(api_client, "victim", "guess").status_code == 401
    response = login(api_client, "victim")  # the right password, from the same or any IP
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response.json() == locked_body(60)
    assert login(api_client, "VICTIM", ip="198.51.100.7").status_code == 429


def test_lockout_expires_then_the_owner_logs_in_and_it_is_forgotten(api_client, clock):
    UserFactory(username="victim")
    for _ in range(5):
        login(api_client, "victim", "guess")
    clock.advance(61)
    assert login(api_client, "victim").status_code == 200
    # Forgotten: the next mistakes start from zero and the next lock is short again.
    for _ in range(4):
        assert login(api_client, "victim", "typo").status_code == 401
    assert login(api_client, "victim").status_code == 200


def test_repeated_lockouts_grow_up_to_the_cap(api_client, clock, settings):
    settings.LOGIN_LOCKOUT_MAX = 200
    UserFactory(username="victim")
    waits = []
    for _ in range(4):
        for _ in range(5):
            assert login(api_client, "victim", "guess").status_code == 401
        response = login(api_client, "victim", "guess")
        waits.append(int(response["Retry-After"]))
        clock.advance(waits[-1] + 1)
    assert waits == [60, 120, 200, 200]
    assert login(api_client, "victim").status_code == 200


def test_users_behind_one_nat_do_not_lock_each_other_out(api_client, clock):
    """Regression: the limit was per IP only; 20 failures from a NAT address locked out
    everyone behind it."""
    people = [UserFactory(username=f"commuter{n}") for n in range(25)]
    for person in people:
        assert login(api_client, person.username, "typo").status_code == 401
    for _ in range(5):
        login(api_client, "commuter0", "guess")
    assert login(api_client, "commuter0").status_code == 429
    for person in people[1:]:
        assert login(api_client, person.username).status_code == 200


def test_unknown_usernames_lock_the_same_way(api_client, clock):
    """A lock says nothing about whether the account exists."""
    for _ in range(5):
        assert login(api_client, "nobody-here", "guess").status_code == 401
    assert login(api_client, "nobody-here", "guess").json() == locked_body(60)


def test_blocked_account_password_cannot_be_guessed_past_the_lock(api_client, clock):
    """The "blocked" answer needs the right password, so it too waits behind the lockout."""
    UserFactory(username="blocked", is_blocked=True)
    for _ in range(5):
        assert login(api_client, "blocked", "guess").status_code == 401
    assert login(api_client, "blocked").status_code == 429


def test_with_redis_down_logins_work_and_nobody_is_locked_out(api_client, settings, clock):
    """Fail open (README): counters are unreadable, so no lock; the password check holds."""
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    UserFactory(username="someone")
    for _ in range(8):
        assert login(api_client, "someone", "guess").status_code == 401
    assert login(api_client, "someone").status_code == 200


class TestAdminLogin:
    """Regression: /admin/login/ took 60 wrong passwords in 70 s, then the right one."""

    def post(self, client, username, password=PASSWORD, ip=NAT):
        return client.post(
            "/admin/login/",
            {"username": username, "password": password, "next": "/admin/"},
            REMOTE_ADDR=ip,
        )

    def test_account_locks_after_five_failures_with_429_and_a_message(self, client, clock):
        AdminFactory(username="boss")
        for _ in range(5):
            response = self.post(client, "boss", "guess")
            assert response.status_code == 200  # the form again, with its error
        response = self.post(client, "boss")
        assert response.status_code == 429
        assert response["Retry-After"] == "60"
        assert b"Too many failed logins for this account" in response.content
        assert "_auth_user_id" not in client.session
        clock.advance(61)
        response = self.post(client, "boss")
        assert response.status_code == 302
        assert client.session["_auth_user_id"]

    def test_api_and_admin_failures_count_together(self, client, api_client, clock):
        AdminFactory(username="boss")
        for _ in range(3):
            login(api_client, "boss", "guess")
        for _ in range(2):
            self.post(client, "boss", "guess")
        assert self.post(client, "boss").status_code == 429
        assert login(api_client, "boss").status_code == 429

    def test_per_ip_ceiling_is_shared_with_the_api(self, client, api_client, settings):
        settings.LOGIN_RATE_PER_IP = "10/m"
        AdminFactory(username="boss")
        for n in range(10):
            self.post(client, f"spray{n}", "guess")
        response = self.post(client, "boss")
        assert response.status_code == 429
        assert response.json()["errors"][0]["code"] == "throttled"
        assert int(response["Retry-After"]) >= 1
        assert login(api_client, "boss").status_code == 429
        assert self.post(client, "boss", ip="203.0.113.9").status_code == 302

    def test_blocked_staff_cannot_log_in_to_the_admin(self, client):
        AdminFactory(username="gone", is_blocked=True)
        response = self.post(client, "gone")
        assert response.status_code == 200
        assert b"This account is blocked." in response.content
        assert "_auth_user_id" not in client.session

    def test_blocking_ends_an_open_admin_session(self, client):
        boss = AdminFactory(username="boss")
        assert self.post(client, "boss").status_code == 302
        assert client.get("/admin/").status_code == 200
        boss.is_blocked = True
        boss.save()
        response = client.get("/admin/")
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")

    def test_get_and_head_are_not_counted(self, client, settings):
        settings.LOGIN_RATE_PER_IP = "2/m"
        for _ in range(5):
            assert client.get("/admin/login/", REMOTE_ADDR=NAT).status_code == 200
            assert client.head("/admin/login/", REMOTE_ADDR=NAT).status_code == 200
        AdminFactory(username="boss")
        assert self.post(client, "boss").status_code == 302
