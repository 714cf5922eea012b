from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from users import services
from users.admin_mixins import AdminOnlyMixin
from users.models import User


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
