"""Catalog input validation and output shapes (DESIGN.md §4, Catalog rows)."""

from __future__ import annotations

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.attributes import AUDIO_FEATURES, SONG_ATTRIBUTES
from catalog.audio.serializers import SongAudioSerializer
from catalog.images import COVER_SIZES, cover_size_name
from catalog.models import (
    Album,
    Artist,
    Genre,
    Playlist,
    PlaylistActivity,
    PlaylistExport,
    PlaylistSong,
    Song,
)
from catalog.services import MAX_SONGS_PER_ADD
from common.fields import (
    JSONBodySerializer,
    JSONBooleanField,
    QueryBooleanField,
    SafeSlugRelatedField,
    date_in_years_pattern,
)
from common.filters import MAX_ID

NULLABLE_URL = {"type": "string", "format": "uri", "nullable": True}
# The re-encoded cover fitted into each square box, keyed by the box's size in pixels.
COVER_SIZES_SCHEMA = {
    "type": "object",
    "nullable": True,
    "properties": {str(box): {"type": "string", "format": "uri"} for box in COVER_SIZES},
    "required": [str(box) for box in COVER_SIZES],
    "additionalProperties": False,
}


def _absolute_url(serializer: serializers.Serializer, file_field) -> str | None:
    if not file_field:
        return None
    return _absolute(serializer, file_field.url)


def _absolute(serializer: serializers.Serializer, url: str) -> str:
    request = serializer.context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


# --- output --------------------------------------------------------------------------------


class GenreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Genre
        fields = ["slug", "name"]


class ArtistRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AlbumRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class ArtistSerializer(serializers.ModelSerializer):
    genres = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    image_url = serializers.SerializerMethodField()

    class Meta:
        model = Artist
        fields = ["id", "name", "genres", "bio", "image_url"]

    @extend_schema_field(NULLABLE_URL)
    def get_image_url(self, artist: Artist) -> str | None:
        return _absolute_url(self, artist.image)


def ranged_field(name: str, **options) -> serializers.Field:
    """An input field whose bounds come from the attribute table (``catalog.attributes``)."""
    attribute = SONG_ATTRIBUTES[name]
    options.setdefault("allow_null", True)
    options.setdefault("required", False)
    if attribute.integer:
        return serializers.IntegerField(
            min_value=int(attribute.low), max_value=int(attribute.high), **options
        )
    return serializers.FloatField(min_value=attribute.low, max_value=attribute.high, **options)


AudioFeaturesSerializer = type(
    "AudioFeaturesSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "Spotify's audio features; each may be null when unknown.",
        "__module__": __name__,
        **{name: ranged_field(name) for name in AUDIO_FEATURES},
    },
)


class SongSerializer(serializers.ModelSerializer):
    artist = ArtistRefSerializer(read_only=True)
    album = AlbumRefSerializer(read_only=True, allow_null=True)
    genre = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    audio_features = serializers.SerializerMethodField()
    audio = serializers.SerializerMethodField()

    class Meta:
        model = Song
        fields = [
            "id", "title", "artist", "album", "genre", "year", "duration_ms", "track_number",
            "isrc", "explicit", "popularity", "audio_features", "is_public", "is_visible",
            "audio",
        ]  # fmt: skip

    @extend_schema_field(AudioFeaturesSerializer)
    def get_audio_features(self, song: Song) -> dict:
        return {name: getattr(song, name) for name in AUDIO_FEATURES}

    @extend_schema_field(SongAudioSerializer)
    def get_audio(self, song: Song) -> dict:
        # Audio (issue 16): a song shown on its own gets loudness and signed streams; in
        # lists (and nested) only the status, so no row costs a query or a signature.
        from catalog.audio import selectors as audio

        if self.root is not self:
            return audio.song_audio_summary(song)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return audio.song_audio_detail(song=song, user=user, request=request)

    def to_representation(self, song: Song) -> dict:
        # Lean rendering (issue 12): one dict per row instead of walking 15 field objects and
        # two nested serializers per song, which was most of a list's time. The declared
        # fields above stay the schema; a test checks both give the same body.
        artist, album, genre = song.artist, song.album, song.genre
        return {
            "id": song.pk,
            "title": song.title,
            "artist": {"id": artist.pk, "name": artist.name},
            "album": None if album is None else {"id": album.pk, "title": album.title},
            "genre": None if genre is None else genre.slug,
            "year": song.year,
            "duration_ms": song.duration_ms,
            "track_number": song.track_number,
            "isrc": song.isrc,
            "explicit": song.explicit,
            "popularity": song.popularity,
            "audio_features": {name: getattr(song, name) for name in AUDIO_FEATURES},
            "is_public": song.is_public,
            "is_visible": song.is_visible,
            "audio": self.get_audio(song),
        }


