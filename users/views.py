from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from users import selectors, services
from users.models import Role, User
from users.permissions import IsAdmin, IsSelfOrAdmin, is_admin
from users.serializers import (
    BlockAwareTokenObtainSerializer,
    BlockAwareTokenRefreshSerializer,
    LogoutSerializer,
    RegisterInputSerializer,
    RegisterOutputSerializer,
    TokenPairSerializer,
    UserAdminSerializer,
    UserAdminUpdateSerializer,
    UserFilterSerializer,
    UserPrivateSerializer,
    UserPublicSerializer,
)
from users.throttles import LoginThrottle, RegisterThrottle


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [RegisterThrottle]

    @extend_schema(request=RegisterInputSerializer, responses={201: RegisterOutputSerializer})
    def post(self, request):
        data = RegisterInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        return Response(RegisterOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenView(TokenObtainPairView):
    serializer_class = BlockAwareTokenObtainSerializer
    throttle_classes = [LoginThrottle]
    authentication_classes = []

    @extend_schema(responses={200: TokenPairSerializer})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class TokenRefresh(TokenRefreshView):
    serializer_class = BlockAwareTokenRefreshSerializer
    throttle_classes = [LoginThrottle]
    authentication_classes = []

    @extend_schema(responses={200: TokenPairSerializer})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class LogoutView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=LogoutSerializer, responses={204: OpenApiResponse(description="Logged out")}
    )
    def post(self, request):
        data = LogoutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_logout(user=request.user, refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: UserPrivateSerializer})
    def get(self, request):
        return Response(UserPrivateSerializer(request.user).data)

    @extend_schema(request=UserPrivateSerializer, responses={200: UserPrivateSerializer})
    def patch(self, request):
        data = UserPrivateSerializer(request.user, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.user_update_profile(user=request.user, data=data.validated_data)
        return Response(UserPrivateSerializer(user).data)


class UserListView(generics.ListAPIView):
    permission_classes = [IsAdmin]
    serializer_class = UserAdminSerializer
    filter_backends = []

    @extend_schema(
        parameters=[
            OpenApiParameter("role", str, enum=Role.values),
            OpenApiParameter("is_blocked", bool),
            OpenApiParameter("search", str),
        ]
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

    @extend_schema(responses={200: UserPublicSerializer})
    def get(self, request, pk: int):
        user = self.get_object(pk)
        serializer = UserAdminSerializer if is_admin(request.user) else UserPublicSerializer
        return Response(serializer(user).data)

    @extend_schema(request=UserAdminUpdateSerializer, responses={200: UserAdminSerializer})
    def patch(self, request, pk: int):
        user = self.get_object(pk)
        data = UserAdminUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_admin_update(user=user, **data.validated_data)
        return Response(UserAdminSerializer(user).data)

    @extend_schema(responses={204: OpenApiResponse(description="Deleted")})
    def delete(self, request, pk: int):
        services.user_delete(user=self.get_object(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
