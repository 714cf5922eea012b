"""The account read behind every authenticated request (``users.selectors.account_by_id``,
used by ``users.authentication``): the whole row in one plain SELECT, and every refusal
simplejwt's own lookup made, plus the block."""

from datetime import UTC, datetime

import pytest
from django.test import RequestFactory
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import AccessToken

from users import selectors
from users.authentication import BlockAwareJWTAuthentication
from users.models import Role, User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _authenticate(token: AccessToken, authentication=BlockAwareJWTAuthentication):
    request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}")
    return authentication().authenticate(request)


def _refusal(token: AccessToken, authentication=BlockAwareJWTAuthentication):
    with pytest.raises(AuthenticationFailed) as raised:
        _authenticate(token, authentication)
    return type(raised.value), str(raised.value.detail), raised.value.get_codes()


def test_the_account_read_is_the_whole_row_as_the_orm_reads_it():
    user = UserFactory(
        role=Role.ARTIST, display_name="Zoë", bio="b" * 50, email="z@example.com", country="SE"
    )
    User.objects.filter(pk=user.pk).update(blocked_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC))

    read = selectors.account_by_id(user.pk)
    orm = User.objects.get(pk=user.pk)

    assert type(read) is User and read.pk == user.pk
    for field in User._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(orm, field.attname), field.name
    assert read._state.adding is False and read._state.db == orm._state.db
    read.display_name = "Saved back"
    read.save(update_fields=["display_name"])  # a normal instance: saves update the row
    assert User.objects.get(pk=user.pk).display_name == "Saved back"


def test_a_missing_account_is_none_even_for_ids_past_bigint():
    assert selectors.account_by_id(987_654_321) is None
    assert selectors.account_by_id(2**70) is None


def test_a_token_costs_one_query(django_assert_num_queries):
    user = UserFactory()
    with django_assert_num_queries(1):
        authenticated, _ = _authenticate(AccessToken.for_user(user))
    assert authenticated == user


@pytest.mark.parametrize(
    "change, says",
    [
        ({"is_active": False}, "User is inactive"),
        ({"password": "pbkdf2_sha256$1$other$hash"}, "The user's password has been changed."),
    ],
)
def test_a_token_of_an_account_changed_since_is_refused_as_simplejwt_refuses_it(change, says):
    user = UserFactory()
    token = AccessToken.for_user(user)
    User.objects.filter(pk=user.pk).update(**change)

    refusal = _refusal(token)
    assert says in refusal[1]
    assert refusal == _refusal(token, JWTAuthentication)  # the same exception, text and codes


def test_a_token_of_a_blocked_account_is_refused_at_once():
    user = UserFactory()
    token = AccessToken.for_user(user)
    User.objects.filter(pk=user.pk).update(is_blocked=True)

    assert _refusal(token)[1:] == ("This account is blocked.", "authentication_failed")


def test_a_token_of_a_deleted_account_is_refused_as_simplejwt_refuses_it():
    user = UserFactory()
    token = AccessToken.for_user(user)
    user.delete()

    refusal = _refusal(token)
    assert "User not found" in refusal[1]
    assert refusal == _refusal(token, JWTAuthentication)


@pytest.mark.parametrize("claim", ["pk", "int pk"])
def test_a_token_naming_the_account_as_simplejwt_writes_it_or_as_an_integer(claim):
    user = UserFactory()
    token = AccessToken.for_user(user)
    assert token[jwt_settings.USER_ID_CLAIM] == str(user.pk)  # what simplejwt issues
    if claim == "int pk":
        token[jwt_settings.USER_ID_CLAIM] = user.pk
    assert _authenticate(token)[0] == user


@pytest.mark.parametrize("claim", ["+7", " 7", "٧", "7.0", 7.0, True, "9" * 40])
def test_any_other_claim_takes_simplejwts_own_lookup_and_the_block_still_applies(
    claim, monkeypatch
):
    """Never issued here (a token signed with our key naming the account oddly): simplejwt's
    lookup decides, and a blocked account is refused on that path too."""
    user = UserFactory(pk=7)
    token = AccessToken.for_user(user)
    token[jwt_settings.USER_ID_CLAIM] = claim
    seen = []
    monkeypatch.setattr(
        JWTAuthentication, "get_user", lambda self, token: seen.append(token) or user
    )
    assert _authenticate(token)[0] == user and len(seen) == 1

    User.objects.filter(pk=user.pk).update(is_blocked=True)
    user.refresh_from_db()
    with pytest.raises(AuthenticationFailed, match="blocked"):
        _authenticate(token)
