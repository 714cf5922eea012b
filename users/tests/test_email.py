"""E-mail addresses are attached only when their owner confirms them, so neither registration
nor PATCH /users/me/ tells anyone whether an address is registered (issue 11)."""

from urllib.parse import unquote

import pytest
from django.core import mail
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from users import services, tasks
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CONFIRM = "/api/v1/auth/email/confirm/"


def register(client, **overrides):
    body = {"username": "newbie", "email": "taken@example.com", "password": "s3cure-Passw0rd!"}
    body.update(overrides)
    return client.post("/api/v1/auth/register/", body, format="json")


def run_queued(queued_tasks):
    """Run what the requests queued, as the worker would; return what each task sent."""
    return [getattr(tasks, name.split(".")[1])(**kwargs) for name, kwargs, _ in queued_tasks()]


def mailed_token() -> str:
    line = next(line for line in mail.outbox[-1].body.splitlines() if "token=" in line)
    return unquote(line.split("token=", 1)[1])


@pytest.fixture
def owner():
    return UserFactory(username="owner", email="taken@example.com")


class TestRegistration:
    def test_same_answer_whether_or_not_the_address_is_registered(
        self, api_client, owner, queued_tasks, django_capture_on_commit_callbacks
    ):
        """Regression: a taken e-mail was a 400 "A user with that e-mail already exists."."""
        with django_capture_on_commit_callbacks(execute=True):
            taken = register(api_client, username="probe1", email="TAKEN@example.com")
            free = register(api_client, username="probe2", email="free@example.com")
        assert taken.status_code == free.status_code == 201
        per_account = ("id", "username", "access", "refresh")
        shape = {key: value for key, value in taken.json().items() if key not in per_account}
        assert shape == {"email": "", "role": "listener"}
        assert {k: v for k, v in free.json().items() if k not in per_account} == shape
        assert set(taken.json()) == set(free.json())
        # The worker mails the existing owner a notice, the free address a confirmation.
        assert run_queued(queued_tasks) == ["notice", "confirmation"]
        notice, confirmation = mail.outbox
        assert notice.to == ["TAKEN@example.com"]
        assert notice.subject == "Someone tried to use your e-mail address"
        assert confirmation.to == ["free@example.com"]
        owner.refresh_from_db()
        assert owner.email == "taken@example.com"

    def test_confirmation_link_attaches_the_address_once(
        self, api_client, queued_tasks, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            user_id = register(api_client, email="me@example.com").json()["id"]
        run_queued(queued_tasks)
        token = mailed_token()
        assert api_client.post(CONFIRM, {"token": token}, format="json").status_code == 204
        assert User.objects.get(pk=user_id).email == "me@example.com"
        again = api_client.post(CONFIRM, {"token": token}, format="json")
        assert again.status_code == 400
        assert again.json()["errors"] == [
            {
                "code": "invalid_token",
                "detail": "This link is invalid or has expired.",
                "attr": "token",
            }
        ]

    def test_a_link_for_an_address_taken_meanwhile_is_refused(self, api_client):
        user = UserFactory(email="")
        token = services.email_confirmation_token(user=user, email="race@example.com")
        UserFactory(email="Race@example.com")
        response = api_client.post(CONFIRM, {"token": token}, format="json")
        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] == "email_taken"
        user.refresh_from_db()
        assert user.email == ""


