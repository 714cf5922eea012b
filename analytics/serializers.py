"""Input validation and output shapes for the analytics API.

Event batches are validated by hand rather than by a DRF ``ListSerializer``: a batch holds up
to 1,000 items and a serializer per item costs more than the whole insert. The rules are the
same a serializer would apply, and errors come out in the same shape
(``{"<index>": {"<field>": [ErrorDetail]}}``, rendered as ``attr: "<index>.<field>"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError

from analytics.models import Action, FlagReason
from catalog.attributes import MAX_DURATION_MS
from common.fields import QueryBooleanField, UTCDateTimeField, parse_utc_datetime
from common.filters import MAX_ID

MAX_BATCH = 1000
# 1,000 events with a full context are about 250 KB; leave room, refuse anything bigger.
MAX_BODY_BYTES = 512 * 1024
MAX_PAST = timedelta(days=30)
MAX_FUTURE = timedelta(hours=1)
MAX_POSITION_MS = MAX_DURATION_MS  # the longest song the catalog accepts
MAX_OCCURRED_AT_LENGTH = 40  # room for microseconds and an offset
MAX_CONTEXT_ID = 2**63 - 1
CONTEXT_SOURCES = ("album", "playlist", "chart", "recommendation", "search", "artist", "library")
CONTEXT_KEYS = ("source", "id", "device")
CONTEXT_MAX_TEXT = 64
EVENT_FIELDS = frozenset(("song", "action", "occurred_at", "position_ms", "context", "event_id"))
EVENT_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
ACTIONS = frozenset(a.value for a in Action)
MAX_INT = 2**31 - 1
MAX_RANGE_DAYS = 366
EARLIEST_DAY = date(2000, 1, 2)
LATEST_DAY = date(2100, 12, 31)
MAX_REPORTED_ITEMS = 50  # errors are reported for at most this many items


@dataclass(slots=True)
class EventIn:
    song: int
    action: str
    occurred_at: datetime
    position_ms: int | None
    context: dict | None
    event_id: str | None


def _err(message: str, code: str) -> list[ErrorDetail]:
    return [ErrorDetail(message, code=code)]


def _int_value(value) -> int | None:
    """An integer from JSON (a number without a fraction); None when it is not one.

    Not a string of digits: the schema says ``type: integer``, and what it forbids is refused.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _parse_occurred_at(value) -> datetime | None:
    """An ISO 8601 time with an explicit offset, in UTC; None when it is not one.

    The offset is required (a device's local time without one is ambiguous); any offset
    PostgreSQL would refuse (±16:00 and more) is converted by ``parse_utc_datetime``.
    """
    if not isinstance(value, str) or len(value) > MAX_OCCURRED_AT_LENGTH:
        return None
    try:
        has_offset = datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return None
    return parse_utc_datetime(value) if has_offset else None


def _parse_context(value, errors: dict) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        errors["context"] = _err("Expected an object with source, id and device.", "invalid")
        return None
    unknown = sorted(set(value) - set(CONTEXT_KEYS))
    if unknown:
        errors["context"] = _err(f"Unknown keys: {', '.join(unknown)[:100]}.", "unknown_field")
        return None
    clean = {}
    source = value.get("source")
    if source is not None:
        if source not in CONTEXT_SOURCES:
            errors["context"] = _err(
                f"source must be one of: {', '.join(CONTEXT_SOURCES)}.", "invalid_choice"
            )
            return None
        clean["source"] = source
    ctx_id = value.get("id")
    if ctx_id is not None:
        if isinstance(ctx_id, bool) or not isinstance(ctx_id, int | str):
            errors["context"] = _err("id must be a string or an integer.", "invalid")
            return None
        if isinstance(ctx_id, int) and not 0 <= ctx_id <= MAX_CONTEXT_ID:
            errors["context"] = _err("id is out of range.", "invalid")
            return None
        if isinstance(ctx_id, str) and not 0 < len(ctx_id) <= CONTEXT_MAX_TEXT:
            errors["context"] = _err(f"id must be 1-{CONTEXT_MAX_TEXT} characters.", "invalid")
            return None
        clean["id"] = ctx_id
    device = value.get("device")
    if device is not None:
        if not isinstance(device, str) or not 0 < len(device) <= CONTEXT_MAX_TEXT:
            errors["context"] = _err(
                f"device must be a string of 1-{CONTEXT_MAX_TEXT} characters.", "invalid"
            )
            return None
        clean["device"] = device
    if any(isinstance(v, str) and "\x00" in v for v in clean.values()):
        errors["context"] = _err("NUL characters are not allowed.", "invalid")
        return None
    return clean or None


