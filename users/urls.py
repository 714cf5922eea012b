from django.urls import path

from users import views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("auth/token/refresh/", views.TokenRefresh.as_view(), name="auth-token-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/password-reset/", views.PasswordResetView.as_view(), name="auth-password-reset"),
    path(
        "auth/password-reset/confirm/",
        views.PasswordResetConfirmView.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("auth/email/confirm/", views.EmailConfirmView.as_view(), name="auth-email-confirm"),
    path("users/me/", views.MeView.as_view(), name="users-me"),
    path("users/me/password/", views.PasswordChangeView.as_view(), name="users-me-password"),
    path("users/", views.UserListView.as_view(), name="users-list"),
    path("users/<int:pk>/", views.UserDetailView.as_view(), name="users-detail"),
]
