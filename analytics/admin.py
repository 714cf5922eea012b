"""Admin: the rollup watermark, read-only (the dashboard is at /admin/analytics/)."""

from django.contrib import admin

from analytics.models import RollupWatermark
from users.admin_mixins import ReadOnlyEditorAdminMixin


@admin.register(RollupWatermark)
class RollupWatermarkAdmin(ReadOnlyEditorAdminMixin, admin.ModelAdmin):
    list_display = ["name", "last_event_id", "last_received_at", "through_day", "updated_at"]
    readonly_fields = list_display

    def has_delete_permission(self, request, obj=None):
        # Deleting it would make the next run add every event again (use rollup_analytics
        # --rebuild to start over).
        return False
