from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed as TokenRefused
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from users import selectors


class BlockAwareJWTAuthentication(JWTAuthentication):
    """JWT auth that re-reads the account on every request, so a block, a password change
    or a deletion applies at once (``users.selectors.account_by_id``: one plain SELECT)."""

    def get_user(self, validated_token):
        user_id = _primary_key(validated_token.get(api_settings.USER_ID_CLAIM))
        if user_id is not None and api_settings.USER_ID_FIELD in ("id", "pk"):
            user = self._account(validated_token, user_id)
        else:  # a claim this project never issues: simplejwt's own lookup and errors
            user = super().get_user(validated_token)
        if user.is_blocked:
            raise AuthenticationFailed(_("This account is blocked."), code="authentication_failed")
        return user

    def _account(self, validated_token, user_id: int):
        """simplejwt's checks and refusals, in its order, on the account ``account_by_id``
        read."""
        user = selectors.account_by_id(user_id)
        if user is None:
            raise TokenRefused(_("User not found"), code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise TokenRefused(_("User is inactive"), code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise TokenRefused(_("The user's password has been changed."), code="password_changed")
        return user


def _primary_key(claim) -> int | None:
    """The account id a token names: simplejwt writes it as a string of digits."""
    if type(claim) is int:
        return claim
    if isinstance(claim, str) and claim.isascii() and claim.isdigit() and len(claim) <= 18:
        return int(claim)
    return None
