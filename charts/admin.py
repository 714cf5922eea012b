"""Staff UI for charts: charts (pull now), snapshots, entries, runs, unmatched tracks."""

from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, Max
from django.urls import reverse
from django.utils.html import format_html

from charts import services
from charts.models import (
    Chart,
    ChartEntry,
    ChartSnapshot,
    ChartTrack,
    IngestionRun,
    UnmatchedTrack,
)
from common.errors import ServiceUnavailable
from users.admin_mixins import EditorAdminMixin, ReadOnlyEditorAdminMixin

# Feed and artwork URLs are https; say so rather than rely on Django 5's http default.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Chart)
class ChartAdmin(EditorAdminMixin, admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ("slug", "name", "source", "country", "kind", "active", "latest_date")
    list_filter = ("source", "kind", "active")
    search_fields = ("slug", "name")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("etag", "last_modified", "created_at", "updated_at")
    actions = ("pull_now", "recompute_trends")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(latest=Max("snapshots__date"))

    @admin.display(description="Latest snapshot", ordering="latest")
    def latest_date(self, obj):
        return obj.latest

    @admin.action(description="Pull now (queue a feed pull)")
    def pull_now(self, request, queryset):
        queued, skipped = 0, []
        for chart in queryset:
            try:
                services.chart_request_pull(chart=chart)
                queued += 1
            except services.ChartNotPullable:
                skipped.append(chart.slug)
            except ServiceUnavailable:
                # The broker is down (the admin sends at once: no transaction to wait for).
                self.message_user(request, ServiceUnavailable.default_detail, messages.ERROR)
                break
        self.message_user(request, f"{queued} pull(s) queued; see Ingestion runs.")
        if skipped:
            self.message_user(
                request, f"No feed URL (file imports only): {', '.join(skipped)}", messages.WARNING
            )

    @admin.action(description="Recompute trend fields")
    def recompute_trends(self, request, queryset):
        updated = sum(services.chart_recompute_trends(chart=chart) for chart in queryset)
        self.message_user(request, f"{updated} entries updated.")


@admin.register(ChartSnapshot)
class ChartSnapshotAdmin(ReadOnlyEditorAdminMixin, admin.ModelAdmin):
    list_display = ("chart", "date", "entry_count", "fetched_at", "entries_link")
    list_filter = ("chart",)
    date_hierarchy = "date"
    list_select_related = ("chart",)
    readonly_fields = ("chart", "date", "fetched_at", "source_updated_at", "checksum")

    @admin.display(description="Entries")
    def entries_link(self, obj):
        url = reverse("admin:charts_chartentry_changelist") + f"?snapshot__id__exact={obj.pk}"
        return format_html('<a href="{}">{} entries</a>', url, obj.entry_count)

    def get_deleted_objects(self, objs, request):
        # Entries go with their snapshot; nobody may delete them one by one (which would
        # skip the trend recomputation), so do not ask for that permission here.
        to_delete, model_count, _, protected = super().get_deleted_objects(objs, request)
        return to_delete, model_count, set(), protected

    # Deleting a snapshot changes the trend fields of the later ones: go through the service.
    def delete_model(self, request, obj):
        services.chart_snapshot_delete(snapshot=obj)

    def delete_queryset(self, request, queryset):
        for snapshot in queryset.order_by("-date"):
            services.chart_snapshot_delete(snapshot=snapshot)


@admin.register(ChartEntry)
class ChartEntryAdmin(ReadOnlyEditorAdminMixin, admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = (
        "snapshot",
        "position",
        "title",
        "artist_name",
        "song",
        *ChartEntry.TREND_FIELDS,
    )
    list_filter = ("snapshot__chart", "is_new", "is_reentry")
    search_fields = ("title", "artist_name")
    list_select_related = ("snapshot__chart", "song")
    raw_id_fields = ("snapshot", "track", "song", "artist")
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        return False  # entries go with their snapshot


@admin.register(IngestionRun)
class IngestionRunAdmin(ReadOnlyEditorAdminMixin, admin.ModelAdmin):
    list_display = (
        "chart",
        "trigger",
        "status",
        "started_at",
        "finished_at",
        "http_status",
        "snapshots_written",
        "entries_written",
        "error",
    )
    list_filter = ("status", "trigger", "chart")
    list_select_related = ("chart",)
    date_hierarchy = "started_at"


class TrackAdminBase(EditorAdminMixin, admin.ModelAdmin):
    list_display = ("title", "artist_name", "kind", "key", "song", "artist", "match_method")
    list_filter = ("kind", "match_method")
    search_fields = ("title", "artist_name", "key", "external_id")
    raw_id_fields = ("song", "artist")
    list_select_related = ("song", "artist")
    fields = (
        "title",
        "artist_name",
        "kind",
        "key",
        "external_id",
        "artist_external_id",
        "genres",
        "release_date",
        "song",
        "artist",
        "match_method",
    )
    # Staff set the catalog link; the rest is what the chart printed.
    readonly_fields = tuple(name for name in fields if name not in ("song", "artist"))

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Resolving a track relinks all its entries, in one transaction.
        updated = services.chart_track_resolve(track=obj, song=obj.song, artist=obj.artist)
        self.message_user(request, f"{updated} chart entries now point to this match.")


@admin.register(ChartTrack)
class ChartTrackAdmin(TrackAdminBase):
    pass


@admin.register(UnmatchedTrack)
class UnmatchedTrackAdmin(TrackAdminBase):
    """Tracks (or albums) with no catalog link yet, most charted first."""

    list_display = ("title", "artist_name", "kind", "entry_count", "key")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(UnmatchedTrack.UNMATCHED)
            .annotate(entry_count=Count("entries"))
            .order_by("-entry_count", "title")
        )

    @admin.display(description="Chart entries", ordering="entry_count")
    def entry_count(self, obj):
        return obj.entry_count
