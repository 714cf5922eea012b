"""Charts API: thin views; the rules are in charts.selectors and charts.services."""

import re
from datetime import date

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from charts import selectors, services
from charts.serializers import (
    ArtistPresenceSerializer,
    ArtistsQuerySerializer,
    ChartEntrySerializer,
    ChartSerializer,
    HistoryPointSerializer,
    HistoryQuerySerializer,
    MoversQuerySerializer,
    SnapshotQuerySerializer,
    TaskAcceptedSerializer,
)
from common.pagination import DefaultPagination
from users.permissions import IsEditorOrAdmin

SLUG = OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH)
DAY = OpenApiParameter(
    "day", OpenApiTypes.DATE, OpenApiParameter.PATH, description="Snapshot date, YYYY-MM-DD."
)


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(value: str) -> date:
    """A path date: a real calendar day written YYYY-MM-DD, else a 400."""
    try:
        if _ISO_DAY.match(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise serializers.ValidationError({"day": ["Invalid date: use YYYY-MM-DD."]}, code="invalid")


def validated_query(serializer_class, request) -> dict:
    """Validate the query string strictly: a blank value is an invalid value (not "absent",
    as DRF reads form data), and a parameter given twice is refused."""
    fields = serializer_class().fields
    data, repeated = {}, {}
    for name, values in request.query_params.lists():
        if name in fields:
            data[name] = values[-1]
            if len(values) > 1:
                repeated[name] = [
                    serializers.ErrorDetail("Give this parameter once.", code="multiple_values")
                ]
    if repeated:
        raise serializers.ValidationError(repeated)
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def documents_query_errors(query_serializer=None, *, path_day=False, non_field=False):
    """Declare the validation errors a view raises for its query string (and path date),
    so the OpenAPI schema lists them (drf-standardized-errors cannot see query serializers
    used inside the view)."""

    def decorate(view):
        codes: dict[str | None, set[str]] = {}
        if query_serializer is not None:
            for name, field in query_serializer().fields.items():
                codes[name] = (set(field.error_messages) - {"required", "null"}) | {
                    "multiple_values",
                    "invalid",
                }
                if isinstance(field, serializers.CharField):
                    # From the validators DRF adds to every CharField.
                    codes[name] |= {
                        "null_characters_not_allowed",
                        "surrogate_characters_not_allowed",
                    }
        if path_day:
            codes["day"] = {"invalid"}
        if non_field:
            codes["non_field_errors"] = {"invalid"}
        for name, error_codes in codes.items():
            view = extend_validation_errors(sorted(error_codes), field_name=name)(view)
        return view

    return decorate


class SnapshotPagination(DefaultPagination):
    """Limit/offset pages of one snapshot's entries, with the chart and the dates."""

    def paginate_snapshot(self, queryset, request, *, chart, snapshot, view):
        self.meta = {
            "chart": chart.slug,
            "date": snapshot.date,
            "previous_date": snapshot.previous_date,
        }
        return self.paginate_queryset(queryset, request, view=view)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        meta = {k: (v.isoformat() if v else None) for k, v in self.meta.items() if k != "chart"}
        response.data = {"chart": self.meta["chart"], **meta, **response.data}
        return response

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"] = {
            "chart": {"type": "string", "example": "us-daily"},
            "date": {"type": "string", "format": "date"},
            "previous_date": {"type": "string", "format": "date", "nullable": True},
            **paginated["properties"],
        }
        paginated["required"] = ["chart", "date", "previous_date", "count", "results"]
        return paginated


class ChartListView(generics.ListAPIView):
    """Charts with the date of their latest snapshot."""

    serializer_class = ChartSerializer
    permission_classes = [AllowAny]
    filter_backends = []

    def get_queryset(self):
        return selectors.chart_list()


class _SnapshotEntriesView(generics.ListAPIView):
    serializer_class = ChartEntrySerializer
    pagination_class = SnapshotPagination
    permission_classes = [AllowAny]
    filter_backends = []

    def snapshot_response(self, entries, *, chart, snapshot) -> Response:
        page = self.paginator.paginate_snapshot(
            entries, self.request, chart=chart, snapshot=snapshot, view=self
        )
        return self.paginator.get_paginated_response(self.get_serializer(page, many=True).data)


@documents_query_errors(SnapshotQuerySerializer)
@extend_schema_view(
    get=extend_schema(
        parameters=[SLUG, SnapshotQuerySerializer],
        summary="The latest snapshot's entries",
        operation_id="charts_latest",
    )
)
class ChartLatestView(_SnapshotEntriesView):
    def list(self, request, slug):
        query = validated_query(SnapshotQuerySerializer, request)
        chart = selectors.chart_get(slug=slug)
        snapshot = selectors.snapshot_get(chart=chart)
        entries = selectors.snapshot_entries(
            snapshot=snapshot, user=request.user, status=query.get("status")
        )
        return self.snapshot_response(entries, chart=chart, snapshot=snapshot)


