"""Analytics API: thin views over ``analytics.services`` and ``analytics.selectors``."""

from django.contrib.auth import get_user_model
from django.http import Http404
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ErrorDetail, NotFound, PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors, services
from analytics.caching import SummaryCachedReadMixin
from analytics.models import Action
from analytics.permissions import (
    IsAnalyticsStaff,
    can_read_artist_engagement,
    can_read_user_engagement,
)
from analytics.serializers import (
    CONTEXT_MAX_TEXT,
    CONTEXT_SOURCES,
    EVENT_ID_RE,
    MAX_BATCH,
    MAX_BODY_BYTES,
    MAX_CONTEXT_ID,
    MAX_OCCURRED_AT_LENGTH,
    MAX_POSITION_MS,
    AnalyticsErrorResponseSerializer,
    ArtistEngagementSerializer,
    DateRangeQuerySerializer,
    EventOutSerializer,
    EventQuerySerializer,
    IngestResultSerializer,
    RecentPlaySerializer,
    SummarySerializer,
    TrendsSerializer,
    UserEngagementSerializer,
    parse_event_batch,
)
from catalog.models import Artist
from common.api import check_query_params, validated_query
from common.fields import NO_NUL_PATTERN
from common.filters import MAX_ID
from common.parsers import LimitedJSONParser

User = get_user_model()

_EVENT_SCHEMA = {
    "type": "object",
    "required": ["song", "action"],
    "additionalProperties": False,
    "properties": {
        "song": {"type": "integer", "minimum": 1, "description": "A song you can see."},
        "action": {"type": "string", "enum": [a.value for a in Action]},
        "occurred_at": {
            "type": "string",
            "format": "date-time",
            "maxLength": MAX_OCCURRED_AT_LENGTH,
            "nullable": True,
            "description": "Default now; within [now - 30 days, now + 1 hour].",
        },
        "position_ms": {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_POSITION_MS,
            "nullable": True,
            "description": "Where playback is: within the song (else 400 `past_song_end`); for "
            "`complete` within 15 s of its end (else `complete_before_end`), for `skip` before "
            "it (else `skip_at_end`).",
        },
        "context": {
            "type": "object",
            "nullable": True,
            "additionalProperties": False,
            "properties": {
                "source": {"type": "string", "enum": list(CONTEXT_SOURCES)},
                "id": {
                    "oneOf": [
                        {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": CONTEXT_MAX_TEXT,
                            "pattern": NO_NUL_PATTERN,
                        },
                        {"type": "integer", "minimum": 0, "maximum": MAX_CONTEXT_ID},
                    ]
                },
                "device": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": CONTEXT_MAX_TEXT,
                    "pattern": NO_NUL_PATTERN,
                },
            },
        },
        "event_id": {
            "type": "string",
            "pattern": EVENT_ID_RE.pattern,
            "nullable": True,
            "description": "Client id; a retry with the same id is counted once.",
        },
    },
}
_BATCH_BODY = {
    "application/json": {
        "oneOf": [
            _EVENT_SCHEMA,
            {"type": "array", "items": _EVENT_SCHEMA, "minItems": 1, "maxItems": MAX_BATCH},
        ]
    }
}


def _range(request: Request) -> dict:
    return validated_query(DateRangeQuerySerializer, request)


def _rejected(exc: services.EventsRejected, *, single: bool) -> serializers.ValidationError:
    """Every refused event of a batch as ``<index>.<field>`` (``<field>`` for one event)."""
    return serializers.ValidationError(
        {
            (error.field if single else f"{index}.{error.field}"): [
                ErrorDetail(error.detail, code=error.code)
            ]
            for index, error in sorted(exc.rejected.items())
        }
    )


