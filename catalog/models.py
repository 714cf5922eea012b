"""Catalog data: genres, artists, albums, songs, playlists, likes.

Visibility: ``is_public`` is the owner's switch, ``is_visible`` the staff's. Listeners and
anonymous callers only ever see rows where both are true (see ``catalog.selectors``).
"""

import secrets
import uuid
from pathlib import PurePath

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "webp"}


def _random_image_name(folder: str, filename: str) -> str:
    """A non-guessable storage name that keeps only a known image extension."""
    ext = PurePath(filename).suffix.lower().lstrip(".")
    ext = "jpg" if ext == "jpeg" else ext
    suffix = f".{ext}" if ext in IMAGE_EXTENSIONS else ""
    return f"{folder}/{secrets.token_hex(16)}{suffix}"


def cover_upload_to(instance, filename: str) -> str:
    return _random_image_name("covers", filename)


def artist_image_upload_to(instance, filename: str) -> str:
    return _random_image_name("artists", filename)


class Genre(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Artist(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    bio = models.TextField(blank=True)
    image = models.ImageField(upload_to=artist_image_upload_to, blank=True)
    genres = models.ManyToManyField(Genre, related_name="artists", blank=True)
    # The artist account that manages this profile (role "artist").
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="artist_profile",
    )
    spotify_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    apple_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            GinIndex(fields=["name"], name="artist_name_trgm", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return self.name


class VisibilityQuerySet(models.QuerySet):
    def visible(self):
        """Rows anyone may see: public (owner's switch) and visible (staff's switch)."""
        return self.filter(is_public=True, is_visible=True)


class SongQuerySet(VisibilityQuerySet):
    def visible(self):
        """Public and visible songs whose album (if any) is public and visible too.

        Hiding an album hides its songs everywhere (lists, search, playlists).
        """
        return self.filter(is_public=True, is_visible=True).filter(
            Q(album__isnull=True) | Q(album__is_public=True, album__is_visible=True)
        )


class Album(models.Model):
    title = models.CharField(max_length=300)
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="albums")
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    release_date = models.DateField(null=True, blank=True)
    genre = models.ForeignKey(
        Genre, null=True, blank=True, on_delete=models.SET_NULL, related_name="albums"
    )
    cover = models.ImageField(upload_to=cover_upload_to, blank=True)
    is_public = models.BooleanField(default=True)
    is_visible = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_albums",
    )
    spotify_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    apple_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisibilityQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "title", "id"]
        indexes = [
            models.Index(fields=["artist", "year"]),
            models.Index(fields=["genre", "year"]),
            GinIndex(fields=["title"], name="album_title_trgm", opclasses=["gin_trgm_ops"]),
            models.Index(fields=["is_public", "is_visible"], name="album_visibility"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__isnull=True) | Q(year__gte=1900, year__lte=2100),
                name="album_year_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


AUDIO_FEATURES_UNIT = (
    "acousticness",
    "danceability",
    "energy",
    "instrumentalness",
    "liveness",
    "speechiness",
    "valence",
)
AUDIO_FEATURES = (*AUDIO_FEATURES_UNIT, "loudness", "tempo", "key", "mode")


def _unit_interval():
    return models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )


class Song(models.Model):
    title = models.CharField(max_length=300)
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="songs")
    album = models.ForeignKey(
        Album, null=True, blank=True, on_delete=models.SET_NULL, related_name="songs"
    )
    track_number = models.PositiveSmallIntegerField(null=True, blank=True)
    genre = models.ForeignKey(
        Genre, null=True, blank=True, on_delete=models.SET_NULL, related_name="songs"
    )
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    duration_ms = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(6 * 3600 * 1000)]
    )
    isrc = models.CharField(max_length=12, null=True, blank=True, db_index=True)
    explicit = models.BooleanField(default=False)
    popularity = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    # Audio features (Spotify's definitions): unit-interval ones, then loudness (dB),
    # tempo (BPM), key (pitch class 0-11, -1 unknown) and mode (0 minor, 1 major).
    acousticness = _unit_interval()
    danceability = _unit_interval()
    energy = _unit_interval()
    instrumentalness = _unit_interval()
    liveness = _unit_interval()
    speechiness = _unit_interval()
    valence = _unit_interval()
    loudness = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-60.0), MaxValueValidator(5.0)]
    )
    tempo = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(300.0)]
    )
    key = models.SmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(-1), MaxValueValidator(11)]
    )
    mode = models.SmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(1)]
    )
    is_public = models.BooleanField(default=True)
    is_visible = models.BooleanField(default=True)
    spotify_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    apple_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SongQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        indexes = [
            models.Index(fields=["artist", "album"]),
            models.Index(fields=["album", "track_number"]),
            models.Index(fields=["genre", "year"]),
            models.Index(fields=["-popularity"]),
            GinIndex(fields=["title"], name="song_title_trgm", opclasses=["gin_trgm_ops"]),
            models.Index(fields=["is_public", "is_visible"], name="song_visibility"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(popularity__lte=100), name="song_popularity_0_100"),
            models.CheckConstraint(
                condition=Q(key__isnull=True) | Q(key__gte=-1, key__lte=11), name="song_key_range"
            ),
            models.CheckConstraint(
                condition=Q(mode__isnull=True) | Q(mode__in=[0, 1]), name="song_mode_0_1"
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{name}__isnull": True})
                    | Q(**{f"{name}__gte": 0.0, f"{name}__lte": 1.0}),
                    name=f"song_{name}_0_1",
                )
                for name in AUDIO_FEATURES_UNIT
            ),
            models.CheckConstraint(
                condition=Q(loudness__isnull=True) | Q(loudness__gte=-60.0, loudness__lte=5.0),
                name="song_loudness_range",
            ),
            models.CheckConstraint(
                condition=Q(tempo__isnull=True) | Q(tempo__gte=0.0, tempo__lte=300.0),
                name="song_tempo_range",
            ),
            models.CheckConstraint(
                condition=Q(year__isnull=True) | Q(year__gte=1900, year__lte=2100),
                name="song_year_range",
            ),
            models.CheckConstraint(
                condition=Q(duration_ms__isnull=True) | Q(duration_ms__lte=6 * 3600 * 1000),
                name="song_duration_max_6h",
            ),
        ]

    def __str__(self) -> str:
        return self.title


def new_snapshot_id() -> str:
    return uuid.uuid4().hex


class Playlist(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="playlists"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(max_length=2000, blank=True)
    is_public = models.BooleanField(default=False)
    collaborators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="collaborative_playlists", blank=True
    )
    # Changes on every edit; clients send it back in If-Match for optimistic locking.
    snapshot_id = models.CharField(max_length=32, default=new_snapshot_id)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "id"]
        indexes = [models.Index(fields=["is_public", "-updated_at"])]

    def __str__(self) -> str:
        return self.name


class PlaylistSong(models.Model):
    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="entries")
    song = models.ForeignKey(Song, on_delete=models.CASCADE, related_name="playlist_entries")
    position = models.PositiveIntegerField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["playlist", "position"]
        constraints = [
            # Deferred so a reorder can shift positions inside one transaction.
            models.UniqueConstraint(
                fields=["playlist", "position"],
                name="playlistsong_unique_position",
                deferrable=models.Deferrable.DEFERRED,
            ),
            # A song appears once per playlist, so /playlists/{id}/songs/{song_id}/ is exact.
            models.UniqueConstraint(fields=["playlist", "song"], name="playlistsong_unique_song"),
        ]
        indexes = [models.Index(fields=["song"])]

    def __str__(self) -> str:
        return f"#{self.position} {self.song_id} in playlist {self.playlist_id}"


class PlaylistActivity(models.Model):
    class Action(models.TextChoices):
        ADD = "add", "Add"
        REMOVE = "remove", "Remove"

    playlist = models.ForeignKey(Playlist, on_delete=models.CASCADE, related_name="activities")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    song = models.ForeignKey(Song, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=8, choices=Action.choices)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["playlist", "-at"])]

    def __str__(self) -> str:
        return f"{self.action} song {self.song_id} in playlist {self.playlist_id}"


class AlbumLike(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="album_likes"
    )
    album = models.ForeignKey(Album, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "album"], name="albumlike_one_per_user")
        ]
        indexes = [models.Index(fields=["album"])]

    def __str__(self) -> str:
        return f"user {self.user_id} likes album {self.album_id}"
