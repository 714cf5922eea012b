"""Account writes: registration, profile changes, blocking, logout, deletion."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from common.errors import ValidationFailed, field_error
from users.models import Role, User


def _ensure_unique(*, username: str, email: str, exclude_id: int | None = None) -> None:
    errors = {}
    others = User.objects.exclude(pk=exclude_id) if exclude_id else User.objects.all()
    if username and others.filter(username__iexact=username).exists():
        errors["username"] = ["A user with that username already exists."]
    if email and others.filter(email__iexact=email).exists():
        errors["email"] = ["A user with that e-mail already exists."]
    if errors:
        raise ValidationFailed(errors=errors)


@transaction.atomic
def user_register(*, username: str, email: str, password: str) -> User:
    _ensure_unique(username=username, email=email)
    user = User(username=username, email=email.strip(), role=Role.LISTENER)
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(errors={"password": list(exc.messages)}) from exc
    user.set_password(password)
    user.save()
    return user


@transaction.atomic
def user_update_profile(*, user: User, data: dict) -> User:
    if "email" in data:
        _ensure_unique(username="", email=data["email"], exclude_id=user.pk)
    for field, value in data.items():
        setattr(user, field, value)
    user.save()
    return user


def _blacklist_all_refresh_tokens(user: User) -> None:
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


@transaction.atomic
def user_admin_update(*, user: User, role: str | None = None, is_blocked: bool | None = None):
    """Role change and blocking by an admin. Blocking revokes every refresh token."""
    if role is not None:
        user.role = role
    if is_blocked is not None and is_blocked != user.is_blocked:
        user.is_blocked = is_blocked
        user.blocked_at = timezone.now() if is_blocked else None
        if is_blocked:
            _blacklist_all_refresh_tokens(user)
    user.save()
    return user


def user_logout(*, user: User, refresh: str) -> None:
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]  # the stubs miss str
    except TokenError as exc:
        raise field_error("refresh", str(exc)) from exc
    if str(token.get("user_id")) != str(user.pk):
        raise field_error("refresh", "This token belongs to another user.")
    token.blacklist()


@transaction.atomic
def user_delete(*, user: User) -> None:
    """Delete the account. Rows that must survive (listening events) use SET_NULL."""
    _blacklist_all_refresh_tokens(user)
    user.delete()