def _parse_event(item, *, now: datetime) -> tuple[EventIn | None, dict]:
    if not isinstance(item, dict):
        return None, {"non_field_errors": _err("Each event must be an object.", "invalid")}
    errors: dict = {}
    for key in sorted(set(item) - EVENT_FIELDS)[:5]:
        errors[key[:64]] = _err("Unknown field.", "unknown_field")

    song = None
    if "song" not in item or item["song"] is None:
        errors["song"] = _err("This field is required.", "required")
    else:
        song = _int_value(item["song"])
        if song is None:
            errors["song"] = _err("A valid integer is required.", "invalid")
        elif not 1 <= song <= 2**63 - 1:
            errors["song"] = _err("Song not found.", "does_not_exist")

    action = item.get("action")
    if action is None:
        errors["action"] = _err("This field is required.", "required")
    elif not isinstance(action, str) or action not in ACTIONS:
        errors["action"] = _err(
            f"Must be one of: {', '.join(a.value for a in Action)}.", "invalid_choice"
        )

    occurred_at = now
    if item.get("occurred_at") is not None:
        parsed = _parse_occurred_at(item["occurred_at"])
        if parsed is None:
            errors["occurred_at"] = _err(
                "Use ISO 8601 with a timezone, e.g. 2025-01-31T20:15:00Z.", "invalid"
            )
        elif parsed > now + MAX_FUTURE:
            errors["occurred_at"] = _err("At most 1 hour in the future.", "max_value")
        elif parsed < now - MAX_PAST:
            errors["occurred_at"] = _err("At most 30 days in the past.", "min_value")
        else:
            occurred_at = parsed

    position_ms = None
    if item.get("position_ms") is not None:
        position_ms = _int_value(item["position_ms"])
        if position_ms is None:
            errors["position_ms"] = _err("A valid integer is required.", "invalid")
        elif position_ms < 0:
            errors["position_ms"] = _err("Must be 0 or more.", "min_value")
        elif position_ms > MAX_POSITION_MS:
            errors["position_ms"] = _err("Longer than any song.", "max_value")

    context = _parse_context(item.get("context"), errors)

    event_id = item.get("event_id")
    if event_id is not None and (not isinstance(event_id, str) or not EVENT_ID_RE.match(event_id)):
        errors["event_id"] = _err(
            "Use 1-64 characters: letters, digits, '.', '_', ':' or '-'.", "invalid"
        )

    if errors:
        return None, errors
    return EventIn(song, action, occurred_at, position_ms, context, event_id), {}


def parse_event_batch(data, *, now: datetime) -> list[EventIn]:
    """Validate one event object or a list of them; all or nothing.

    Raises ``ValidationError`` naming the index (for lists) and field of every bad item.
    """
    single = isinstance(data, dict)
    if not single and not isinstance(data, list):
        raise ValidationError(
            {"non_field_errors": _err("Send one event object or a list of events.", "invalid")}
        )
    items = [data] if single else data
    if not items:
        raise ValidationError({"non_field_errors": _err("The batch is empty.", "empty")})
    if len(items) > MAX_BATCH:
        raise ValidationError(
            {"non_field_errors": _err(f"At most {MAX_BATCH} events per batch.", "max_length")}
        )
    events: list[EventIn] = []
    errors: dict = {}
    for index, item in enumerate(items):
        event, item_errors = _parse_event(item, now=now)
        if item_errors:
            if len(errors) < MAX_REPORTED_ITEMS:
                errors[str(index)] = item_errors
        else:
            events.append(event)
    if errors:
        raise ValidationError(errors["0"] if single else errors)
    return events


# --- query parameters -----------------------------------------------------------------------