class AlbumSerializer(serializers.ModelSerializer):
    artist = ArtistRefSerializer(read_only=True)
    genre = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    cover_url = serializers.SerializerMethodField()
    cover_sizes = serializers.SerializerMethodField()
    song_count = serializers.IntegerField(read_only=True)
    liked = serializers.SerializerMethodField()

    class Meta:
        model = Album
        fields = [
            "id", "title", "artist", "year", "release_date", "genre", "cover_url", "cover_sizes",
            "is_public", "is_visible", "song_count", "liked",
        ]  # fmt: skip

    def get_liked(self, album: Album) -> bool:
        """Whether the caller likes the album (``catalog.selectors.album_list`` annotates it
        in the same query; always false for anonymous callers)."""
        return bool(getattr(album, "liked", False))

    def to_representation(self, album: Album) -> dict:
        # Lean rendering (issue 12), like SongSerializer's; a test compares it with DRF's.
        if not hasattr(album, "song_count"):  # not from album_list (the cover's answer)
            return super().to_representation(album)
        artist, genre, release_date = album.artist, album.genre, album.release_date
        return {
            "id": album.pk,
            "title": album.title,
            "artist": {"id": artist.pk, "name": artist.name},
            "year": album.year,
            "release_date": None if release_date is None else release_date.isoformat(),
            "genre": None if genre is None else genre.slug,
            "cover_url": self.get_cover_url(album),
            "cover_sizes": self.get_cover_sizes(album),
            "is_public": album.is_public,
            "is_visible": album.is_visible,
            "song_count": album.song_count,
            "liked": self.get_liked(album),
        }

    @extend_schema_field(NULLABLE_URL)
    def get_cover_url(self, album: Album) -> str | None:
        return _absolute_url(self, album.cover)

    @extend_schema_field(COVER_SIZES_SCHEMA)
    def get_cover_sizes(self, album: Album) -> dict[str, str] | None:
        if not album.cover:
            return None
        return {
            str(box): _absolute(
                self, album.cover.storage.url(cover_size_name(album.cover.name, box))
            )
            for box in COVER_SIZES
        }


class AlbumDetailSerializer(AlbumSerializer):
    songs = serializers.SerializerMethodField()

    class Meta(AlbumSerializer.Meta):
        fields = [*AlbumSerializer.Meta.fields, "songs"]

    def to_representation(self, album: Album) -> dict:
        return {**super().to_representation(album), "songs": self.get_songs(album)}

    @extend_schema_field(SongSerializer(many=True))
    def get_songs(self, album: Album) -> list[dict]:
        songs = getattr(album, "visible_songs", None)
        if songs is None:  # not prefetched (e.g. right after a write): the caller's view
            return []
        return SongSerializer(songs, many=True, context=self.context).data


class CoverSerializer(serializers.Serializer):
    cover_url = serializers.URLField()


class LikesSerializer(serializers.Serializer):
    likes = serializers.IntegerField()


class PlaylistSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer(read_only=True)
    collaborators = UserRefSerializer(many=True, read_only=True)
    song_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Playlist
        fields = [
            "id", "name", "description", "is_public", "owner", "collaborators", "snapshot_id",
            "song_count", "created_at", "updated_at",
        ]  # fmt: skip


class PlaylistEntrySerializer(serializers.ModelSerializer):
    # Counted over the songs the caller may see (0, 1, 2, ... with no gaps).
    position = serializers.IntegerField(source="visible_position", read_only=True)
    song = SongSerializer(read_only=True)
    added_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = PlaylistSong
        fields = ["position", "song", "added_by", "added_at"]


class PlaylistSongsChangeSerializer(serializers.Serializer):
    snapshot_id = serializers.CharField()
    entries = PlaylistEntrySerializer(many=True)


class PlaylistSnapshotSerializer(serializers.Serializer):
    snapshot_id = serializers.CharField()


class SongRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class PlaylistActivitySerializer(serializers.ModelSerializer):
    user = UserRefSerializer(read_only=True, allow_null=True)
    song = serializers.SerializerMethodField()

    class Meta:
        model = PlaylistActivity
        fields = ["user", "song", "action", "at"]

    @extend_schema_field(SongRefSerializer(allow_null=True))
    def get_song(self, activity: PlaylistActivity) -> dict | None:
        # Songs the caller may not see (or deleted ones) are shown as null.
        if activity.song_id is None or not getattr(activity, "song_visible", False):
            return None
        return {"id": activity.song.pk, "title": activity.song.title}


class CollaboratorsSerializer(serializers.Serializer):
    collaborators = UserRefSerializer(many=True)


