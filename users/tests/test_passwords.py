"""Password hashing (Argon2id, PBKDF2 upgraded at login), password change and reset."""

from urllib.parse import parse_qs

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework_simplejwt.tokens import RefreshToken

from users import lockout, tasks
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NEW = "a-Brand-new-passphrase-7"
PBKDF2 = "django.contrib.auth.hashers.PBKDF2PasswordHasher"
ARGON2 = "users.hashers.Argon2idPasswordHasher"


def test_production_settings_hash_with_argon2id_first_and_keep_pbkdf2():
    from music_platform import settings as production

    assert production.PASSWORD_HASHERS[0] == ARGON2
    assert PBKDF2 in production.PASSWORD_HASHERS[1:]


def test_a_pbkdf2_hash_is_upgraded_to_argon2id_at_login(api_client, settings):
    settings.PASSWORD_HASHERS = [ARGON2, PBKDF2]
    user = UserFactory(username="oldtimer")
    User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "oldtimer", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password(PASSWORD)


def refresh_works(api_client, refresh: str) -> bool:
    return (
        api_client.post(
            "/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json"
        ).status_code
        == 200
    )


class TestPasswordChange:
    url = "/api/v1/users/me/password/"

    def test_change_revokes_every_other_session_and_returns_a_new_pair(
        self, api_client, client_for
    ):
        user = UserFactory()
        other_session = str(RefreshToken.for_user(user))
        response = client_for(user).post(
            self.url, {"old_password": PASSWORD, "new_password": NEW}, format="json"
        )
        assert response.status_code == 200
        pair = response.json()
        assert set(pair) == {"access", "refresh"}
        user.refresh_from_db()
        assert user.check_password(NEW)
        assert not refresh_works(api_client, other_session)
        assert refresh_works(api_client, pair["refresh"])

    @pytest.mark.parametrize(
        "body,attr,code",
        [
            ({"old_password": "wrong", "new_password": NEW}, "old_password", "wrong_password"),
            (
                {"old_password": PASSWORD, "new_password": "123"},
                "new_password",
                "password_too_short",
            ),
            ({"old_password": PASSWORD}, "new_password", "required"),
            ({"old_password": PASSWORD, "new_password": ["x"]}, "new_password", "invalid"),
        ],
    )
    def test_bad_input_changes_nothing(self, client_for, body, attr, code):
        user = UserFactory()
        response = client_for(user).post(self.url, body, format="json")
        assert response.status_code == 400
        body = response.json()
        assert body["type"] == "validation_error"
        assert body["errors"][0]["attr"] == attr
        user.refresh_from_db()
        assert user.check_password(PASSWORD)

    def test_anonymous_is_401_and_head_is_405(self, client_for):
        response = client_for().post(
            self.url, {"old_password": PASSWORD, "new_password": NEW}, format="json"
        )
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        user = UserFactory()
        assert client_for(user).head(self.url).status_code == 405
        assert client_for(user).options(self.url).status_code == 200
        user.refresh_from_db()
        assert user.check_password(PASSWORD)

    def test_rate_limited_per_user(self, client_for):
        user = UserFactory()
        client = client_for(user)
        for _ in range(10):
            client.post(self.url, {"old_password": "guess", "new_password": NEW}, format="json")
        response = client.post(
            self.url, {"old_password": PASSWORD, "new_password": NEW}, format="json"
        )
        assert response.status_code == 429
        assert "Retry-After" in response


