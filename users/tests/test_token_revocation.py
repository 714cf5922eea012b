"""Access tokens stop working at once (not up to 15 minutes later) when the password changes
by any path, or when the account is deleted."""

from urllib.parse import parse_qs

import pytest
from django.core import mail

from users import tasks
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NEW = "a-Brand-new-passphrase-7"
ME = "/api/v1/users/me/"


def login(api_client, user, password=PASSWORD) -> dict:
    response = api_client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.json()
    return response.json()


def me_status(api_client, access: str) -> int:
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    try:
        response = api_client.get(ME)
    finally:
        api_client.credentials()
    if response.status_code == 401:
        assert response["WWW-Authenticate"].startswith("Bearer")
    return response.status_code


def refresh_status(api_client, refresh: str) -> int:
    return api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json"
    ).status_code


def test_a_password_change_ends_every_access_token_but_the_new_pair(api_client):
    user = UserFactory()
    phone, laptop = login(api_client, user), login(api_client, user)
    assert me_status(api_client, phone["access"]) == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {laptop['access']}")
    changed = api_client.post(
        "/api/v1/users/me/password/",
        {"old_password": PASSWORD, "new_password": NEW},
        format="json",
    )
    api_client.credentials()
    assert changed.status_code == 200
    for session in (phone, laptop):
        assert me_status(api_client, session["access"]) == 401
        assert refresh_status(api_client, session["refresh"]) == 401
    assert me_status(api_client, changed.json()["access"]) == 200
    assert refresh_status(api_client, changed.json()["refresh"]) == 200


def test_a_failed_password_change_keeps_the_tokens(api_client):
    user = UserFactory()
    session = login(api_client, user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {session['access']}")
    response = api_client.post(
        "/api/v1/users/me/password/", {"old_password": "wrong", "new_password": NEW}, format="json"
    )
    api_client.credentials()
    assert response.status_code == 400
    assert me_status(api_client, session["access"]) == 200


def test_a_password_reset_ends_the_access_tokens(api_client):
    user = UserFactory(email="rita@example.com")
    session = login(api_client, user)
    assert tasks.send_password_reset(email=user.email) == "reset"
    line = next(line for line in mail.outbox[-1].body.splitlines() if "reset-password?" in line)
    params = parse_qs(line.split("?", 1)[1])
    response = api_client.post(
        "/api/v1/auth/password-reset/confirm/",
        {"uid": params["uid"][0], "token": params["token"][0], "new_password": NEW},
        format="json",
    )
    assert response.status_code == 204
    assert me_status(api_client, session["access"]) == 401
    assert me_status(api_client, login(api_client, user, NEW)["access"]) == 200


def test_a_password_set_outside_the_api_ends_access_and_refresh_tokens(api_client):
    """The admin's "change password" form and ``changepassword`` call set_password and save,
    without blacklisting anything: the token's password digest still stops them."""
    user = UserFactory()
    session = login(api_client, user)
    user.set_password(NEW)
    user.save()
    assert me_status(api_client, session["access"]) == 401
    assert refresh_status(api_client, session["refresh"]) == 401


def test_deleting_the_account_ends_its_access_tokens(api_client):
    user = UserFactory()
    session = login(api_client, user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {session['access']}")
    assert api_client.delete(ME).status_code == 204
    api_client.credentials()
    assert me_status(api_client, session["access"]) == 401
    assert refresh_status(api_client, session["refresh"]) == 401


def test_a_token_without_the_password_digest_is_refused(api_client):
    """Tokens minted before the digest claim existed (or by code that forgot it) fail."""
    from rest_framework_simplejwt.settings import api_settings
    from rest_framework_simplejwt.tokens import AccessToken

    user = UserFactory()
    token = AccessToken.for_user(user)
    assert me_status(api_client, str(token)) == 200
    del token[api_settings.REVOKE_TOKEN_CLAIM]
    assert me_status(api_client, str(token)) == 401
