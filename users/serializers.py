from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from common.fields import (
    JSONBodyMixin,
    JSONBodyModelSerializer,
    JSONBodySerializer,
    QueryBooleanField,
    json_strict,
)
from users.models import Role, User


class RegisterInputSerializer(JSONBodySerializer):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150, min_length=3)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, trim_whitespace=False)


class UserPrivateSerializer(JSONBodyModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "display_name",
            "bio",
            "country",
            "role",
            "date_joined",
        ]
        read_only_fields = ["id", "username", "role", "date_joined"]
        extra_kwargs = {
            "email": {
                "allow_blank": False,
                "help_text": "Blank until confirmed. A new address is not applied at once:"
                " a confirmation link is mailed to it and the change happens when it is"
                " opened (POST /auth/email/confirm/).",
            }
        }


class RegisterOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "role"]


class RegisteredSerializer(RegisterOutputSerializer):
    """The new account and a token pair for it: signing up is one call, no login after."""

    access = serializers.CharField(read_only=True, help_text="Access JWT (Bearer).")
    refresh = serializers.CharField(read_only=True, help_text="Refresh JWT (rotated on use).")

    class Meta(RegisterOutputSerializer.Meta):
        fields = [*RegisterOutputSerializer.Meta.fields, "access", "refresh"]


class UserPublicSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "display_name", "bio", "country", "role", "date_joined"]


class UserAdminSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "display_name",
            "bio",
            "country",
            "role",
            "is_blocked",
            "date_joined",
            "last_login",
        ]


class UserAdminUpdateSerializer(JSONBodySerializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_blocked = serializers.BooleanField(required=False)


class LogoutSerializer(JSONBodySerializer):
    refresh = serializers.CharField(max_length=2000)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class BlockAwareTokenObtainSerializer(TokenObtainPairSerializer):
    """Login refuses blocked accounts, saying so only to someone who knows the password.

    The password is checked first by ``authenticate`` (the lockout backend), so guessing a
    blocked account's password is limited like any other.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # simplejwt adds these two in __init__, after get_fields (so JSONBodyMixin misses them).
        for name in (self.username_field, "password"):
            self.fields[name] = json_strict(self.fields[name])

    @classmethod
    def get_token(cls, user):
        if user.is_blocked:
            raise AuthenticationFailed(_("This account is blocked."), code="authentication_failed")
        return super().get_token(user)


class BlockAwareTokenRefreshSerializer(JSONBodyMixin, TokenRefreshSerializer):
    def validate(self, attrs):
        refresh = RefreshToken(attrs["refresh"])
        user_id = refresh.payload.get(api_settings.USER_ID_CLAIM)
        user = User.objects.filter(pk=user_id).first()
        if user is None or user.is_blocked or not user.is_active:
            raise AuthenticationFailed(
                _("This account is not allowed to log in."), code="authentication_failed"
            )
        # A refresh token from before a password change (also one set in the admin, which
        # does not blacklist) would only mint access tokens that fail: refuse it here.
        if refresh.payload.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(
            user.password
        ):
            raise AuthenticationFailed(
                _("The user's password has been changed."), code="password_changed"
            )
        return super().validate(attrs)


class UserFilterSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_blocked = QueryBooleanField(required=False)
    search = serializers.CharField(required=False, max_length=100, default="")


class PasswordChangeSerializer(JSONBodySerializer):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class PasswordResetRequestSerializer(JSONBodySerializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(JSONBodySerializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


class EmailConfirmSerializer(JSONBodySerializer):
    token = serializers.CharField(max_length=1024)


class AcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField()
