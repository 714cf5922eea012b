"""Charts API: thin views; the rules are in charts.selectors and charts.services.

Every view under /charts/{slug}/ is a ``ChartEndpoint``: the chart (and, where the view shows
one, the snapshot) is resolved once, before the handler runs, like Sentry's ``convert_args``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import generics, serializers, status
from rest_framework.pagination import BasePagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from catalog.caching import CATALOG, CatalogCachedReadMixin
from charts import selectors, services
from charts.caching import CHARTS
from charts.models import Chart, ChartEntry, ChartSnapshot
from charts.serializers import (
    HISTORY_RULE_CODES,
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
from common.api import PAGINATION_PARAMS, documents_query_errors, validated_query
from common.pagination import DefaultPagination
from users.permissions import IsEditorOrAdmin

SLUG = OpenApiParameter(
    "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The chart's slug (see /charts/)."
)
DAY = OpenApiParameter(
    "day", OpenApiTypes.DATE, OpenApiParameter.PATH, description="Snapshot date, YYYY-MM-DD."
)

# The 400s validated_query gives for the pagination parameters (the paginator's own
# "invalid" is documented by common.schema), and for a path date that is not a calendar day.
ErrorCodes = dict[str | None, Iterable[str]]
PAGINATION_ERRORS: ErrorCodes = dict.fromkeys(PAGINATION_PARAMS, ("multiple_values", "blank"))
DAY_ERRORS: ErrorCodes = {"day": ("invalid",)}

_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(value: str) -> date:
    """A path date: a real calendar day written YYYY-MM-DD, else a 400."""
    try:
        if _ISO_DAY.match(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise serializers.ValidationError({"day": ["Invalid date: use YYYY-MM-DD."]}, code="invalid")


class NoQuerySerializer(serializers.Serializer):
    """The query string of an endpoint that takes no parameters (pagination aside)."""


# A view under /charts/{slug}/. After authentication and permissions, and before the
# handler, it resolves in this order (the first failure answers):
#
# 1. the path date, when the URL has one (400 unless a calendar day written YYYY-MM-DD);
# 2. ``self.query``: the query string, strictly, by ``query_serializer`` (400 naming the
#    parameter; pagination parameters are allowed on paginated views);
# 3. ``self.chart`` from the slug (404);
# 4. with ``resolves_snapshot``, ``self.snapshot``: the one of ``snapshot_day`` (the path
#    date by default), or the latest when that is None (404 when there is none).
class ChartEndpoint(generics.GenericAPIView):
    permission_classes = [AllowAny]
    filter_backends: list = []
    pagination_class: type[BasePagination] | None = None
    query_serializer: type[serializers.Serializer] = NoQuerySerializer
    resolves_snapshot = False

    query: dict[str, Any]
    chart: Chart
    snapshot: ChartSnapshot

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method == "OPTIONS" or not hasattr(self, request.method.lower()):
            return  # metadata, or a 405 to come: nothing to resolve
        path_day = parse_day(kwargs["day"]) if "day" in kwargs else None
        allowed = PAGINATION_PARAMS if self.paginator is not None else ()
        self.query = validated_query(self.query_serializer, request, allowed=allowed)
        self.chart = selectors.chart_get(slug=kwargs["slug"])
        if self.resolves_snapshot:
            self.snapshot = selectors.snapshot_get(
                chart=self.chart, day=self.snapshot_day(path_day)
            )

    def snapshot_day(self, path_day: date | None) -> date | None:
        return path_day


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


@documents_query_errors(extra=PAGINATION_ERRORS)
@extend_schema_view(
    get=extend_schema(
        summary="Charts",
        description="Every chart we follow (streaming services' daily charts and our own"
        " `platform-daily-songs`/`-artists`), with its source, country, kind and the date of"
        " its latest snapshot.",
    )
)
class ChartListView(generics.ListAPIView):
    """Charts with the date of their latest snapshot."""

    serializer_class = ChartSerializer
    permission_classes = [AllowAny]
    filter_backends: list = []

    def get_queryset(self):
        return selectors.chart_list()

    def list(self, request, *args, **kwargs):
        validated_query(NoQuerySerializer, request, allowed=PAGINATION_PARAMS)
        return super().list(request, *args, **kwargs)


# A page of one snapshot's entries: ``entries()`` says which. (Comments, not docstrings, on
# these bases: a docstring would become every subclass's description in the schema.)
class _SnapshotEntriesView(CatalogCachedReadMixin, ChartEndpoint, generics.ListAPIView):
    # Cached (common.cache): shared by anonymous callers and listeners, until a chart or
    # catalog write.
    cache_generations = (CATALOG, CHARTS)
    serializer_class = ChartEntrySerializer
    pagination_class = SnapshotPagination
    resolves_snapshot = True

    def entries(self) -> QuerySet[ChartEntry]:
        raise NotImplementedError

    def list(self, request, *args, **kwargs):
        paginator = self.paginator
        assert isinstance(paginator, SnapshotPagination)
        page = paginator.paginate_snapshot(
            self.entries(), request, chart=self.chart, snapshot=self.snapshot, view=self
        )
        return paginator.get_paginated_response(self.get_serializer(page, many=True).data)


@documents_query_errors(SnapshotQuerySerializer, extra=PAGINATION_ERRORS)
@extend_schema_view(
    get=extend_schema(
        parameters=[SLUG, SnapshotQuerySerializer],
        summary="A chart's latest entries",
        description="The entries of the chart's most recent snapshot in position order, each"
        " with its trend fields (previous position, movement, new or re-entry, peak, days on"
        " chart) and the catalog song and artist when matched. `?status=` narrows to `new`,"
        " `reentry`, `up`, `down` or `same` entries. 404 when the chart has no snapshot yet.",
        operation_id="charts_latest",
    )
)
class ChartLatestView(_SnapshotEntriesView):
    query_serializer = SnapshotQuerySerializer

    def entries(self) -> QuerySet[ChartEntry]:
        return selectors.snapshot_entries(
            snapshot=self.snapshot, user=self.request.user, status=self.query.get("status")
        )


@documents_query_errors(SnapshotQuerySerializer, extra={**PAGINATION_ERRORS, **DAY_ERRORS})
@extend_schema_view(
    get=extend_schema(
        parameters=[SLUG, DAY, SnapshotQuerySerializer],
        summary="A chart's entries on one day",
        description="As the latest entries, for the snapshot of the given day (404 when there"
        " is none). `?status=new` lists the entries new that day.",
        operation_id="charts_snapshot",
    )
)
class ChartSnapshotView(ChartLatestView):
    pass


@documents_query_errors(extra={**PAGINATION_ERRORS, **DAY_ERRORS})
@extend_schema_view(
    get=extend_schema(
        parameters=[SLUG, DAY],
        summary="Entries that dropped off on one day",
        description="The entries of the previous snapshot that are missing from this day's,"
        " as they were in the previous snapshot.",
        operation_id="charts_dropped",
    )
)
class ChartDroppedView(_SnapshotEntriesView):
    def entries(self) -> QuerySet[ChartEntry]:
        return selectors.snapshot_dropped_entries(snapshot=self.snapshot, user=self.request.user)


@documents_query_errors(MoversQuerySerializer, extra=PAGINATION_ERRORS)
@extend_schema_view(
    get=extend_schema(
        parameters=[SLUG, MoversQuerySerializer],
        summary="Biggest climbers or fallers",
        description="The entries of a snapshot (`?date=`, default the latest) that moved most"
        " against the previous one: `direction=up` for climbers (default), `down` for fallers.",
        operation_id="charts_movers",
    )
)
class ChartMoversView(_SnapshotEntriesView):
    query_serializer = MoversQuerySerializer

    def snapshot_day(self, path_day: date | None) -> date | None:
        return self.query.get("date")

    def entries(self) -> QuerySet[ChartEntry]:
        return selectors.snapshot_movers(
            snapshot=self.snapshot, user=self.request.user, direction=self.query["direction"]
        )


@documents_query_errors(HistoryQuerySerializer, extra={"non_field_errors": HISTORY_RULE_CODES})
class ChartHistoryView(ChartEndpoint):
    query_serializer = HistoryQuerySerializer

    @extend_schema(
        parameters=[SLUG, HistoryQuerySerializer],
        responses=HistoryPointSerializer(many=True),
        summary="A track's positions over time",
        description="`[{date, position}]` for one track on this chart, oldest first: name it"
        " by catalog id (`?song=`) or by `?title=` and `?artist=` as the chart spells them;"
        " `?from=`/`?to=` limit the dates. Exactly one of the two ways: `title` and `artist`"
        " come together (else 400 `title_artist_together`), and `song` goes without them"
        " (neither or both ways: 400 `song_or_title_artist`).",
        operation_id="charts_history",
    )
    def get(self, request, *args, **kwargs):
        points = selectors.track_history(
            chart=self.chart,
            user=request.user,
            song_id=self.query.get("song"),
            title=self.query.get("title", ""),
            artist=self.query.get("artist", ""),
            date_from=self.query.get("from"),
            date_to=self.query.get("to"),
        )
        return Response(HistoryPointSerializer(points, many=True).data)


@documents_query_errors(ArtistsQuerySerializer, extra=PAGINATION_ERRORS)
@extend_schema_view(
    get=extend_schema(
        parameters=[SLUG, ArtistsQuerySerializer],
        summary="Artists ranked by chart presence",
        description="Artists by how much they were on this chart between `?from=` and `?to=`"
        " (inclusive; default every snapshot), with their entry counts and best positions.",
        operation_id="charts_artists",
    )
)
class ChartArtistsView(ChartEndpoint, generics.ListAPIView):
    serializer_class = ArtistPresenceSerializer
    pagination_class = DefaultPagination
    query_serializer = ArtistsQuerySerializer

    def list(self, request, *args, **kwargs):
        ranking = selectors.chart_artist_ranking(
            chart=self.chart, date_from=self.query.get("from"), date_to=self.query.get("to")
        )
        page = self.paginate_queryset(ranking)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_validation_errors(["no_feed_url"], field_name=None, methods=["post"])
class ChartIngestView(ChartEndpoint):
    permission_classes = [IsEditorOrAdmin]

    @extend_schema(
        parameters=[SLUG],
        request=None,
        responses={202: TaskAcceptedSerializer},
        summary="Pull a chart's feed now (editors and admins)",
        description="Queues a pull of the chart's feed; a worker fetches it and stores the"
        " snapshot. 202 with the task id; 400 when the chart"
        " has no feed to pull; 503 when the task queue is down.",
        operation_id="charts_ingest",
    )
    def post(self, request, *args, **kwargs):
        try:
            task_id = services.chart_request_pull(chart=self.chart)
        except services.ChartNotPullable as exc:
            # A request-wide error (attr null), as this endpoint has always answered; the
            # common handler would name it "non_field_errors".
            raise serializers.ValidationError(
                [serializers.ErrorDetail(exc.detail, code=exc.code)]
            ) from exc
        return Response(
            TaskAcceptedSerializer({"task_id": task_id}).data, status=status.HTTP_202_ACCEPTED
        )
