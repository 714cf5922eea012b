from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication


class BlockAwareJWTAuthentication(JWTAuthentication):
    """JWT auth that re-reads the user on every request, so a block applies at once."""

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if user.is_blocked:
            raise AuthenticationFailed(_("This account is blocked."), code="authentication_failed")
        return user