class PlaylistExportAcceptedSerializer(serializers.Serializer):
    task_id = serializers.CharField()


# --- input ---------------------------------------------------------------------------------


class ArtistInputSerializer(JSONBodySerializer):
    name = serializers.CharField(max_length=200)
    bio = serializers.CharField(max_length=10_000, allow_blank=True, required=False)
    genres = SafeSlugRelatedField(
        slug_field="slug", queryset=Genre.objects.all(), many=True, required=False
    )


_YEARS = SONG_ATTRIBUTES["year"]


@extend_schema_field(
    {
        "type": "string",
        "format": "date",
        "pattern": date_in_years_pattern(int(_YEARS.low), int(_YEARS.high)),
    }
)
class ReleaseDateField(serializers.DateField):
    """A day in the catalog's year range, which the schema states as a pattern (OpenAPI 3.0
    has no bounds for a date)."""


class AlbumInputSerializer(JSONBodySerializer):
    title = serializers.CharField(max_length=300)
    artist = serializers.PrimaryKeyRelatedField(
        queryset=Artist.objects.all(),
        required=False,
        help_text="Artist id. Editors and admins must give it (else 400 `artist_required`);"
        " an artist account may leave it out for its own artist.",
    )
    year = ranged_field("year")
    release_date = ReleaseDateField(allow_null=True, required=False)
    genre = SafeSlugRelatedField(
        slug_field="slug", queryset=Genre.objects.all(), allow_null=True, required=False
    )
    is_public = JSONBooleanField(required=False)
    is_visible = JSONBooleanField(required=False, help_text="Editors and admins only.")

    def validate_release_date(self, value):
        year = SONG_ATTRIBUTES["year"]
        if value is not None and not year.low <= value.year <= year.high:
            raise serializers.ValidationError(f"Must be between {year.low} and {year.high}.")
        return value


isrc_validator = RegexValidator(
    r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$", "An ISRC is 12 characters, e.g. USUM71703861."
)


class SongInputSerializer(JSONBodySerializer):
    title = serializers.CharField(max_length=300)
    artist = serializers.PrimaryKeyRelatedField(
        queryset=Artist.objects.all(),
        required=False,
        help_text="Artist id. Editors and admins give it or an `album` (then the album's"
        " artist; neither is a 400 `artist_or_album`); an artist account may leave both out.",
    )
    album = serializers.PrimaryKeyRelatedField(
        queryset=Album.objects.all(), allow_null=True, required=False
    )
    track_number = ranged_field("track_number")
    genre = SafeSlugRelatedField(
        slug_field="slug", queryset=Genre.objects.all(), allow_null=True, required=False
    )
    year = ranged_field("year")
    duration_ms = ranged_field("duration_ms")
    isrc = serializers.CharField(
        max_length=12, allow_null=True, required=False, validators=[isrc_validator]
    )
    explicit = JSONBooleanField(required=False)
    popularity = ranged_field("popularity", allow_null=False, help_text="Editors and admins only.")
    audio_features = AudioFeaturesSerializer(required=False, allow_null=True)
    is_public = JSONBooleanField(required=False)
    is_visible = JSONBooleanField(required=False, help_text="Editors and admins only.")


class PlaylistInputSerializer(JSONBodySerializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    is_public = JSONBooleanField(required=False)


class PlaylistListQuerySerializer(serializers.Serializer):
    public = QueryBooleanField(required=False, default=False)


class PlaylistAddSongsSerializer(JSONBodySerializer):
    """Either ``song_id`` or ``song_ids`` (up to 100), inserted at ``position`` or appended."""

    song_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    song_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=MAX_SONGS_PER_ADD,
        required=False,
    )
    position = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)

    def validate(self, attrs):
        if ("song_id" in attrs) == ("song_ids" in attrs):
            raise serializers.ValidationError(
                "Give exactly one of song_id and song_ids.", code="song_id_or_song_ids"
            )
        if "song_id" in attrs:
            attrs["song_ids"] = [attrs.pop("song_id")]
        return attrs


class PlaylistMoveSongSerializer(JSONBodySerializer):
    position = serializers.IntegerField(min_value=0, max_value=2**31 - 1)


class CollaboratorInputSerializer(JSONBodySerializer):
    user_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class ExportInputSerializer(JSONBodySerializer):
    target_email = serializers.EmailField(
        max_length=254,
        required=False,
        help_text="Optional: your account's own address (exports go nowhere else).",
    )


class PlaylistExportSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlaylistExport
        fields = ["task_id", "status", "target_email", "detail", "created_at", "finished_at"]


class CoverUploadSerializer(serializers.Serializer):
    cover = serializers.FileField(
        help_text="A JPEG, PNG or WebP image, at most 5 MB and 25 megapixels."
    )