class TestPasswordReset:
    url = "/api/v1/auth/password-reset/"
    confirm_url = "/api/v1/auth/password-reset/confirm/"
    accepted = {
        "detail": "If an account uses this address, a link to reset its password is on its way."
    }

    def request(self, client, email, capture):
        with capture(execute=True):
            return client.post(self.url, {"email": email}, format="json")

    def test_202_whatever_the_address_and_a_mail_only_to_an_account(
        self, api_client, queued_tasks, django_capture_on_commit_callbacks
    ):
        UserFactory(username="rita", email="rita@example.com")
        known = self.request(api_client, "RITA@example.com", django_capture_on_commit_callbacks)
        unknown = self.request(api_client, "who@example.com", django_capture_on_commit_callbacks)
        assert (known.status_code, known.json()) == (202, self.accepted)
        assert (unknown.status_code, unknown.json()) == (202, self.accepted)
        # The lookup happens in the worker: the request path is the same for both.
        queued = [(name, kwargs) for name, kwargs, _ in queued_tasks()]
        assert queued == [
            ("users.send_password_reset", {"email": "RITA@example.com"}),
            ("users.send_password_reset", {"email": "who@example.com"}),
        ]
        assert [tasks.send_password_reset(**kwargs) for _, kwargs in queued] == [
            "reset",
            "nothing",
        ]
        assert len(mail.outbox) == 1 and mail.outbox[0].to == ["rita@example.com"]

    def mailed_link(self, user):
        assert tasks.send_password_reset(email=user.email) == "reset"
        line = next(line for line in mail.outbox[-1].body.splitlines() if "reset-password?" in line)
        params = parse_qs(line.split("?", 1)[1])
        return params["uid"][0], params["token"][0]

    def test_link_sets_the_password_once_and_clears_lockout_and_sessions(
        self, api_client, django_capture_on_commit_callbacks
    ):
        user = UserFactory(username="rita", email="rita@example.com")
        session = str(RefreshToken.for_user(user))
        for _ in range(5):
            api_client.post(
                "/api/v1/auth/token/", {"username": "rita", "password": "x"}, format="json"
            )
        assert lockout.lock_wait("rita") > 0
        uid, token = self.mailed_link(user)
        body = {"uid": uid, "token": token, "new_password": NEW}
        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.post(self.confirm_url, body, format="json")
        assert response.status_code == 204
        user.refresh_from_db()
        assert user.check_password(NEW)
        assert not refresh_works(api_client, session)
        assert lockout.lock_wait("rita") == 0
        login = api_client.post(
            "/api/v1/auth/token/", {"username": "rita", "password": NEW}, format="json"
        )
        assert login.status_code == 200
        again = api_client.post(
            self.confirm_url, {**body, "new_password": "Yet-another-pass-99"}, format="json"
        )
        assert again.status_code == 400
        assert again.json()["errors"] == [
            {
                "code": "invalid_token",
                "detail": "This link is invalid or has expired.",
                "attr": "token",
            }
        ]

    def test_expired_link_is_refused(self, api_client, settings):
        user = UserFactory(email="late@example.com")
        uid, token = self.mailed_link(user)
        settings.PASSWORD_RESET_TIMEOUT = -1  # every token is now past its lifetime
        response = api_client.post(
            self.confirm_url, {"uid": uid, "token": token, "new_password": NEW}, format="json"
        )
        assert response.status_code == 400
        user.refresh_from_db()
        assert user.check_password(PASSWORD)

    @pytest.mark.parametrize(
        "body,attr",
        [
            ({"uid": "!!", "token": "x", "new_password": NEW}, "token"),
            ({"uid": "OTk5OTk5", "token": "x", "new_password": NEW}, "token"),
            ({"uid": "MQ", "token": ["x"], "new_password": NEW}, "token"),
            ({"token": "x", "new_password": NEW}, "uid"),
        ],
    )
    def test_bad_confirm_input(self, api_client, body, attr):
        response = api_client.post(self.confirm_url, body, format="json")
        assert response.status_code == 400
        assert response.json()["errors"][0]["attr"] == attr

    def test_weak_new_password_keeps_the_old_one_and_the_link(self, api_client):
        user = UserFactory(email="weak@example.com")
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        response = api_client.post(
            self.confirm_url, {"uid": uid, "token": token, "new_password": "123"}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["errors"][0]["attr"] == "new_password"
        user.refresh_from_db()
        assert user.check_password(PASSWORD)
        assert default_token_generator.check_token(user, token)

    @pytest.mark.parametrize("body", [{}, {"email": "nope"}, {"email": 5}])
    def test_bad_request_input_is_400(self, api_client, body):
        response = api_client.post(self.url, body, format="json")
        assert response.status_code == 400
        assert response.json()["errors"][0]["attr"] == "email"

    def test_rate_limited_per_ip(self, api_client):
        for n in range(20):
            assert (
                api_client.post(self.url, {"email": f"x{n}@example.com"}, format="json").status_code
                == 202
            )
        response = api_client.post(self.url, {"email": "y@example.com"}, format="json")
        assert response.status_code == 429
        assert "Retry-After" in response

    def test_head_and_get_are_405_options_is_safe(self, api_client):
        for method in ("head", "get"):
            assert getattr(api_client, method)(self.url).status_code == 405
            assert getattr(api_client, method)(self.confirm_url).status_code == 405
        assert api_client.options(self.url).status_code == 200
