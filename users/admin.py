import functools

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django_ratelimit.core import get_usage

from common.errors import error_response
from common.ratelimit import client_ip
from users import services
from users.admin_mixins import AdminOnlyMixin
from users.lockout import LoginLocked
from users.models import User
from users.throttles import LoginThrottle


@admin.register(User)
class UserAdmin(AdminOnlyMixin, BaseUserAdmin):
    list_display = [
        "username",
        "email",
        "display_name",
        "role",
        "is_blocked",
        "date_joined",
        "last_login",
    ]
    list_filter = ["role", "is_blocked", "is_active"]
    search_fields = ["username", "email", "display_name"]
    ordering = ["-date_joined"]
    date_hierarchy = "date_joined"
    readonly_fields = [
        "is_staff",
        "is_superuser",
        "blocked_at",
        "last_login",
        "date_joined",
    ]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Profile", {"fields": ("email", "display_name", "bio", "country")}),
        (
            "Access",
            {
                "fields": (
                    "role",
                    "is_blocked",
                    "blocked_at",
                    "is_active",
                    "is_staff",
                    "is_superuser",
                )
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    actions = ["block_users", "unblock_users"]

    @admin.action(description="Block selected users (revokes their tokens)")
    def block_users(self, request, queryset):
        for user in queryset.exclude(pk=request.user.pk):
            services.user_admin_update(user=user, is_blocked=True)
        self.message_user(request, "Users blocked.", messages.SUCCESS)

    @admin.action(description="Unblock selected users")
    def unblock_users(self, request, queryset):
        for user in queryset:
            services.user_admin_update(user=user, is_blocked=False)
        self.message_user(request, "Users unblocked.", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        if change and "is_blocked" in form.changed_data:
            blocked = obj.is_blocked
            obj.is_blocked = not blocked
            services.user_admin_update(user=obj, is_blocked=blocked)
        super().save_model(request, obj, form, change)


# --- the admin login: the same limits as the API's password login ---------------------------


class LockoutAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's login form behind the per-account lockout; blocked users stay out."""

    def clean(self):
        try:
            return super().clean()
        except LoginLocked as exc:
            self.request.login_retry_after = exc.wait  # type: ignore[union-attr]
            raise ValidationError(
                f"{exc.detail} Try again in {exc.wait} seconds.", code="throttled"
            ) from exc

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_blocked:
            raise ValidationError("This account is blocked.", code="blocked")


def _limited_admin_login(login_view):
    """Wrap ``AdminSite.login``: the per-IP ceiling shared with ``/auth/token/`` (one bucket,
    so an address cannot spread its guesses over both doors), and 429 with Retry-After
    when the account is locked. The form explains itself; the status is for machines."""

    @functools.wraps(login_view)
    def login(request, extra_context=None):
        if request.method == "POST":
            usage = get_usage(
                request,
                group=LoginThrottle.group,
                key=client_ip,
                rate=settings.LOGIN_RATE_PER_IP,
                increment=True,
            )
            if usage and usage["should_limit"]:
                wait = max(1, usage["time_left"])
                response = error_response(
                    429, "throttled", f"Too many login attempts; try again in {wait} seconds."
                )
                response["Retry-After"] = str(wait)
                return response
        response = login_view(request, extra_context)
        wait = getattr(request, "login_retry_after", None)
        if wait:
            response.status_code = 429
            response["Retry-After"] = str(wait)
        return response

    return login


admin.site.login_form = LockoutAdminAuthenticationForm
admin.site.login = _limited_admin_login(admin.site.login)  # type: ignore[method-assign]