class DateRangeQuerySerializer(serializers.Serializer):
    """``from``/``to`` (inclusive UTC days, default the last 30 days) and ``limit``."""

    # "from" is a Python keyword, so the fields are declared through ``get_fields``.
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=100,
        default=10,
        help_text="Length of each top list (songs, artists, genres): 1-100, default 10.",
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            required=False, help_text="First day (UTC, inclusive); default: 29 days before `to`."
        )
        fields["to"] = serializers.DateField(
            required=False, help_text="Last day (UTC, inclusive); default: today."
        )
        return fields

    def validate(self, attrs):
        today = timezone.now().date()  # UTC
        to_day = attrs.get("to") or today
        from_day = attrs.get("from") or (to_day - timedelta(days=29))
        for name, value in (("to", to_day), ("from", from_day)):
            if not EARLIEST_DAY <= value <= LATEST_DAY:
                raise ValidationError(
                    {name: _err(f"Must be between {EARLIEST_DAY} and {LATEST_DAY}.", "invalid")}
                )
        if from_day > to_day:
            raise ValidationError({"from": _err("Must not be after `to`.", "invalid")})
        if (to_day - from_day).days + 1 > MAX_RANGE_DAYS:
            raise ValidationError(
                {"from": _err(f"The range is at most {MAX_RANGE_DAYS} days.", "max_range")}
            )
        return {"date_from": from_day, "date_to": to_day, "limit": attrs.get("limit", 10)}


class EventQuerySerializer(serializers.Serializer):
    """Filters of the staff event list (all optional; times inclusive, any offset)."""

    user = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="User id"
    )
    song = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Song id"
    )
    action = serializers.ChoiceField(required=False, choices=Action.choices)
    flagged = QueryBooleanField(
        required=False,
        default=None,
        help_text="true: only events stored but not counted (implausible); false: only counted",
    )
    to = UTCDateTimeField(required=False, help_text="Occurred at or before (ISO 8601)")

    def get_fields(self):
        # "from" is a Python keyword, so it is added here.
        fields = super().get_fields()
        fields["from"] = UTCDateTimeField(
            required=False, help_text="Occurred at or after (ISO 8601)"
        )
        return fields

    def validate(self, attrs):
        """The keyword arguments of ``selectors.event_list``."""
        names = {
            "user": "user_id",
            "song": "song_id",
            "action": "action",
            "flagged": "flagged",
            "from": "occurred_from",
            "to": "occurred_to",
        }
        return {names[name]: value for name, value in attrs.items() if value is not None}


# --- output shapes (documentation: selectors build these dicts directly) ---------------------


