"""The accounts API takes the JSON types its schema states: a number is not a string."""

import pytest

from users.models import User
from users.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path, body, attr",
    [
        ("/api/v1/auth/token/", {"username": 12345, "password": "x"}, "username"),
        ("/api/v1/auth/token/", {"username": "ada", "password": 12345678}, "password"),
        ("/api/v1/auth/token/refresh/", {"refresh": 5}, "refresh"),
        (
            "/api/v1/auth/register/",
            {"username": "ada", "email": "ada@example.com", "password": 1234567890123},
            "password",
        ),
        ("/api/v1/auth/register/", {"username": 12345, "email": "a@example.com"}, "username"),
        ("/api/v1/auth/password-reset/", {"email": 5}, "email"),
    ],
)
def test_numbers_are_not_strings(api_client, path, body, attr):
    UserFactory(username="ada")
    response = api_client.post(path, body, format="json")
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert {"code": "invalid", "attr": attr} in [
        {"code": e["code"], "attr": e["attr"]} for e in errors
    ]
    assert User.objects.count() == 1


def test_admin_update_takes_a_json_boolean_only(client_for):
    target = UserFactory()
    admin = client_for(AdminFactory())
    response = admin.patch(f"/api/v1/users/{target.pk}/", {"is_blocked": 1}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "is_blocked"
    target.refresh_from_db()
    assert not target.is_blocked
