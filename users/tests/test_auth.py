import pytest
from django.core.cache import cache
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from users.models import User
from users.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def register(client, **overrides):
    body = {"username": "alice", "email": "alice@example.com", "password": "s3cure-Passw0rd!"}
    body.update(overrides)
    return client.post("/api/v1/auth/register/", body, format="json")


def login(client, username, password=PASSWORD):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def owner_of(tokens: dict) -> tuple[str, str]:
    """The user ids inside an ``{access, refresh}`` pair (signature and expiry verified)."""
    claim = jwt_settings.USER_ID_CLAIM
    return str(AccessToken(tokens["access"])[claim]), str(RefreshToken(tokens["refresh"])[claim])


def test_full_auth_flow(api_client, queued_tasks, django_capture_on_commit_callbacks):
    UserFactory(username="mallory")  # the tokens must name alice, not another user
    with django_capture_on_commit_callbacks(execute=True):
        response = register(api_client)
    assert response.status_code == 201
    user = User.objects.get(username="alice")
    # The address is attached once confirmed (test_email.py); a worker mails the link.
    body = response.json()
    tokens_at_sign_up = {"access": body.pop("access"), "refresh": body.pop("refresh")}
    assert body == {"id": user.id, "username": "alice", "email": "", "role": "listener"}
    assert owner_of(tokens_at_sign_up) == (str(user.id), str(user.id))
    assert [task[:2] for task in queued_tasks()] == [
        ("users.send_email_confirmation", {"user_id": user.id, "email": "alice@example.com"})
    ]

    tokens = login(api_client, "alice", "s3cure-Passw0rd!").json()
    assert set(tokens) == {"access", "refresh"}
    assert owner_of(tokens) == (str(user.id), str(user.id))

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    me = api_client.get("/api/v1/users/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "alice"

    refreshed = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert refreshed.status_code == 200
    new = refreshed.json()
    assert new["refresh"] != tokens["refresh"]
    assert owner_of(new) == (str(user.id), str(user.id))
    reused = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
    )
    assert reused.status_code == 401
    assert reused.json()["type"] == "client_error"

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {new['access']}")
    out = api_client.post("/api/v1/auth/logout/", {"refresh": new["refresh"]}, format="json")
    assert out.status_code == 204
    after = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": new["refresh"]}, format="json"
    )
    assert after.status_code == 401


def test_login_is_case_insensitive_on_username(api_client):
    bob = UserFactory(username="Bob")
    UserFactory(username="bobby")
    response = login(api_client, "bob")
    assert response.status_code == 200
    assert owner_of(response.json()) == (str(bob.id), str(bob.id))


def test_wrong_password_is_401_in_standard_format(api_client):
    UserFactory(username="carol")
    response = login(api_client, "carol", "nope")
    assert response.status_code == 401
    body = response.json()
    assert body["type"] == "client_error"
    assert body["errors"][0]["code"] == "no_active_account"


def test_logout_with_someone_elses_refresh_token_is_refused(client_for, api_client):
    mine, theirs = UserFactory(), UserFactory()
    their_refresh = login(api_client, theirs.username).json()["refresh"]
    response = client_for(mine).post(
        "/api/v1/auth/logout/", {"refresh": their_refresh}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "refresh"
    again = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": their_refresh}, format="json"
    )
    assert again.status_code == 200


def test_logout_requires_authentication(api_client):
    assert (
        api_client.post("/api/v1/auth/logout/", {"refresh": "x"}, format="json").status_code == 401
    )


class TestBlocking:
    def test_blocked_user_cannot_log_in(self, api_client):
        UserFactory(username="dave", is_blocked=True)
        response = login(api_client, "dave")
        assert response.status_code == 401
        assert response.json()["errors"] == [
            {"code": "authentication_failed", "detail": "This account is blocked.", "attr": None}
        ]

    def test_tokens_issued_before_the_block_stop_working(self, api_client, client_for):
        user = UserFactory(username="erin")
        tokens = login(api_client, "erin").json()
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
        assert api_client.get("/api/v1/users/me/").status_code == 200

        admin = AdminFactory()
        blocked = client_for(admin).patch(
            f"/api/v1/users/{user.id}/", {"is_blocked": True}, format="json"
        )
        assert blocked.status_code == 200

        assert api_client.get("/api/v1/users/me/").status_code == 401
        api_client.credentials()
        refresh = api_client.post(
            "/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json"
        )
        assert refresh.status_code == 401

    def test_unblocked_user_can_log_in_again(self, api_client, client_for):
        user = UserFactory(username="frank", is_blocked=True)
        client_for(AdminFactory()).patch(
            f"/api/v1/users/{user.id}/", {"is_blocked": False}, format="json"
        )
        assert login(api_client, "frank").status_code == 200


