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
from django.db.models.signals import post_delete
from django.dispatch import receiver

from catalog.attributes import SONG_ATTRIBUTES

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


def _ranged(field_class, name: str, **options):
    """A nullable model field whose validators come from the attribute table."""
    attribute = SONG_ATTRIBUTES[name]
    options.setdefault("null", True)
    options.setdefault("blank", True)
    validators = [MinValueValidator(attribute.low), MaxValueValidator(attribute.high)]
    return field_class(validators=validators, **options)


def _range_constraint(name: str) -> models.CheckConstraint:
    attribute = SONG_ATTRIBUTES[name]
    return models.CheckConstraint(
        condition=Q(**{f"{name}__isnull": True})
        | Q(**{f"{name}__gte": attribute.low, f"{name}__lte": attribute.high}),
        name=f"song_{name}_range",
    )


class AudioStatus(models.TextChoices):
    """Where a song's sound stands (issue 16). Kept on ``Song`` so lists need no join."""

    NONE = "none", "No audio"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Song(models.Model):
    title = models.CharField(max_length=300)
    artist = models.ForeignKey(Artist, on_delete=models.CASCADE, related_name="songs")
    album = models.ForeignKey(
        Album, null=True, blank=True, on_delete=models.SET_NULL, related_name="songs"
    )
    track_number = _ranged(models.PositiveSmallIntegerField, "track_number")
    genre = models.ForeignKey(
        Genre, null=True, blank=True, on_delete=models.SET_NULL, related_name="songs"
    )
    year = _ranged(models.PositiveSmallIntegerField, "year")
    duration_ms = _ranged(models.PositiveIntegerField, "duration_ms")
    isrc = models.CharField(max_length=12, null=True, blank=True, db_index=True)
    explicit = models.BooleanField(default=False)
    popularity = _ranged(models.PositiveSmallIntegerField, "popularity", null=False, default=0)
    # Audio features (Spotify's definitions; ranges in catalog.attributes).
    acousticness = _ranged(models.FloatField, "acousticness")
    danceability = _ranged(models.FloatField, "danceability")
    energy = _ranged(models.FloatField, "energy")
    instrumentalness = _ranged(models.FloatField, "instrumentalness")
    liveness = _ranged(models.FloatField, "liveness")
    speechiness = _ranged(models.FloatField, "speechiness")
    valence = _ranged(models.FloatField, "valence")
    loudness = _ranged(models.FloatField, "loudness")
    tempo = _ranged(models.FloatField, "tempo")
    key = _ranged(models.SmallIntegerField, "key")
    mode = _ranged(models.SmallIntegerField, "mode")
    is_public = models.BooleanField(default=True)
    is_visible = models.BooleanField(default=True)
    spotify_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    apple_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # Audio (issue 16): the one home of the status; details live in ``SongAudio``.
    audio_status = models.CharField(
        max_length=10, choices=AudioStatus.choices, default=AudioStatus.NONE
    )
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
        constraints = [_range_constraint(name) for name in SONG_ATTRIBUTES]

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


class PlaylistExport(models.Model):
    """One requested export e-mail: what the user reads at ``exports/{task_id}/`` and what
    makes the export task idempotent (its status, in the database: DESIGN.md §6 rule 12)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    task_id = models.CharField(max_length=64, unique=True)
    playlist = models.ForeignKey(
        Playlist, null=True, on_delete=models.SET_NULL, related_name="exports"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="playlist_exports"
    )
    target_email = models.EmailField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"export {self.task_id} ({self.status})"


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


# --- Audio (issue 16): uploads, renditions ------------------------------------------------


class SongAudio(models.Model):
    """A song's uploaded sound and what processing made of it.

    Files live under ``audio/<song id>/`` in the default storage: the original under a
    random name, the renditions of one processing run under a random ``generation`` folder.
    A new upload or a re-run gets a new generation, so a run never overwrites files that are
    being served; its renditions replace the old ones in one transaction when it finishes.
    """

    song = models.OneToOneField(Song, on_delete=models.CASCADE, related_name="audio")
    original = models.CharField(max_length=255)
    original_format = models.CharField(max_length=16)
    original_size = models.PositiveBigIntegerField()
    codec = models.CharField(max_length=32)
    sample_rate = models.PositiveIntegerField()
    channels = models.PositiveSmallIntegerField()
    # Bits per second of a lossy source; None for lossless sources (WAV, FLAC).
    source_bit_rate = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    generation = models.CharField(max_length=32, unique=True)
    task_id = models.CharField(max_length=64, blank=True)
    failure_reason = models.TextField(blank=True)
    loudness_lufs = models.FloatField(null=True, blank=True)
    replay_gain_db = models.FloatField(null=True, blank=True)
    waveform = models.JSONField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "song audio"
        verbose_name_plural = "song audio"
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_ms__gte=1000), name="songaudio_at_least_one_second"
            ),
            models.CheckConstraint(
                condition=Q(loudness_lufs__isnull=True)
                | Q(loudness_lufs__gte=-70.0, loudness_lufs__lte=5.0),
                name="songaudio_loudness_range",
            ),
        ]

    def __str__(self) -> str:
        return f"audio of song {self.song_id}"


class SongAudioRendition(models.Model):
    """One playable rendition of the current generation: an MP3 file or an HLS folder."""

    class Quality(models.TextChoices):
        LOW = "low", "MP3 64 kbps"
        MEDIUM = "medium", "MP3 128 kbps"
        HIGH = "high", "MP3 320 kbps"
        HLS = "hls", "HLS (AAC 64/128/256 kbps)"

    audio = models.ForeignKey(SongAudio, on_delete=models.CASCADE, related_name="renditions")
    quality = models.CharField(max_length=8, choices=Quality.choices)
    generation = models.CharField(max_length=32)
    # Storage folder (no trailing slash) and the file a player opens inside it.
    folder = models.CharField(max_length=255)
    entry = models.CharField(max_length=100)
    codec = models.CharField(max_length=16)
    bit_rate = models.PositiveIntegerField()
    size_bytes = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["audio", "quality"]
        constraints = [
            models.UniqueConstraint(fields=["audio", "quality"], name="rendition_one_per_quality"),
        ]

    def __str__(self) -> str:
        return f"{self.quality} of song audio {self.audio_id}"


@receiver(post_delete, sender=Album, dispatch_uid="catalog.album.cover_files")
def _album_deleted(sender, instance: Album, **kwargs) -> None:
    """Deleting an album, by any path (API, admin, its bulk action, an artist's cascade),
    removes its cover and the cover's renditions once the transaction commits."""
    from catalog.images import delete_images_on_commit

    delete_images_on_commit(covers=[instance.cover.name])


@receiver(post_delete, sender=Artist, dispatch_uid="catalog.artist.image_file")
def _artist_deleted(sender, instance: Artist, **kwargs) -> None:
    """The same for an artist's image (its albums' covers go with each album)."""
    from catalog.images import delete_images_on_commit

    delete_images_on_commit(images=[instance.image.name])


@receiver(post_delete, sender=SongAudio, dispatch_uid="catalog.songaudio.files")
def _song_audio_deleted(sender, instance: SongAudio, **kwargs) -> None:
    """Deleting a song (or only its audio), by any path, removes every file of it."""
    from catalog.audio.files import delete_song_files_on_commit

    delete_song_files_on_commit(song_id=instance.song_id)
