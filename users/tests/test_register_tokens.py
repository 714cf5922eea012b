"""POST /auth/register/ signs the new listener in: the answer carries a working token pair."""

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from users.models import User

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
BODY = {"username": "ada", "email": "ada@example.com", "password": "a-Long-passphrase-42"}


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def test_the_tokens_from_sign_up_work_like_a_login(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(REGISTER, BODY, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    user = User.objects.get(username="ada")
    assert set(body) == {"id", "username", "email", "role", "access", "refresh"}

    # The access token is the new account's.
    me = bearer(body["access"]).get("/api/v1/users/me/")
    assert me.status_code == 200
    assert me.json()["id"] == user.pk

    # The refresh token is recorded like a login's, rotates, and then stops working.
    assert OutstandingToken.objects.filter(user=user).count() == 1
    refreshed = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": body["refresh"]}, format="json"
    )
    assert refreshed.status_code == 200
    assert set(refreshed.json()) == {"access", "refresh"}
    reused = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": body["refresh"]}, format="json"
    )
    assert reused.status_code == 401

    # Logging out with the rotated refresh token revokes it too.
    new_refresh = refreshed.json()["refresh"]
    logout = bearer(refreshed.json()["access"]).post(
        "/api/v1/auth/logout/", {"refresh": new_refresh}, format="json"
    )
    assert logout.status_code == 204
    after = api_client.post("/api/v1/auth/token/refresh/", {"refresh": new_refresh}, format="json")
    assert after.status_code == 401


def test_a_refused_sign_up_gives_no_tokens_and_no_account(api_client):
    response = api_client.post(REGISTER, {**BODY, "password": "short"}, format="json")

    assert response.status_code == 400
    assert "access" not in response.content.decode()
    assert not User.objects.filter(username="ada").exists()
    assert not OutstandingToken.objects.exists()


def test_the_schema_documents_the_tokens(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    created = schema["paths"]["/api/v1/auth/register/"]["post"]["responses"]["201"]
    ref = created["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    component = schema["components"]["schemas"][ref]
    assert {"access", "refresh"} <= set(component["required"])
    assert component["properties"]["access"]["type"] == "string"