@documents_query_errors(SnapshotQuerySerializer, path_day=True)
@extend_schema_view(
    get=extend_schema(
        parameters=[SLUG, DAY, SnapshotQuerySerializer],
        summary="One day's entries with trend fields; ?status=new for new entries",
        operation_id="charts_snapshot",
    )
)
class ChartSnapshotView(_SnapshotEntriesView):
    def list(self, request, slug, day):
        day = parse_day(day)
        query = validated_query(SnapshotQuerySerializer, request)
        chart = selectors.chart_get(slug=slug)
        snapshot = selectors.snapshot_get(chart=chart, day=day)
        entries = selectors.snapshot_entries(
            snapshot=snapshot, user=request.user, status=query.get("status")
        )
        return self.snapshot_response(entries, chart=chart, snapshot=snapshot)


@documents_query_errors(path_day=True)
@extend_schema_view(
    get=extend_schema(
        parameters=[SLUG, DAY],
        summary="Entries of the previous snapshot missing from this one",
        operation_id="charts_dropped",
    )
)
class ChartDroppedView(_SnapshotEntriesView):
    def list(self, request, slug, day):
        day = parse_day(day)
        chart = selectors.chart_get(slug=slug)
        snapshot = selectors.snapshot_get(chart=chart, day=day)
        entries = selectors.snapshot_dropped_entries(snapshot=snapshot, user=request.user)
        return self.snapshot_response(entries, chart=chart, snapshot=snapshot)


@documents_query_errors(MoversQuerySerializer)
@extend_schema_view(
    get=extend_schema(
        parameters=[SLUG, MoversQuerySerializer],
        summary="Biggest climbers (up) or fallers (down) of a snapshot",
        operation_id="charts_movers",
    )
)
class ChartMoversView(_SnapshotEntriesView):
    def list(self, request, slug):
        query = validated_query(MoversQuerySerializer, request)
        chart = selectors.chart_get(slug=slug)
        snapshot = selectors.snapshot_get(chart=chart, day=query.get("date"))
        entries = selectors.snapshot_movers(
            snapshot=snapshot, user=request.user, direction=query["direction"]
        )
        return self.snapshot_response(entries, chart=chart, snapshot=snapshot)


@documents_query_errors(HistoryQuerySerializer, non_field=True)
class ChartHistoryView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[SLUG, HistoryQuerySerializer],
        responses=HistoryPointSerializer(many=True),
        summary="A track's positions over time: ?song=<id>, or ?title=&artist=",
        operation_id="charts_history",
    )
    def get(self, request, slug):
        query = validated_query(HistoryQuerySerializer, request)
        chart = selectors.chart_get(slug=slug)
        points = selectors.track_history(
            chart=chart,
            user=request.user,
            song_id=query.get("song"),
            title=query.get("title", ""),
            artist=query.get("artist", ""),
            date_from=query.get("from"),
            date_to=query.get("to"),
        )
        return Response(HistoryPointSerializer(points, many=True).data)


@documents_query_errors(ArtistsQuerySerializer)
@extend_schema_view(
    get=extend_schema(
        parameters=[SLUG, ArtistsQuerySerializer],
        summary="Artists ranked by chart presence between ?from= and ?to= (inclusive)",
        operation_id="charts_artists",
    )
)
class ChartArtistsView(generics.ListAPIView):
    serializer_class = ArtistPresenceSerializer
    permission_classes = [AllowAny]
    filter_backends = []

    def list(self, request, slug):
        query = validated_query(ArtistsQuerySerializer, request)
        chart = selectors.chart_get(slug=slug)
        ranking = selectors.chart_artist_ranking(
            chart=chart, date_from=query.get("from"), date_to=query.get("to")
        )
        page = self.paginate_queryset(ranking)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_validation_errors(["no_feed_url"], field_name=None, methods=["post"])
class ChartIngestView(APIView):
    permission_classes = [IsEditorOrAdmin]

    @extend_schema(
        parameters=[SLUG],
        request=None,
        responses={202: TaskAcceptedSerializer},
        summary="Queue a pull of the chart's feed (editors and admins)",
        operation_id="charts_ingest",
    )
    def post(self, request, slug):
        chart = selectors.chart_get(slug=slug)
        task_id = services.chart_request_pull(chart=chart)
        return Response(
            TaskAcceptedSerializer({"task_id": task_id}).data, status=status.HTTP_202_ACCEPTED
        )