class TestMePatch:
    def test_same_answer_whether_or_not_the_address_is_registered(
        self, client_for, owner, queued_tasks, django_capture_on_commit_callbacks
    ):
        """Regression: PATCH {"email": <someone's address>} was a 400 naming it as taken."""
        prober = UserFactory(username="prober", email="prober@example.com")
        client = client_for(prober)
        with django_capture_on_commit_callbacks(execute=True):
            taken = client.patch("/api/v1/users/me/", {"email": "taken@example.com"})
            free = client.patch("/api/v1/users/me/", {"email": "free@example.com"})
        assert taken.status_code == free.status_code == 200
        assert taken.json() == free.json()
        assert taken.json()["email"] == "prober@example.com"  # unchanged until confirmed
        assert run_queued(queued_tasks) == ["notice", "confirmation"]
        assert [m.to for m in mail.outbox] == [["taken@example.com"], ["free@example.com"]]
        response = client.post(CONFIRM, {"token": mailed_token()}, format="json")
        assert response.status_code == 204
        prober.refresh_from_db()
        assert prober.email == "free@example.com"

    def test_the_old_link_dies_when_the_address_changes(self, api_client):
        user = UserFactory(email="one@example.com")
        first = services.email_confirmation_token(user=user, email="two@example.com")
        second = services.email_confirmation_token(user=user, email="three@example.com")
        assert api_client.post(CONFIRM, {"token": second}, format="json").status_code == 204
        assert api_client.post(CONFIRM, {"token": first}, format="json").status_code == 400
        user.refresh_from_db()
        assert user.email == "three@example.com"

    def test_e_mail_changes_are_rate_limited(self, client_for):
        client = client_for(UserFactory())
        for n in range(5):
            response = client.patch("/api/v1/users/me/", {"email": f"n{n}@example.com"})
            assert response.status_code == 200
        response = client.patch("/api/v1/users/me/", {"email": "n6@example.com"})
        assert response.status_code == 429
        assert "Retry-After" in response
        # Other profile fields are still allowed (their own, looser limit).
        assert client.patch("/api/v1/users/me/", {"bio": "still here"}).status_code == 200

    def test_profile_writes_are_rate_limited(self, client_for):
        client = client_for(UserFactory())
        for n in range(30):
            assert client.patch("/api/v1/users/me/", {"bio": f"v{n}"}).status_code == 200
        response = client.patch("/api/v1/users/me/", {"bio": "one too many"})
        assert response.status_code == 429
        assert response.json()["errors"][0]["code"] == "throttled"


class TestConfirmEndpoint:
    @pytest.mark.parametrize(
        "body,code",
        [
            ({}, "required"),
            ({"token": "garbage"}, "invalid_token"),
            ({"token": 5}, "invalid"),  # not a string (the schema's type), not looked up
        ],
    )
    def test_bad_input(self, api_client, body, code):
        response = api_client.post(CONFIRM, body, format="json")
        assert response.status_code == 400
        assert response.json()["errors"][0] == {
            "code": code,
            "detail": response.json()["errors"][0]["detail"],
            "attr": "token",
        }

    def test_expired_token(self, api_client, settings):
        user = UserFactory(email="")
        token = services.email_confirmation_token(user=user, email="late@example.com")
        settings.EMAIL_CONFIRM_TIMEOUT = -1
        assert api_client.post(CONFIRM, {"token": token}, format="json").status_code == 400
        user.refresh_from_db()
        assert user.email == ""

    def test_head_get_405_options_safe(self, api_client):
        assert api_client.head(CONFIRM).status_code == 405
        assert api_client.get(CONFIRM).status_code == 405
        assert api_client.options(CONFIRM).status_code == 200


@pytest.mark.django_db(transaction=True)  # real commits, so on_commit runs in the request
class TestBrokerDown:
    def test_registration_is_503_and_leaves_no_account(self, broker_down):
        client = APIClient()
        client.raise_request_exception = False  # a 503 is reported like a 500; answer it
        response = register(client, username="unlucky", email="u@example.com")
        assert response.status_code == 503
        assert response.json()["errors"][0]["code"] == "service_unavailable"
        assert not User.objects.filter(username="unlucky").exists()
        # The name is free again for the retry.
        assert not User.objects.filter(username__iexact="UNLUCKY").exists()

    def test_password_reset_and_e_mail_change_are_503(self, broker_down):
        client = APIClient()
        client.raise_request_exception = False
        response = client.post(
            "/api/v1/auth/password-reset/", {"email": "a@example.com"}, format="json"
        )
        assert response.status_code == 503
        user = UserFactory(email="before@example.com")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        response = client.patch(
            "/api/v1/users/me/", {"bio": "new", "email": "after@example.com"}, format="json"
        )
        assert response.status_code == 503
        user.refresh_from_db()
        assert (user.email, user.bio) == ("before@example.com", "")