class _Freshness(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    data_through = serializers.DateTimeField(
        allow_null=True,
        help_text="Received time of the newest event this answer includes (null: none yet).",
    )
    rolled_up_through = serializers.DateTimeField(
        allow_null=True, help_text="Received time of the newest event already in the rollups."
    )


class _RangeFields(_Freshness):
    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        fields["to"] = serializers.DateField()
        return fields


class ActionCountsSerializer(serializers.Serializer):
    play = serializers.IntegerField()
    complete = serializers.IntegerField()
    skip = serializers.IntegerField()
    like = serializers.IntegerField()
    share = serializers.IntegerField()


class _ArtistRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class _GenreRef(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class _SongRef(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    artist = _ArtistRef()


class _Rates(serializers.Serializer):
    plays = serializers.IntegerField()
    completes = serializers.IntegerField()
    skips = serializers.IntegerField()
    likes = serializers.IntegerField()
    shares = serializers.IntegerField()
    completion_rate = serializers.FloatField(allow_null=True, help_text="completes / plays")
    skip_rate = serializers.FloatField(allow_null=True, help_text="skips / plays")


class TopSongSerializer(_Rates):
    song = _SongRef()


class _Change(serializers.Serializer):
    plays = serializers.IntegerField()
    previous_plays = serializers.IntegerField()
    change = serializers.IntegerField()
    change_pct = serializers.FloatField(allow_null=True, help_text="null when previous is 0")


class TrendSongSerializer(_Change):
    song = _SongRef()
    completes = serializers.IntegerField()
    skips = serializers.IntegerField()
    completion_rate = serializers.FloatField(allow_null=True)
    skip_rate = serializers.FloatField(allow_null=True)


class TrendArtistSerializer(_Change):
    artist = _ArtistRef()


class TrendGenreSerializer(_Change):
    genre = _GenreRef()


class _Flagged(serializers.Serializer):
    flagged_plays = serializers.IntegerField(
        help_text="Plays stored but not counted anywhere (implausible: repeated sooner than "
        "the song's length, or overlapping another play of the listener)."
    )
    flagged_events = serializers.IntegerField(
        help_text="Events of any action stored but not counted."
    )


class SummarySerializer(_RangeFields, _Flagged):
    total_users = serializers.IntegerField()
    active_users_24h = serializers.IntegerField()
    events_by_action = ActionCountsSerializer(help_text="Counted events (flagged ones excluded).")
    plays = serializers.IntegerField(help_text="Counted plays (README: what counts as a play).")
    unique_listeners = serializers.IntegerField()
    top_songs = TopSongSerializer(many=True)


class TrendsSerializer(_RangeFields):
    previous_from = serializers.DateField()
    previous_to = serializers.DateField()
    songs = TrendSongSerializer(many=True)
    artists = TrendArtistSerializer(many=True)
    genres = TrendGenreSerializer(many=True)


class DailyPointSerializer(serializers.Serializer):
    day = serializers.DateField()
    plays = serializers.IntegerField()
    completes = serializers.IntegerField()
    skips = serializers.IntegerField()
    likes = serializers.IntegerField()
    shares = serializers.IntegerField()


class _Ranked(serializers.Serializer):
    plays = serializers.IntegerField()


class UserTopArtistSerializer(_Ranked):
    artist = _ArtistRef()


class UserTopGenreSerializer(_Ranked):
    genre = _GenreRef()


class UserEngagementSerializer(_RangeFields, _Rates):
    user = serializers.IntegerField()
    active_days = serializers.IntegerField()
    top_artists = UserTopArtistSerializer(many=True)
    top_genres = UserTopGenreSerializer(many=True)
    daily = DailyPointSerializer(many=True)


class ArtistEngagementSerializer(_RangeFields, _Rates):
    artist = _ArtistRef()
    top_songs = TopSongSerializer(many=True)
    daily = DailyPointSerializer(many=True)


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Events stored.")
    duplicates = serializers.IntegerField(
        help_text="Events skipped because their event_id was already stored for this user."
    )


class EventOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.IntegerField(allow_null=True, source="user_id")
    song = serializers.IntegerField(source="song_id")
    action = serializers.ChoiceField(choices=Action.choices)
    occurred_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField()
    position_ms = serializers.IntegerField(allow_null=True)
    context = serializers.JSONField(allow_null=True)
    event_id = serializers.CharField(allow_null=True)
    flagged = serializers.BooleanField(help_text="Stored but not counted (implausible).")
    flag_reason = serializers.ChoiceField(choices=FlagReason.choices, allow_null=True)


class _ErrorItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(
        allow_null=True, help_text="`<index>.<field>` for an item of a batch, else the field."
    )


class AnalyticsErrorResponseSerializer(serializers.Serializer):
    """400: a request the analytics API refuses (bad JSON, or validation naming the field).

    Open-ended on purpose: a query string's unknown parameter is named in ``attr`` (code
    ``unknown_parameter``), which a per-field list of attrs cannot describe.
    """

    type = serializers.ChoiceField(choices=["validation_error", "client_error"])
    errors = _ErrorItemSerializer(many=True)


class _AlbumRef(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class PlayedSongSerializer(serializers.Serializer):
    """A song summary: enough to show it in a list and open or play it by id."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    artist = _ArtistRef()
    album = _AlbumRef(allow_null=True)
    duration_ms = serializers.IntegerField(allow_null=True)
    explicit = serializers.BooleanField()


class RecentPlaySerializer(serializers.Serializer):
    played_at = serializers.DateTimeField(
        source="occurred_at", help_text="When the play started (the client's event time)."
    )
    song = PlayedSongSerializer()
