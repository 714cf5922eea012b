"""Staff UI for the catalog: editors and admins do their daily work here."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.html import format_html
from rest_framework import serializers

from catalog import selectors
from catalog.audio.admin import SongAudioAdminMixin
from catalog.caching import catalog_changed
from catalog.images import check_image_upload, cover_file_names, save_cover_sizes
from catalog.models import (
    Album,
    AlbumLike,
    Artist,
    Genre,
    Playlist,
    PlaylistActivity,
    PlaylistSong,
    Song,
    new_snapshot_id,
)
from catalog.services import delete_stored_files
from users.admin_mixins import EditorAdminMixin, ReadOnlyEditorAdminMixin


def _thumbnail(image, size: int = 48):
    if not image:
        return "—"
    return format_html(
        '<img src="{}" alt="" style="width:{}px;height:{}px;object-fit:cover;border-radius:4px">',
        image.url,
        size,
        size,
    )


class VisibilityActionsMixin:
    """Bulk publish/hide: staff switch ``is_visible``; owners switch ``is_public``."""

    actions = ["publish", "hide", "make_public", "make_private"]

    def _set(self, request, queryset, **values):
        updated = queryset.update(**values, updated_at=timezone.now())
        catalog_changed()  # a queryset update sends no model signals
        self.message_user(request, f"{updated} updated.", messages.SUCCESS)

    @admin.action(description="Publish selected (visible to listeners)")
    def publish(self, request, queryset):
        self._set(request, queryset, is_visible=True)

    @admin.action(description="Hide selected (staff only)")
    def hide(self, request, queryset):
        self._set(request, queryset, is_visible=False)

    @admin.action(description="Make selected public")
    def make_public(self, request, queryset):
        self._set(request, queryset, is_public=True)

    @admin.action(description="Make selected private")
    def make_private(self, request, queryset):
        self._set(request, queryset, is_public=False)


class ImageCheckedForm(forms.ModelForm):
    """Admin uploads get the same content checks as the API (Pillow, size, pixels) and are
    stored re-encoded like API uploads (no EXIF, nothing appended)."""

    image_fields: tuple[str, ...] = ()

    def clean(self):
        cleaned = super().clean()
        self.checked_images = {}
        for name in self.image_fields:
            upload = cleaned.get(name)
            if upload and name in self.changed_data and hasattr(upload, "read"):
                try:
                    checked = check_image_upload(upload, field=name)
                except serializers.ValidationError as exc:
                    self.add_error(name, [str(message) for message in exc.detail[name]])
                else:
                    self.checked_images[name] = checked
                    cleaned[name] = ContentFile(checked.data, name=f"{name}.{checked.extension}")
        return cleaned


class ReplacesOldImagesMixin:
    """When an image is replaced or cleared in the admin, delete the old file after commit."""

    image_fields: tuple[str, ...] = ()

    def save_model(self, request, obj, form, change):
        old_names = []
        if change:
            previous = type(obj).objects.filter(pk=obj.pk).values(*self.image_fields).first() or {}
            old_names = [
                previous.get(name)
                for name in self.image_fields
                if name in form.changed_data and previous.get(name)
            ]
            if "cover" in self.image_fields and "cover" in form.changed_data:
                old_names = [n for n in old_names if n != previous.get("cover")]
                old_names += cover_file_names([previous.get("cover")])
        super().save_model(request, obj, form, change)
        if old_names:
            transaction.on_commit(lambda: delete_stored_files(old_names))


@admin.register(Genre)
class GenreAdmin(EditorAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "artist_count", "song_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    ordering = ["name"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_artists=Count("artists", distinct=True), n_songs=Count("songs", distinct=True)
            )
        )

    @admin.display(description="Artists", ordering="n_artists")
    def artist_count(self, obj):
        return obj.n_artists

    @admin.display(description="Songs", ordering="n_songs")
    def song_count(self, obj):
        return obj.n_songs


class ArtistForm(ImageCheckedForm):
    image_fields = ("image",)

    class Meta:
        model = Artist
        fields = ["name", "slug", "bio", "genres", "image", "user", "spotify_id", "apple_id"]


@admin.register(Artist)
class ArtistAdmin(ReplacesOldImagesMixin, EditorAdminMixin, admin.ModelAdmin):
    form = ArtistForm
    image_fields = ("image",)
    list_display = [
        "image_thumbnail",
        "name",
        "slug",
        "user",
        "album_count",
        "song_count",
        "created_at",
    ]
    list_display_links = ["image_thumbnail", "name"]
    list_filter = ["genres", ("user", admin.EmptyFieldListFilter)]
    search_fields = ["name", "slug", "spotify_id", "apple_id", "user__username"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["genres"]
    # Editors may not browse users (admins only), so the owner is picked by id.
    raw_id_fields = ["user"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["image_preview", "created_at", "updated_at"]
    list_select_related = ["user"]
    fieldsets = (
        (None, {"fields": ("name", "slug", "bio", "genres")}),
        ("Image", {"fields": ("image", "image_preview")}),
        ("Account and external ids", {"fields": ("user", "spotify_id", "apple_id")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_albums=Count("albums", distinct=True), n_songs=Count("songs", distinct=True)
            )
        )

    @admin.display(description="")
    def image_thumbnail(self, obj):
        return _thumbnail(obj.image)

    @admin.display(description="Preview")
    def image_preview(self, obj):
        return _thumbnail(obj.image, 200)

    @admin.display(description="Albums", ordering="n_albums")
    def album_count(self, obj):
        return obj.n_albums

    @admin.display(description="Songs", ordering="n_songs")
    def song_count(self, obj):
        return obj.n_songs


class AlbumSongInline(EditorAdminMixin, admin.TabularInline):
    model = Song
    fields = [
        "track_number",
        "title",
        "artist",
        "duration_ms",
        "explicit",
        "is_public",
        "is_visible",
    ]
    autocomplete_fields = ["artist"]
    ordering = [F("track_number").asc(nulls_last=True), "title"]
    extra = 0
    show_change_link = True


class AlbumForm(ImageCheckedForm):
    image_fields = ("cover",)

    class Meta:
        model = Album
        fields = [
            "title", "artist", "genre", "year", "release_date", "cover", "is_public",
            "is_visible", "created_by", "spotify_id", "apple_id",
        ]  # fmt: skip


@admin.register(Album)
class AlbumAdmin(
    ReplacesOldImagesMixin, VisibilityActionsMixin, EditorAdminMixin, admin.ModelAdmin
):
    form = AlbumForm
    image_fields = ("cover",)
    list_display = [
        "cover_thumbnail", "title", "artist", "year", "genre", "is_public", "is_visible",
        "song_count", "like_count", "created_at",
    ]  # fmt: skip
    list_display_links = ["cover_thumbnail", "title"]
    list_filter = ["is_visible", "is_public", "genre", "year"]
    list_editable = ["is_visible"]
    search_fields = ["title", "artist__name", "spotify_id", "apple_id"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["artist", "genre"]
    raw_id_fields = ["created_by"]
    readonly_fields = ["cover_preview", "created_at", "updated_at"]
    list_select_related = ["artist", "genre"]
    inlines = [AlbumSongInline]
    fieldsets = (
        (None, {"fields": ("title", "artist", "genre", "year", "release_date")}),
        ("Cover", {"fields": ("cover", "cover_preview")}),
        ("Visibility", {"fields": ("is_public", "is_visible")}),
        (
            "Provenance",
            {"fields": ("created_by", "spotify_id", "apple_id", "created_at", "updated_at")},
        ),
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(n_songs=Count("songs", distinct=True), n_likes=Count("likes", distinct=True))
        )

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        checked = getattr(form, "checked_images", {}).get("cover")
        if checked is not None and obj.cover:
            save_cover_sizes(obj.cover.name, checked)

    @admin.display(description="")
    def cover_thumbnail(self, obj):
        return _thumbnail(obj.cover)

    @admin.display(description="Preview")
    def cover_preview(self, obj):
        return _thumbnail(obj.cover, 240)

    @admin.display(description="Songs", ordering="n_songs")
    def song_count(self, obj):
        return obj.n_songs

    @admin.display(description="Likes", ordering="n_likes")
    def like_count(self, obj):
        return obj.n_likes


@admin.register(Song)
class SongAdmin(SongAudioAdminMixin, VisibilityActionsMixin, EditorAdminMixin, admin.ModelAdmin):
    list_display = [
        "title", "artist", "album", "track_number", "genre", "year", "popularity", "explicit",
        "is_public", "is_visible", "audio_status",
    ]  # fmt: skip
    list_filter = ["is_visible", "is_public", "explicit", "audio_status", "genre", "year"]
    actions = [*VisibilityActionsMixin.actions, "reprocess_audio"]
    list_editable = ["is_visible"]
    search_fields = ["title", "artist__name", "album__title", "isrc", "spotify_id", "apple_id"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["artist", "album", "genre"]
    list_select_related = ["artist", "album", "genre"]
    readonly_fields = ["created_at", "updated_at", "audio_status", "audio_panel"]
    fieldsets = (
        (None, {"fields": ("title", "artist", "album", "track_number", "genre", "year")}),
        ("Details", {"fields": ("duration_ms", "isrc", "explicit", "popularity")}),
        ("Audio", {"fields": ("audio_panel",)}),
        (
            "Audio features",
            {
                "classes": ["collapse"],
                "fields": (
                    ("acousticness", "danceability", "energy"),
                    ("instrumentalness", "liveness", "speechiness", "valence"),
                    ("loudness", "tempo", "key", "mode"),
                ),
            },
        ),
        ("Visibility", {"fields": ("is_public", "is_visible")}),
        ("External ids", {"fields": ("spotify_id", "apple_id", "created_at", "updated_at")}),
    )


class PlaylistSongInline(EditorAdminMixin, admin.TabularInline):
    model = PlaylistSong
    fields = ["position", "song", "added_by", "added_at"]
    readonly_fields = ["added_at"]
    autocomplete_fields = ["song"]
    raw_id_fields = ["added_by"]
    ordering = ["position"]
    extra = 0


@admin.register(Playlist)
class PlaylistAdmin(EditorAdminMixin, admin.ModelAdmin):
    list_display = ["name", "owner", "is_public", "song_count", "collaborator_count", "updated_at"]
    list_filter = ["is_public"]
    search_fields = ["name", "description", "owner__username"]
    date_hierarchy = "created_at"
    raw_id_fields = ["owner", "collaborators"]
    readonly_fields = ["snapshot_id", "created_at", "updated_at"]
    list_select_related = ["owner"]
    inlines = [PlaylistSongInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_songs=Count("entries", distinct=True),
                n_collaborators=Count("collaborators", distinct=True),
            )
        )

    @admin.display(description="Songs", ordering="n_songs")
    def song_count(self, obj):
        return obj.n_songs

    @admin.display(description="Collaborators", ordering="n_collaborators")
    def collaborator_count(self, obj):
        return obj.n_collaborators

    def save_formset(self, request, form, formset, change):
        if formset.model is not PlaylistSong:
            return super().save_formset(request, form, formset, change)
        entries = formset.save(commit=False)
        added = []
        for entry in entries:
            if entry.pk is None:
                entry.added_by = entry.added_by or request.user
                added.append(entry.song_id)
            entry.save()
        removed = [entry.song_id for entry in formset.deleted_objects]
        for entry in formset.deleted_objects:
            entry.delete()
        Action = PlaylistActivity.Action
        PlaylistActivity.objects.bulk_create(
            [
                PlaylistActivity(
                    playlist=form.instance, user=request.user, song_id=song_id, action=action
                )
                for action, song_ids in ((Action.ADD, added), (Action.REMOVE, removed))
                for song_id in song_ids
            ]
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Whatever positions staff typed, keep them contiguous and in the chosen order.
        playlist = form.instance
        entries = list(PlaylistSong.objects.filter(playlist=playlist).order_by("position", "id"))
        moved = []
        for index, entry in enumerate(entries):
            if entry.position != index:
                entry.position = index
                moved.append(entry)
        PlaylistSong.objects.bulk_update(moved, ["position"])
        if change:
            Playlist.objects.filter(pk=playlist.pk).update(snapshot_id=new_snapshot_id())


@admin.register(PlaylistActivity)
class PlaylistActivityAdmin(ReadOnlyEditorAdminMixin, admin.ModelAdmin):
    list_display = ["at", "playlist", "user", "action", "song"]
    list_filter = ["action"]
    search_fields = ["playlist__name", "user__username", "song__title"]
    date_hierarchy = "at"
    list_select_related = ["playlist", "user", "song"]


@admin.register(AlbumLike)
class AlbumLikeAdmin(ReadOnlyEditorAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "user", "album"]
    search_fields = ["user__username", "album__title"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "album"]

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        cache.delete(selectors.album_likes_cache_key(obj.album_id))

    def delete_queryset(self, request, queryset):
        album_ids = set(queryset.values_list("album_id", flat=True))
        super().delete_queryset(request, queryset)
        cache.delete_many([selectors.album_likes_cache_key(pk) for pk in album_ids])
