from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import generics, status
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from common.api import StrictQueryMixin
from common.schema import ErrorResponseSerializer
from users import selectors, services
from users.lockout import LoginLocked
from users.models import Role, User
from users.permissions import IsAdmin, IsSelfOrAdmin, is_admin
from users.serializers import (
    AcceptedSerializer,
    BlockAwareTokenObtainSerializer,
    BlockAwareTokenRefreshSerializer,
    EmailConfirmSerializer,
    LogoutSerializer,
    PasswordChangeSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    RegisteredSerializer,
    RegisterInputSerializer,
    RegisterOutputSerializer,
    TokenPairSerializer,
    UserAdminSerializer,
    UserAdminUpdateSerializer,
    UserFilterSerializer,
    UserPrivateSerializer,
    UserPublicSerializer,
)
from users.throttles import (
    EmailChangeThrottle,
    LoginThrottle,
    MeWriteThrottle,
    PasswordChangeThrottle,
    PasswordResetThrottle,
    RegisterEmailThrottle,
    RegisterThrottle,
    TokenConfirmThrottle,
    TokenRefreshThrottle,
)

QUEUE_DOWN = OpenApiResponse(
    ErrorResponseSerializer, description="Task queue unavailable (no mail)."
)
RESET_SENT = "If an account uses this address, a link to reset its password is on its way."
# Shortened JWTs for the documentation's examples.
EXAMPLE_ACCESS = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.c2ln"
EXAMPLE_REFRESH = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.c2ln"


@extend_validation_errors(["unique"], field_name="username", methods=["post"])
class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [RegisterThrottle, RegisterEmailThrottle]

    @extend_schema(
        request=RegisterInputSerializer,
        responses={201: RegisteredSerializer, 503: QUEUE_DOWN},
        summary="Sign up (and get tokens)",
        description="Creates the account at once, without its e-mail: a link to confirm the"
        " address is mailed to it (or, if an account already holds it, a notice to that"
        " owner), so the answer is the same whoever owns the address. `email` stays blank"
        " until confirmed. A taken username is a 400 (usernames are public). The answer"
        " carries an `access`/`refresh` token pair, as `POST /auth/token/` would give, so"
        " the new listener is signed in at once.",
        examples=[
            OpenApiExample(
                "Sign up",
                request_only=True,
                value={
                    "username": "ada",
                    "email": "ada@example.com",
                    "password": "a-Long-passphrase-42",
                },
            ),
            OpenApiExample(
                "Signed up",
                response_only=True,
                status_codes=["201"],
                value={
                    "id": 42,
                    "username": "ada",
                    "email": "",
                    "role": "listener",
                    "access": EXAMPLE_ACCESS,
                    "refresh": EXAMPLE_REFRESH,
                },
            ),
        ],
    )
    def post(self, request):
        data = RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        # Minted exactly as login mints them (same claims, outstanding-token record).
        refresh = BlockAwareTokenObtainSerializer.get_token(user)
        body = {
            **RegisterOutputSerializer(user).data,
            "access": str(refresh.access_token),
            "refresh": str(refresh),
        }
        return Response(RegisteredSerializer(body).data, status=status.HTTP_201_CREATED)


class TokenView(TokenObtainPairView):
    """Per-IP ceiling (LoginThrottle) and per-account lockout (the authentication backend)."""

    serializer_class = BlockAwareTokenObtainSerializer
    throttle_classes = [LoginThrottle]
    authentication_classes = []

    @extend_schema(
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(
                ErrorResponseSerializer, description="Wrong credentials or blocked."
            ),
        },
        summary="Log in: get an access/refresh token pair",
        description="Send the username and password; the answer is a short-lived `access`"
        " token (send it as `Authorization: Bearer <access>`) and a `refresh` token to get"
        " new pairs from `POST /auth/token/refresh/`. A blocked account is refused (401)."
        " Rate-limited per IP (a loose ceiling) and per account: after repeated"
        " wrong passwords the account is locked for a while (429 with Retry-After), longer"
        " each time.",
        examples=[
            OpenApiExample(
                "Log in",
                request_only=True,
                value={"username": "ada", "password": "a-Long-passphrase-42"},
            ),
            OpenApiExample(
                "Tokens",
                response_only=True,
                status_codes=["200"],
                value={"access": EXAMPLE_ACCESS, "refresh": EXAMPLE_REFRESH},
            ),
        ],
    )
    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except LoginLocked as exc:
            raise Throttled(wait=exc.wait, detail=exc.detail) from exc