class TestRegistrationBadInput:
    def test_malformed_json(self, api_client):
        response = api_client.post(
            "/api/v1/auth/register/", data="{not json", content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json()["type"] == "client_error"
        assert response.json()["errors"][0]["code"] == "parse_error"
        assert not User.objects.exists()

    def test_missing_fields(self, api_client):
        response = api_client.post("/api/v1/auth/register/", {}, format="json")
        assert response.status_code == 400
        body = response.json()
        assert body["type"] == "validation_error"
        assert {e["attr"] for e in body["errors"]} == {"username", "email", "password"}
        assert {e["code"] for e in body["errors"]} == {"required"}

    def test_wrong_types(self, api_client):
        response = register(api_client, username=["x"], email=12, password={"a": 1})
        assert response.status_code == 400
        assert response.json()["type"] == "validation_error"
        assert not User.objects.exists()

    def test_weak_password(self, api_client):
        response = register(api_client, password="password")
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert all(e["attr"] == "password" for e in errors)
        assert not User.objects.exists()

    def test_password_too_similar_to_username(self, api_client):
        response = register(api_client, username="melodymaker", password="melodymaker1")
        assert response.status_code == 400
        assert not User.objects.exists()

    def test_username_taken_differing_only_in_case(self, api_client):
        assert register(api_client).status_code == 201
        response = register(api_client, username="ALICE", email="other@example.com")
        assert response.status_code == 400
        assert response.json() == {
            "type": "validation_error",
            "errors": [
                {
                    "code": "unique",
                    "detail": "A user with that username already exists.",
                    "attr": "username",
                }
            ],
        }
        assert User.objects.count() == 1

    def test_oversized_body(self, api_client, settings):
        settings.API_MAX_JSON_BODY = 10_000
        response = register(api_client, username="x" * 20_000)
        assert response.status_code == 413
        assert response.json() == {
            "type": "client_error",
            "errors": [
                {
                    "code": "request_too_large",
                    "detail": "Request body is larger than 10000 bytes.",
                    "attr": None,
                }
            ],
        }
        assert not User.objects.exists()

    def test_invalid_username_characters(self, api_client):
        response = register(api_client, username="bad name!")
        assert response.status_code == 400
        assert response.json()["errors"][0]["attr"] == "username"


def test_registration_rate_limit_per_ip(api_client):
    cache.clear()
    for n in range(10):
        response = register(api_client, username=f"user{n}x", email=f"u{n}@example.com")
        assert response.status_code == 201, response.json()
    response = register(api_client, username="eleventh", email="eleven@example.com")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    body = response.json()
    assert body["type"] == "client_error"
    assert body["errors"][0]["code"] == "throttled"
    assert not User.objects.filter(username="eleventh").exists()
    other_ip = api_client.post(
        "/api/v1/auth/register/",
        {"username": "fromelsewhere", "email": "e@example.com", "password": "s3cure-Passw0rd!"},
        format="json",
        REMOTE_ADDR="10.1.2.3",
    )
    assert other_ip.status_code == 201


def test_login_per_ip_ceiling_counts_every_account(api_client, settings):
    """The per-IP ceiling still stops one address spraying many accounts."""
    settings.LOGIN_RATE_PER_IP = "30/m"
    UserFactory(username="gina")
    for n in range(30):
        assert login(api_client, f"nobody{n}", "wrong").status_code == 401
    response = login(api_client, "gina")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert response.json()["errors"][0]["code"] == "throttled"


def test_garbage_bearer_token_is_one_clear_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    response = api_client.get("/api/v1/users/me/")
    assert response.status_code == 401
    assert response.json() == {
        "type": "client_error",
        "errors": [
            {
                "code": "authentication_failed",
                "detail": "Token is invalid or expired.",
                "attr": None,
            }
        ],
    }


def test_garbage_refresh_token_is_one_clear_401(api_client):
    response = api_client.post("/api/v1/auth/token/refresh/", {"refresh": "x"}, format="json")
    assert response.status_code == 401
    assert response.json()["errors"] == [
        {"code": "authentication_failed", "detail": "Token is invalid or expired.", "attr": None}
    ]


ONE_401 = {
    "type": "client_error",
    "errors": [
        {"code": "authentication_failed", "detail": "Token is invalid or expired.", "attr": None}
    ],
}


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Bearer ", "Bearer a.b.c"])
def test_every_invalid_token_401_carries_the_bearer_challenge(api_client, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)
    response = api_client.get("/api/v1/users/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_no_token_401_carries_the_bearer_challenge(api_client):
    response = api_client.get("/api/v1/users/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_deleted_users_token_is_one_clear_401(client_for):
    user = UserFactory()
    client = client_for(user)
    user.delete()
    response = client.get("/api/v1/users/me/")
    assert response.status_code == 401
    assert response.json() == ONE_401
    assert response["WWW-Authenticate"].startswith("Bearer")
