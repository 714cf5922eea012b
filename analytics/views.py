"""Analytics API: thin views over ``analytics.services`` and ``analytics.selectors``."""

from django.contrib.auth import get_user_model
from django.http import Http404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors, services
from analytics.filters import EventFilter
from analytics.models import Action
from analytics.permissions import (
    IsAnalyticsStaff,
    can_read_artist_engagement,
    can_read_user_engagement,
)
from analytics.serializers import (
    CONTEXT_SOURCES,
    EVENT_ID_RE,
    MAX_BATCH,
    MAX_BODY_BYTES,
    AnalyticsErrorResponseSerializer,
    ArtistEngagementSerializer,
    DateRangeQuerySerializer,
    EventOutSerializer,
    IngestResultSerializer,
    SummarySerializer,
    TrendsSerializer,
    UserEngagementSerializer,
    parse_event_batch,
)
from catalog.models import Artist
from common.filters import MAX_ID
from common.parsers import LimitedJSONParser
from users.permissions import is_editor_or_admin

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
            "nullable": True,
            "description": "Default now; within [now - 30 days, now + 1 hour].",
        },
        "position_ms": {"type": "integer", "minimum": 0, "nullable": True},
        "context": {
            "type": "object",
            "nullable": True,
            "additionalProperties": False,
            "properties": {
                "source": {"type": "string", "enum": list(CONTEXT_SOURCES)},
                "id": {"oneOf": [{"type": "string", "maxLength": 64}, {"type": "integer"}]},
                "device": {"type": "string", "maxLength": 64},
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


def _range(request) -> dict:
    params = DateRangeQuerySerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data


class EventCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500

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
    filter_backends = [DjangoFilterBackend]
    filterset_class = EventFilter

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsAuthenticated()]
        return [IsAnalyticsStaff()]

    def get_queryset(self):
        return selectors.event_list()

    @extend_schema(
        summary="Raw listening events (staff)",
        description="Newest first; cursor pagination (`limit` up to 500).",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Report listening events",
        description=(
            f"One event or a list of up to {MAX_BATCH}. All or nothing: any invalid item "
            "gives 400 naming `<index>.<field>` and nothing is stored. An `event_id` already "
            "stored for you is skipped and counted in `duplicates`."
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
            )
        ],
    )
    def post(self, request, *args, **kwargs):
        events = parse_event_batch(request.data, now=timezone.now())
        result = services.events_ingest(
            user=request.user, events=events, single=isinstance(request.data, dict)
        )
        return Response(
            {"accepted": result.accepted, "duplicates": result.duplicates},
            status=status.HTTP_201_CREATED,
        )


class SummaryView(APIView):
    permission_classes = [IsAnalyticsStaff]

    @extend_schema(
        parameters=[DateRangeQuerySerializer],
        responses={200: SummarySerializer, 400: AnalyticsErrorResponseSerializer},
    )
    def get(self, request):
        return Response(selectors.analytics_summary(**_range(request)))


class TrendsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        description="Top songs (visible ones, for listeners), artists and genres over the "
        "range with the change against the previous period of the same length.",
        parameters=[DateRangeQuerySerializer],
        responses={200: TrendsSerializer, 400: AnalyticsErrorResponseSerializer},
    )
    def get(self, request):
        return Response(
            selectors.analytics_trends(
                **_range(request), include_hidden=is_editor_or_admin(request.user)
            )
        )


class UserEngagementView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        description="The user themself, editors and admins.",
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
        description="The artist account that owns the profile, editors and admins.",
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