class EventCursorPagination(CursorPagination):
    """Newest first; ``limit`` 1-500 (default 50), anything else is a 400."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500
    # The query parameters this paginator reads (the list's own filters are validated apart).
    query_params = ("cursor", "limit")

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        field = serializers.IntegerField(min_value=1, max_value=self.max_page_size)
        try:
            return field.run_validation(raw)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({self.page_size_query_param: exc.detail}) from exc

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(
                    {"minimum": 1, "maximum": self.max_page_size, "default": self.page_size}
                )
        return parameters

    def get_paginated_response(self, data):
        now = timezone.now()
        return Response(
            {
                "generated_at": now,
                "data_through": now,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        result = super().get_paginated_response_schema(schema)
        result["properties"] = {
            "generated_at": {"type": "string", "format": "date-time"},
            "data_through": {"type": "string", "format": "date-time"},
            **result["properties"],
        }
        result["required"] = ["generated_at", "data_through", "results"]
        return result


class EventsView(generics.ListAPIView):
    """POST: a listener reports events. GET: staff browse the raw events."""

    parser_classes = [LimitedJSONParser]
    max_body_size = MAX_BODY_BYTES
    serializer_class = EventOutSerializer
    pagination_class = EventCursorPagination
    filter_backends: list = []  # the filters are EventQuerySerializer, read in get()

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsAuthenticated()]
        return [IsAnalyticsStaff()]

    @extend_schema(
        summary="Raw listening events (staff)",
        description="Newest first; cursor pagination (`limit` up to 500).",
        parameters=[EventQuerySerializer],
        responses={200: EventOutSerializer(many=True), 400: AnalyticsErrorResponseSerializer},
    )
    def get(self, request, *args, **kwargs):
        filters = validated_query(
            EventQuerySerializer, request, allowed=EventCursorPagination.query_params
        )
        page = self.paginate_queryset(selectors.event_list(**filters))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Report listening events",
        description=(
            f"One event or a list of up to {MAX_BATCH}. All or nothing: any invalid item "
            "gives 400 naming `<index>.<field>` and nothing is stored. An `event_id` already "
            "stored for you is skipped and counted in `duplicates`. `position_ms` must agree "
            "with the song and the action, rules across fields refused with their own codes: "
            "within the song (`past_song_end`), a `complete` within 15 s of its end "
            "(`complete_before_end`), a `skip` before it (`skip_at_end`). Implausible events "
            "(the same song and action again sooner than the song's length, or plays less "
            "than 30 s apart) are accepted and stored but not counted (README: what counts as "
            "a play)."
        ),
        request=_BATCH_BODY,
        responses={201: IngestResultSerializer, 400: AnalyticsErrorResponseSerializer},
        examples=[
            OpenApiExample(
                "batch",
                request_only=True,
                value=[
                    {"song": 1, "action": "play", "event_id": "a1"},
                    {"song": 1, "action": "complete", "position_ms": 180000},
                ],
            ),
            OpenApiExample(
                "one play",
                request_only=True,
                value={
                    "song": 812,
                    "action": "play",
                    "position_ms": 0,
                    "context": {"source": "playlist", "id": 7, "device": "android"},
                    "event_id": "c6f1e2b0-play-1",
                },
            ),
            OpenApiExample(
                "stored",
                response_only=True,
                status_codes=["201"],
                value={"accepted": 2, "duplicates": 0},
            ),
        ],
    )
    def post(self, request, *args, **kwargs):
        events = parse_event_batch(request.data, now=timezone.now())
        try:
            result = services.events_ingest(user=request.user, events=events)
        except services.EventsRejected as exc:
            raise _rejected(exc, single=isinstance(request.data, dict)) from exc
        return Response(
            {"accepted": result.accepted, "duplicates": result.duplicates},
            status=status.HTTP_201_CREATED,
        )


class SummaryView(SummaryCachedReadMixin, APIView):
    permission_classes = [IsAnalyticsStaff]

    @extend_schema(
        summary="Platform listening summary (staff)",
        description="Editors and admins. Over the range (default the last 30 days): users, "
        "listeners active in the last 24 hours, events by action, plays, unique listeners and "
        "the top songs; flagged (implausible) plays are counted apart. `generated_at` and "
        "`data_through` say how fresh the figures are.",
        parameters=[DateRangeQuerySerializer],
        responses={200: SummarySerializer, 400: AnalyticsErrorResponseSerializer},
    )
    def get(self, request):
        return Response(selectors.analytics_summary(**_range(request)))


class TrendsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Top songs, artists and genres with their change",
        description="Top songs (those the caller may see), artists and genres over the "
        "range with the change against the previous period of the same length.",
        parameters=[DateRangeQuerySerializer],
        responses={200: TrendsSerializer, 400: AnalyticsErrorResponseSerializer},
    )
    def get(self, request):
        return Response(selectors.analytics_trends(viewer=request.user, **_range(request)))


class UserEngagementView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A listener's engagement figures",
        description="Plays, completion and skip rates, top artists and genres, active days "
        "and a daily series over the range. The user themself, editors and admins; anyone "
        "else gets 403.",
        parameters=[DateRangeQuerySerializer],
        responses={
            200: UserEngagementSerializer,
            400: AnalyticsErrorResponseSerializer,
            403: OpenApiResponse(description="Someone else's figures"),
        },
    )
    def get(self, request, pk: int):
        if not can_read_user_engagement(viewer=request.user, user_id=pk):
            raise PermissionDenied("You can only read your own listening figures.")
        if pk > MAX_ID or not User.objects.filter(pk=pk).exists():
            raise Http404("No user matches the given query.")
        return Response(selectors.user_engagement(user_id=pk, **_range(request)))


class ArtistEngagementView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="An artist's audience figures",
        description="Plays, listeners, completion and skip rates, the top songs and a daily "
        "series of the artist's songs over the range. The artist account that owns the "
        "profile, editors and admins; anyone else gets 403.",
        parameters=[DateRangeQuerySerializer],
        responses={200: ArtistEngagementSerializer, 400: AnalyticsErrorResponseSerializer},
    )
    def get(self, request, pk: int):
        artist = Artist.objects.filter(pk=pk).first() if pk <= MAX_ID else None
        if artist is None:
            raise Http404("No artist matches the given query.")
        if not can_read_artist_engagement(viewer=request.user, artist=artist):
            raise PermissionDenied("Only the artist's own account, editors and admins.")
        return Response(selectors.artist_engagement(artist=artist, **_range(request)))


class RecentPlaysPagination(CursorPagination):
    """Newest first, by when the play happened (ties by id); ``limit`` 1-100 (default 20).

    A cursor that does not decode, or whose position is not a time, is a 404 "Invalid
    cursor" like the events list's (a cursor is an opaque link to a page: any string is a
    valid parameter, one that leads nowhere is not found); DRF alone would fail on a
    position that is not a time when the query runs.
    """

    ordering = ("-occurred_at", "-id")
    page_size = 20
    page_size_query_param = "limit"
    max_page_size = 100
    query_params = ("cursor", "limit")

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise serializers.ValidationError(
                {
                    self.page_size_query_param: [
                        ErrorDetail(f"Give a whole number 1-{self.max_page_size}.", "invalid")
                    ]
                }
            )
        return int(raw)

    def decode_cursor(self, request: Request):
        cursor = super().decode_cursor(request)  # NotFound when it does not decode
        if cursor is not None and cursor.position is not None:
            try:
                position = parse_datetime(cursor.position)
            except ValueError:
                position = None
            if position is None:
                raise NotFound(self.invalid_cursor_message)
        return cursor

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = f"Page size, 1-{self.max_page_size}."
                parameter["schema"].update(
                    {"minimum": 1, "maximum": self.max_page_size, "default": self.page_size}
                )
            elif parameter["name"] == self.cursor_query_param:
                parameter["description"] = (
                    "The `next` or `previous` link's cursor; one that leads nowhere is a 404."
                )
        return parameters


@extend_validation_errors(["invalid"], field_name="limit", methods=["get"])
class RecentlyPlayedView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = RecentPlaySerializer
    pagination_class = RecentPlaysPagination
    filter_backends: list = []

    def get_queryset(self):
        return selectors.recently_played(user=self.request.user)

    @extend_schema(
        operation_id="users_me_recently_played_list",
        tags=["library"],
        summary="What I played recently",
        description=(
            "Your plays, newest first, each with the song and `played_at` (the time your "
            "client reported). Counted plays only (implausible repeats are not listed), and "
            "only songs you may still see. Cursor pagination: follow `next`. "
            "Per-user: `Cache-Control: private`, `Vary: Authorization`."
        ),
        examples=[
            OpenApiExample(
                "One play",
                response_only=True,
                # One item: drf-spectacular wraps it in the paginated envelope.
                value={
                    "played_at": "2026-11-26T08:12:30Z",
                    "song": {
                        "id": 812,
                        "title": "Blue Hour",
                        "artist": {"id": 4, "name": "The Lamps"},
                        "album": {"id": 12, "title": "Night Drive"},
                        "duration_ms": 214000,
                        "explicit": False,
                    },
                },
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        check_query_params(request, allowed=RecentPlaysPagination.query_params)
        response = super().get(request, *args, **kwargs)
        patch_cache_control(response, private=True, max_age=0)
        patch_vary_headers(response, ["Authorization"])
        return response
