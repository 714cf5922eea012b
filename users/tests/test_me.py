"""Self-service account deletion at DELETE /users/me/ (issue 11: it was a 405)."""

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/me/"


def test_delete_me_removes_the_account_and_its_tokens(api_client, client_for):
    user = UserFactory()
    refresh = str(RefreshToken.for_user(user))
    client = client_for(user)
    response = client.delete(URL)
    assert response.status_code == 204
    assert response.content == b""
    assert not User.objects.filter(pk=user.pk).exists()
    assert client.get(URL).status_code == 401
    again = api_client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert again.status_code == 401


def test_anonymous_delete_is_401_in_the_standard_format(client_for):
    response = client_for().delete(URL)
    assert response.status_code == 401
    assert response.json()["type"] == "client_error"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_head_and_options_delete_nothing(client_for):
    user = UserFactory()
    client = client_for(user)
    assert client.head(URL).status_code == 200
    assert client.options(URL).status_code == 200
    assert User.objects.filter(pk=user.pk).exists()


def test_a_body_is_ignored_and_other_accounts_stay(client_for):
    user, other = UserFactory(), UserFactory()
    response = client_for(user).generic("DELETE", URL, f'{{"id": {other.pk}}}', "application/json")
    assert response.status_code == 204
    assert User.objects.filter(pk=other.pk).exists()
    assert not User.objects.filter(pk=user.pk).exists()


def test_put_is_405_in_the_standard_format(client_for):
    response = client_for(UserFactory()).put(URL, {"bio": "x"}, format="json")
    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "method_not_allowed"
