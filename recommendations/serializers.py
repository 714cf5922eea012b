"""Input validation and output shapes of the recommendation endpoints."""

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.drainage import set_override
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from catalog.models import Artist, Genre
from catalog.selectors import songs_visible_to
from catalog.serializers import MAX_ID, SongSerializer
from common.fields import JSONBodySerializer, SafeSlugRelatedField
from recommendations.features import ATTRIBUTES
from recommendations.models import Mood

MAX_SEEDS = 5
MAX_FAVORITE_GENRES = 20
MAX_FAVORITE_ARTISTS = 50


# One list item: an id (1 to 18 digits, no leading zero: below PostgreSQL's bigint limit) or
# a genre slug. The whole parameter is matched, so the schema's pattern and the validation
# are the same rule (no spaces, no empty items, no "+1" or "1.0").
ID_ITEM = "[1-9][0-9]{0,17}"
SLUG_ITEM = "[-a-zA-Z0-9_]{1,64}"


@extend_schema_field(OpenApiTypes.STR)
class CommaSeparatedField(serializers.Field):
    """A comma-separated query parameter of 1 to ``max_items`` items matching ``item``; the
    schema documents it as a string with that pattern."""

    default_error_messages = {
        "invalid": _("Give 1 to {max_items} {items}, separated by commas (no spaces)."),
        "empty_item": _("Empty item in the comma-separated list."),
        "too_many": _("At most {max_items} items."),
        # raised by the serializers that look the items up (listed so the schema documents it)
        "does_not_exist": _("Unknown {items}: {values}."),
    }

    def __init__(self, *, item: str, items: str, max_items: int = MAX_SEEDS, **kwargs):
        self.items = items
        self.max_items = max_items
        self.pattern = rf"^{item}(,{item}){{0,{max_items - 1}}}$"
        super().__init__(**kwargs)
        schema = {"type": "string", "pattern": self.pattern}
        if self.help_text:
            schema["description"] = str(self.help_text)
        set_override(self, "field", schema)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid", max_items=self.max_items, items=self.items)
        parts = data.split(",")
        if not re.fullmatch(self.pattern, data):
            # The most telling code for what is wrong (the rule itself is the pattern).
            if any(not part for part in parts):
                self.fail("empty_item")
            if len(parts) > self.max_items:
                self.fail("too_many", max_items=self.max_items)
            self.fail("invalid", max_items=self.max_items, items=self.items)
        values = [int(part) for part in parts] if self.items == "ids" else parts
        return list(dict.fromkeys(values))

    def to_representation(self, value):
        return ",".join(str(v) for v in value)


def _attribute_field(name: str, kind: str) -> serializers.Field:
    attribute = ATTRIBUTES[name]
    field_class = serializers.IntegerField if attribute.integer else serializers.FloatField
    low, high = (
        (int(attribute.low), int(attribute.high))
        if attribute.integer
        else (
            attribute.low,
            attribute.high,
        )
    )
    return field_class(
        required=False,
        min_value=low,
        max_value=high,
        help_text=f"{kind.capitalize()} {name} ({low} to {high}).",
    )


class SeedQuerySerializer(serializers.Serializer):
    """Query of GET /recommendations/: seeds, limit, and min_/max_/target_ attributes.

    Track seeds are songs the caller may see (context ``request``): others are unknown.
    """

    seed_artists = CommaSeparatedField(
        item=ID_ITEM,
        items="ids",
        required=False,
        help_text="Artist ids.",
    )
    seed_genres = CommaSeparatedField(
        item=SLUG_ITEM, items="slugs", required=False, help_text="Genre slugs."
    )
    seed_tracks = CommaSeparatedField(
        item=ID_ITEM,
        items="ids",
        required=False,
        help_text="Song ids.",
    )
    limit = serializers.IntegerField(
        min_value=1, max_value=100, default=20, help_text="How many songs: 1-100, default 20."
    )

    def get_fields(self):
        fields = super().get_fields()
        for name in ATTRIBUTES:
            for kind in ("min", "max", "target"):
                fields[f"{kind}_{name}"] = _attribute_field(name, kind)
        return fields

    def validate(self, attrs):
        artist_ids = attrs.get("seed_artists", [])
        genre_slugs = attrs.get("seed_genres", [])
        track_ids = attrs.get("seed_tracks", [])
        total = len(artist_ids) + len(genre_slugs) + len(track_ids)
        if total == 0:
            raise serializers.ValidationError(
                _("Give at least one of seed_artists, seed_genres, seed_tracks."), code="no_seeds"
            )
        if total > MAX_SEEDS:
            raise serializers.ValidationError(
                _("At most 5 seeds in all (artists, genres and tracks)."), code="too_many_seeds"
            )
        errors = {}
        bounds, targets = {}, {}
        for name in ATTRIBUTES:
            low, high = attrs.get(f"min_{name}"), attrs.get(f"max_{name}")
            if low is not None and high is not None and low > high:
                errors[f"min_{name}"] = [
                    _("min_{name} is greater than max_{name}.").format(name=name)
                ]
            if low is not None or high is not None:
                bounds[name] = (low, high)
            if attrs.get(f"target_{name}") is not None:
                targets[name] = attrs[f"target_{name}"]

        artists = list(Artist.objects.filter(id__in=artist_ids).prefetch_related("genres"))
        genres = list(Genre.objects.filter(slug__in=genre_slugs))
        # Songs the caller may not see are unknown seeds: their existence is not revealed.
        request = self.context.get("request")
        user = getattr(request, "user", None)
        tracks = list(songs_visible_to(user=user).filter(id__in=track_ids))
        for attr, wanted, found, label in (
            ("seed_artists", artist_ids, {a.id for a in artists}, "artist id"),
            ("seed_genres", genre_slugs, {g.slug for g in genres}, "genre"),
            ("seed_tracks", track_ids, {t.id for t in tracks}, "track id"),
        ):
            unknown = [str(value) for value in wanted if value not in found]
            if unknown:
                # "does_not_exist", as DRF's related fields say it: well-formed, names nothing.
                errors[attr] = [
                    ErrorDetail(
                        _("Unknown {label}: {values}.").format(
                            label=label, values=", ".join(unknown)
                        ),
                        code="does_not_exist",
                    )
                ]
        if errors:
            raise serializers.ValidationError(errors)

        def ordered(objects, key, wanted):
            by_key = {key(o): o for o in objects}
            return [by_key[value] for value in wanted]

        return {
            "artists": ordered(artists, lambda a: a.id, artist_ids),
            "genres": ordered(genres, lambda g: g.slug, genre_slugs),
            "tracks": ordered(tracks, lambda t: t.id, track_ids),
            "limit": attrs["limit"],
            "bounds": bounds,
            "targets": targets,
        }


class LimitQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        min_value=1, max_value=100, default=20, help_text="How many songs: 1-100, default 20."
    )


class TrendingQuerySerializer(LimitQuerySerializer):
    window = serializers.ChoiceField(
        choices=["24h", "7d", "30d"], default="7d", help_text="The listening window."
    )
    genre = SafeSlugRelatedField(
        slug_field="slug", queryset=Genre.objects.all(), required=False, help_text="Genre slug."
    )


class ItemsListField(serializers.ListField):
    """A list whose item errors are reported on the list (``moods``), not per index.

    The messages name the item ("Item 2: ..."); the error codes stay those of the child,
    so the OpenAPI schema can list them for the list's attr.
    """

    def run_child_validation(self, data):
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(
                [
                    serializers.ErrorDetail(f"Item {index}: {error}", code=error.code)
                    for index, errors in exc.detail.items()
                    for error in errors
                ]
            ) from exc


# validate_favorite_* refuse ids and slugs that name nothing with this code; listed on the
# fields so that the schema documents it.
UNKNOWN_ITEMS = {"does_not_exist": _("Unknown items: {values}.")}


class PreferencesSerializer(JSONBodySerializer):
    """PUT replaces all three lists; unknown genres or artists are refused.

    Validated data holds Genre and Artist objects; the output is slugs and ids.
    """

    favorite_genres = ItemsListField(
        child=serializers.SlugField(max_length=64),
        max_length=MAX_FAVORITE_GENRES,
        error_messages=UNKNOWN_ITEMS,
    )
    favorite_artists = ItemsListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=MAX_FAVORITE_ARTISTS,
        error_messages=UNKNOWN_ITEMS,
    )
    moods = ItemsListField(
        child=serializers.ChoiceField(choices=Mood.choices), max_length=len(Mood.choices)
    )

    def validate_favorite_genres(self, value):
        slugs = list(dict.fromkeys(value))
        by_slug = {g.slug: g for g in Genre.objects.filter(slug__in=slugs)}
        unknown = [slug for slug in slugs if slug not in by_slug]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown genre: {}.").format(", ".join(unknown)), code="does_not_exist"
            )
        return [by_slug[slug] for slug in slugs]

    def validate_favorite_artists(self, value):
        ids = list(dict.fromkeys(value))
        by_id = Artist.objects.in_bulk(ids)
        unknown = [str(i) for i in ids if i not in by_id]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown artist id: {}.").format(", ".join(unknown)), code="does_not_exist"
            )
        return [by_id[i] for i in ids]

    def validate_moods(self, value):
        return list(dict.fromkeys(value))


# --- Output -----------------------------------------------------------------------------


class SeedInfoSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.ChoiceField(choices=["artist", "genre", "track"])
    initial_pool_size = serializers.IntegerField()
    after_filtering_size = serializers.IntegerField()


class SeedRecommendationsSerializer(serializers.Serializer):
    seeds = SeedInfoSerializer(many=True)
    tracks = SongSerializer(many=True, source="songs")


class GenreSeedsSerializer(serializers.Serializer):
    genres = serializers.ListField(child=serializers.SlugField())


class ScoredSongSerializer(serializers.Serializer):
    song = SongSerializer()
    score = serializers.FloatField()
    reason = serializers.CharField()


class PicksSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    tracks = ScoredSongSerializer(many=True)


class SimilarSongSerializer(serializers.Serializer):
    song = SongSerializer()
    score = serializers.FloatField()
    source = serializers.ChoiceField(choices=["collaborative", "audio_features"])


class SimilarSongsSerializer(serializers.Serializer):
    tracks = SimilarSongSerializer(many=True)


class TrendingSerializer(serializers.Serializer):
    window = serializers.CharField()
    genre = serializers.CharField(allow_null=True)
    tracks = ScoredSongSerializer(many=True)


class RefreshAcceptedSerializer(serializers.Serializer):
    task_id = serializers.CharField()