class TokenRefresh(TokenRefreshView):
    serializer_class = BlockAwareTokenRefreshSerializer
    throttle_classes = [TokenRefreshThrottle]
    authentication_classes = []

    @extend_schema(
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(
                ErrorResponseSerializer,
                description="Invalid, expired, revoked or already used refresh token.",
            ),
        },
        summary="Trade a refresh token for a new pair",
        description="Refresh tokens rotate: the answer carries a new `access` and a new"
        " `refresh` token, and the refresh token sent stops working (a reuse is 401)."
        " A blocked account's tokens are refused.",
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=LogoutSerializer,
        responses={204: OpenApiResponse(description="Logged out")},
        summary="Log out (revoke a refresh token)",
        description="The refresh token sent (one of yours) stops working at once. The"
        " access token lives on until it expires; clients drop it.",
    )
    def post(self, request):
        data = LogoutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_logout(user=request.user, refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [MeWriteThrottle, EmailChangeThrottle]

    @extend_schema(
        responses={200: UserPrivateSerializer},
        summary="My account",
        description="Your own profile, with your e-mail (blank until confirmed) and role.",
    )
    def get(self, request):
        return Response(UserPrivateSerializer(request.user).data)

    @extend_schema(
        request=UserPrivateSerializer,
        responses={200: UserPrivateSerializer, 503: QUEUE_DOWN},
        summary="Edit my profile",
        description="Profile fields change at once. A new `email` is not applied: a"
        " confirmation link is mailed to the address and the change happens when it is"
        " opened, so the answer never tells whether another account holds the address.",
    )
    def patch(self, request):
        data = UserPrivateSerializer(request.user, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, data=data.validated_data)
        return Response(UserPrivateSerializer(user).data)

    @extend_schema(
        responses={204: OpenApiResponse(description="Account deleted")},
        summary="Delete my account",
        description="Deletes the caller's account (personal data removed, listening"
        " history kept anonymised); every token stops working.",
    )
    def delete(self, request):
        services.user_delete(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_validation_errors(["wrong_password"], field_name="old_password", methods=["post"])
class PasswordChangeView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [PasswordChangeThrottle]

    @extend_schema(
        request=PasswordChangeSerializer,
        responses={200: TokenPairSerializer},
        summary="Change my password",
        description="Changes the password. Every refresh token issued before stops working;"
        " the answer carries a new pair for this session.",
    )
    def post(self, request):
        data = PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        refresh = services.user_password_change(user=request.user, **data.validated_data)
        return Response({"access": str(refresh.access_token), "refresh": str(refresh)})


class PasswordResetView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [PasswordResetThrottle]

    @extend_schema(
        request=PasswordResetRequestSerializer,
        responses={202: AcceptedSerializer, 503: QUEUE_DOWN},
        summary="Ask for a password reset link",
        description="Always 202, whatever the address: when an account holds it, a link to"
        " choose a new password is mailed to it (valid once, for PASSWORD_RESET_TIMEOUT).",
    )
    def post(self, request):
        data = PasswordResetRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_password_reset_request(email=data.validated_data["email"])
        return Response({"detail": RESET_SENT}, status=status.HTTP_202_ACCEPTED)


@extend_validation_errors(["invalid_token"], field_name="token", methods=["post"])
class PasswordResetConfirmView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [TokenConfirmThrottle]

    @extend_schema(
        request=PasswordResetConfirmSerializer,
        responses={204: OpenApiResponse(description="Password changed; log in with it")},
        summary="Set a new password from a reset link",
        description="Send the `uid` and `token` of the mailed link with the new password. The"
        " link works once and expires; every refresh token of the account stops working and"
        " login lockouts are lifted.",
    )
    def post(self, request):
        data = PasswordResetConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_password_reset_confirm(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_validation_errors(["invalid_token", "email_taken"], field_name="token", methods=["post"])
class EmailConfirmView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [TokenConfirmThrottle]

    @extend_schema(
        request=EmailConfirmSerializer,
        responses={204: OpenApiResponse(description="The address now belongs to the account")},
        summary="Confirm an e-mail address",
        description="Send the `token` of the mailed confirmation link; the address then"
        " becomes the account's e-mail. The link works once and expires; an address another"
        " account confirmed meanwhile is a 400 (`email_taken`).",
    )
    def post(self, request):
        data = EmailConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_email_confirm(token=data.validated_data["token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_validation_errors(["invalid_choice"], field_name="role", methods=["get"])
@extend_validation_errors(["invalid"], field_name="is_blocked", methods=["get"])
@extend_validation_errors(["max_length"], field_name="search", methods=["get"])
class UserListView(StrictQueryMixin, generics.ListAPIView):
    permission_classes = [IsAdmin]
    serializer_class = UserAdminSerializer
    filter_backends = []
    extra_query_params = ("role", "is_blocked", "search")

    @extend_schema(
        parameters=[
            OpenApiParameter("role", str, enum=Role.values, description="Only this role."),
            OpenApiParameter(
                "is_blocked", bool, description="true: only blocked accounts; false: the others."
            ),
            OpenApiParameter(
                "search", str, description="Part of the username, display name or e-mail."
            ),
        ],
        summary="Accounts (admins)",
        description="Every account with its e-mail, role and blocking; admins only.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = UserFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.user_list(**params.validated_data)


class UserDetailView(APIView):
    """Public profile for anyone; admins change role/blocking; admins or the user delete."""

    def get_permissions(self):
        if self.request.method == "PATCH":
            return [IsAdmin()]
        if self.request.method == "DELETE":
            return [IsAuthenticated(), IsSelfOrAdmin()]
        return [AllowAny()]

    def get_object(self, pk: int) -> User:
        user = get_object_or_404(User, pk=pk)
        self.check_object_permissions(self.request, user)
        return user

    @extend_schema(
        responses={200: UserPublicSerializer},
        summary="A user's public profile",
        description="Anyone may read it; no e-mail (admins get the account view with e-mail,"
        " role and blocking).",
    )
    def get(self, request, pk: int):
        user = self.get_object(pk)
        serializer = UserAdminSerializer if is_admin(request.user) else UserPublicSerializer
        return Response(serializer(user).data)

    @extend_schema(
        request=UserAdminUpdateSerializer,
        responses={200: UserAdminSerializer},
        summary="Change a user's role or block them (admins)",
        description="Admins only. Blocking revokes the account's refresh tokens and its"
        " access tokens stop working at once.",
    )
    def patch(self, request, pk: int):
        user = self.get_object(pk)
        data = UserAdminUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_admin_update(user=user, **data.validated_data)
        return Response(UserAdminSerializer(user).data)

    @extend_schema(
        responses={204: OpenApiResponse(description="Deleted")},
        summary="Delete an account (admins or the user)",
        description="Personal data removed, listening history kept anonymised; every token"
        " of the account stops working. Admins, or the user themself.",
    )
    def delete(self, request, pk: int):
        services.user_delete(user=self.get_object(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
