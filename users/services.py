"""Account writes: registration, profile and e-mail changes, passwords, blocking, logout,
deletion."""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlencode, urlsafe_base64_decode, urlsafe_base64_encode
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from common.errors import ValidationFailed, field_error
from common.realtime import access_changed
from common.tasks import enqueue_after_commit
from users import lockout
from users.models import Role, User

EMAIL_CONFIRM_SALT = "users.email-confirm"


USERNAME_TAKEN = ("A user with that username already exists.", "unique")


def _username_taken() -> ValidationFailed:
    return ValidationFailed(errors={"username": [USERNAME_TAKEN]})


@transaction.atomic
def user_register(*, username: str, email: str, password: str) -> User:
    """Create a listener; the e-mail is attached once its owner confirms it.

    Usernames are public (profiles), so a taken one is a plain 400. The answer never depends
    on the e-mail: whether the address is free or belongs to an account, the account is
    created without it and a mail goes to the address (a confirmation link, or a notice to
    the existing owner), sent by a worker so even the timing is the same.
    """
    if User.objects.filter(username__iexact=username).exists():
        raise _username_taken()
    email = email.strip()
    user = User(username=username, email="", role=Role.LISTENER)
    try:
        # The e-mail counts for similarity although the account does not hold it yet.
        validate_password(password, user=User(username=username, email=email))
    except DjangoValidationError as exc:
        raise ValidationFailed(errors={"password": list(exc.messages)}) from exc
    user.set_password(password)
    try:
        with transaction.atomic():  # a savepoint: the parallel request that won the name
            user.save()
    except IntegrityError as exc:
        raise _username_taken() from exc

    # Without its confirmation mail the account could never get an address; when the broker
    # cannot take the message (503), the account goes too, so a retry finds the name free.
    def remove_account() -> None:
        User.objects.filter(pk=user.pk).delete()

    user_email_change_request(user=user, email=email, on_failure=remove_account)
    return user


@transaction.atomic
def user_update_profile(*, user: User, data: dict) -> User:
    """Profile fields change at once; a new e-mail only after its owner confirms it (the
    answer is the same whether or not another account holds the address)."""
    data = dict(data)
    email = data.pop("email", None)
    previous = {field: getattr(user, field) for field in data}
    for field, value in data.items():
        setattr(user, field, value)
    user.save()
    if email is not None and email.strip().lower() != user.email.lower():

        def undo() -> None:  # the mail cannot be queued (503): no half-applied PATCH
            User.objects.filter(pk=user.pk).update(**previous)

        user_email_change_request(user=user, email=email, on_failure=undo)
    return user


def user_email_change_request(
    *, user: User, email: str, on_failure: Callable[[], None] | None = None
) -> None:
    """Mail ``email`` a confirmation link for ``user`` (or, when another account holds the
    address, a notice to that account), from a worker after commit."""
    enqueue_after_commit(
        "users.send_email_confirmation",
        kwargs={"user_id": user.pk, "email": email.strip()},
        on_failure=on_failure,
    )


def email_confirmation_token(*, user: User, email: str) -> str:
    """Signed, expiring (EMAIL_CONFIRM_TIMEOUT) and single-use: it names the address the
    account held when it was made, which confirming changes."""
    return signing.dumps(
        {"u": user.pk, "e": email, "c": user.email}, salt=EMAIL_CONFIRM_SALT, compress=True
    )


