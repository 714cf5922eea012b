from django.contrib import admin, messages

from recommendations import services
from recommendations.models import (
    RecommendationLog,
    RecommendationModel,
    UserPicks,
    UserPreferences,
)
from users.admin_mixins import AdminOnlyMixin, ReadOnlyEditorAdminMixin
from users.permissions import is_admin


@admin.register(RecommendationModel)
class RecommendationModelAdmin(ReadOnlyEditorAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "created_at",
        "is_active",
        "algorithm",
        "users_count",
        "items_count",
        "interactions_count",
        "fit_seconds",
    ]
    list_filter = ["is_active"]
    actions = ["activate"]

    def has_activate_permission(self, request) -> bool:
        return is_admin(request.user)

    @admin.action(description="Make the selected model the active one", permissions=["activate"])
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one model.", messages.ERROR)
            return
        model = services.recommendation_model_activate(model=queryset.get())
        self.message_user(request, f"Model {model.pk} is now active.", messages.SUCCESS)


@admin.register(RecommendationLog)
class RecommendationLogAdmin(ReadOnlyEditorAdminMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "status",
        "user",
        "model",
        "users_count",
        "items_count",
        "interactions_count",
        "duration_seconds",
    ]
    list_filter = ["kind", "status"]
    list_select_related = ["user", "model"]
    date_hierarchy = "created_at"


@admin.register(UserPicks)
class UserPicksAdmin(ReadOnlyEditorAdminMixin, admin.ModelAdmin):
    list_display = ["user", "generated_at", "is_cold_start", "model"]
    list_filter = ["is_cold_start"]
    list_select_related = ["user", "model"]
    search_fields = ["user__username"]


@admin.register(UserPreferences)
class UserPreferencesAdmin(AdminOnlyMixin, admin.ModelAdmin):
    list_display = ["user", "moods", "updated_at"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    filter_horizontal = ["favorite_genres", "favorite_artists"]
    search_fields = ["user__username"]
