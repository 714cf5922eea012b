"""Input validation and output shapes of the charts API."""

from rest_framework import serializers

from charts.models import Chart, ChartEntry
from charts.normalization import primary_artist
from charts.selectors import ENTRY_STATUSES


class ChartSerializer(serializers.ModelSerializer):
    latest_date = serializers.DateField(allow_null=True, read_only=True)

    class Meta:
        model = Chart
        fields = ["slug", "name", "source", "country", "kind", "latest_date"]


class ChartEntrySerializer(serializers.ModelSerializer):
    song = serializers.IntegerField(
        source="song_ref", allow_null=True, read_only=True, help_text="Catalog song, if matched."
    )
    artist = serializers.IntegerField(
        source="artist_id", allow_null=True, read_only=True, help_text="Catalog artist."
    )
    # Plain strings: empty when the source gives no link.
    url = serializers.CharField(read_only=True)
    artwork_url = serializers.CharField(read_only=True)

    class Meta:
        model = ChartEntry
        fields = [
            "position",
            "title",
            "artist_name",
            "song",
            "artist",
            *ChartEntry.TREND_FIELDS,
            "streams",
            "explicit",
            "url",
            "artwork_url",
        ]
        read_only_fields = fields


class HistoryPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    position = serializers.IntegerField()


class ArtistPresenceSerializer(serializers.Serializer):
    artist = serializers.IntegerField(allow_null=True, help_text="Catalog artist, if matched.")
    artist_name = serializers.SerializerMethodField()
    entries = serializers.IntegerField(help_text="Entries (track-days) in the range.")
    tracks = serializers.IntegerField(help_text="Distinct tracks in the range.")
    days = serializers.IntegerField(help_text="Snapshots with at least one entry.")
    best_position = serializers.IntegerField()

    def get_artist_name(self, row) -> str:
        return row["catalog_name"] or primary_artist(row["artist_credit"])


class TaskAcceptedSerializer(serializers.Serializer):
    task_id = serializers.CharField()


# ----------------------------------------------------------------------------- queries


class _DateRangeQuerySerializer(serializers.Serializer):
    """`from` and `to` (inclusive); `from` is a Python keyword, hence get_fields."""

    def get_fields(self):
        return {
            **super().get_fields(),
            "from": serializers.DateField(required=False, help_text="First date (YYYY-MM-DD)."),
            "to": serializers.DateField(required=False, help_text="Last date (YYYY-MM-DD)."),
        }

    def validate(self, attrs):
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": "Must not be before 'from'."})
        return attrs


class SnapshotQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=ENTRY_STATUSES, required=False, help_text="Only entries with this trend status."
    )


class MoversQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="Default: the latest snapshot.")
    direction = serializers.ChoiceField(choices=["up", "down"], default="up")


class HistoryQuerySerializer(_DateRangeQuerySerializer):
    song = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="The catalog song's id."
    )
    title = serializers.CharField(
        required=False,
        max_length=500,
        help_text="The title as the chart spells it; only together with `artist`.",
    )
    artist = serializers.CharField(
        required=False,
        max_length=500,
        help_text="The artist as the chart spells it; only together with `title`.",
    )

    def validate(self, attrs):
        # Rules across parameters, which OpenAPI cannot state: documented in the operation's
        # description and answered with their own codes (HISTORY_RULE_CODES).
        attrs = super().validate(attrs)
        has_title, has_artist = bool(attrs.get("title")), bool(attrs.get("artist"))
        if has_title != has_artist:
            raise serializers.ValidationError(
                "'title' and 'artist' go together: give both or neither.",
                code="title_artist_together",
            )
        if (attrs.get("song") is not None) == has_title:
            raise serializers.ValidationError(
                "Give either 'song', or 'title' and 'artist'.", code="song_or_title_artist"
            )
        return attrs


HISTORY_RULE_CODES = ("title_artist_together", "song_or_title_artist")


class ArtistsQuerySerializer(_DateRangeQuerySerializer):
    pass