def user_email_confirm(*, token: str) -> User:
    invalid = field_error("token", "This link is invalid or has expired.", code="invalid_token")
    try:
        payload = signing.loads(
            token, salt=EMAIL_CONFIRM_SALT, max_age=settings.EMAIL_CONFIRM_TIMEOUT
        )
        user_id, email, current = int(payload["u"]), str(payload["e"]), str(payload["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise invalid from exc
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
        if user is None or user.email != current:
            raise invalid
        taken = field_error("token", "This address already belongs to an account.", "email_taken")
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise taken
        user.email = email
        try:
            with transaction.atomic():
                user.save(update_fields=["email"])
        except IntegrityError as exc:  # another account confirmed it in parallel
            raise taken from exc
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
    # Open sockets re-check at once: a blocked user's close (4403), a demoted editor loses
    # the staff channels.
    access_changed(f"user:{user.pk}")
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
    user_id = user.pk
    user.delete()
    access_changed(f"user:{user_id}")  # the deleted account's sockets close (4401)


def _validated_password(password: str, *, user: User, attr: str) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(errors={attr: list(exc.messages)}) from exc


@transaction.atomic
def user_password_change(*, user: User, old_password: str, new_password: str) -> RefreshToken:
    """Change the password; every refresh token issued so far stops working. Returns a fresh
    token pair for the session that asked."""
    if not user.check_password(old_password):
        raise field_error("old_password", "The current password is wrong.", code="wrong_password")
    _validated_password(new_password, user=user, attr="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _blacklist_all_refresh_tokens(user)
    return RefreshToken.for_user(user)


def user_password_reset_request(*, email: str) -> None:
    """Mail a reset link if an account holds ``email``; the caller learns nothing either way
    (the lookup happens in the worker)."""
    enqueue_after_commit("users.send_password_reset", kwargs={"email": email.strip()})


def _user_from_uid(uid: str) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


@transaction.atomic
def user_password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password from a mailed link. The token expires (PASSWORD_RESET_TIMEOUT) and
    works once (it hashes the password it replaces). Lockouts and refresh tokens go."""
    user = _user_from_uid(uid)
    if user is None or not default_token_generator.check_token(user, token):
        raise field_error("token", "This link is invalid or has expired.", code="invalid_token")
    _validated_password(new_password, user=user, attr="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _blacklist_all_refresh_tokens(user)
    transaction.on_commit(lambda: lockout.forget(user.username))
    return user


# --- account e-mails (run by workers: users.tasks) --------------------------------------------


def _link(path: str, **params: str) -> str:
    return f"{settings.ACCOUNT_LINK_BASE_URL.rstrip('/')}/{path}?{urlencode(params)}"


def email_send_confirmation(*, user_id: int, email: str) -> str:
    """Mail ``email`` a confirmation link for account ``user_id``, or, when another account
    already holds the address, a notice to that owner instead. Returns what was sent."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.email.lower() == email.lower():
        return "nothing"
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        send_mail(
            "Someone tried to use your e-mail address",
            "Someone tried to register this address, or to move it to another account, on"
            " music_platform. It stays with your account and nothing changed.\n\nIf it was you:"
            " you already have an account; log in, or reset your password at\n"
            f"{_link('reset-password')}\n\nIf it was not you, you can ignore this message.",
            None,
            [email],
        )
        return "notice"
    token = email_confirmation_token(user=user, email=email)
    send_mail(
        "Confirm your e-mail address",
        f"To use this address for the music_platform account {user.username}, open\n"
        f"{_link('confirm-email', token=token)}\n\nThe link expires in"
        f" {settings.EMAIL_CONFIRM_TIMEOUT // 3600} hours. If you did not ask for this,"
        " ignore this message.",
        None,
        [email],
    )
    return "confirmation"


def password_reset_send(*, email: str) -> str:
    """Mail a reset link to the account holding ``email`` (confirmed addresses only)."""
    user = User.objects.filter(email__iexact=email, is_active=True).exclude(email="").first()
    if user is None or not user.has_usable_password():
        return "nothing"
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    send_mail(
        "Reset your password",
        f"To choose a new password for the music_platform account {user.username}, open\n"
        f"{_link('reset-password', uid=uid, token=token)}\n\nThe link works once and expires"
        f" in {settings.PASSWORD_RESET_TIMEOUT // 60} minutes. If you did not ask for this,"
        " ignore this message: your password stays as it is.",
        None,
        [user.email],
    )
    return "reset"
