"""The staff charts dashboard at /admin/charts/dashboard/ and the JSON it draws from.

Pick a chart and a date: the top entries with their movement, movers up and down, new
entries and drop-outs, and a track's position history as a line chart. The page follows
``chart:<slug>`` on the realtime socket and reloads when a snapshot is ingested.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import Http404, JsonResponse
from django.shortcuts import render
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from charts import selectors
from charts.models import Chart, ChartEntry, ChartSnapshot
from common.api import validated_query
from users.admin_mixins import editor_page_required

TOP = 100
SIDE_LIST = 10
DEFAULT_CHART = "platform-daily-songs"


class DashboardQuerySerializer(serializers.Serializer):
    chart = serializers.SlugField(max_length=80)
    date = serializers.DateField(required=False)


class HistoryQuerySerializer(serializers.Serializer):
    chart = serializers.SlugField(max_length=80)
    track = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


def _error(exc: ValidationError) -> JsonResponse:
    # The API's error format (these Django views are outside DRF's exception handling).
    errors = [
        {"code": error.code, "detail": str(error), "attr": field}
        for field, messages in exc.detail.items()
        for error in messages
    ]
    return JsonResponse({"type": "validation_error", "errors": errors}, status=400)


def _not_found(detail: str) -> JsonResponse:
    return JsonResponse(
        {"type": "client_error", "errors": [{"code": "not_found", "detail": detail, "attr": None}]},
        status=404,
    )


def _entry(entry: ChartEntry) -> dict[str, Any]:
    return {
        "position": entry.position,
        "track": entry.track_id,
        "title": entry.title,
        "artist_name": entry.artist_name,
        "song": entry.song_id,
        "artist": entry.artist_id,
        "previous_position": entry.previous_position,
        "movement": entry.movement,
        "is_new": entry.is_new,
        "is_reentry": entry.is_reentry,
        "peak_position": entry.peak_position,
        "days_on_chart": entry.days_on_chart,
    }


@editor_page_required
def dashboard(request):
    charts = list(selectors.chart_list().values("slug", "name", "latest_date"))
    slugs = [c["slug"] for c in charts]
    selected = request.GET.get("chart")
    if selected not in slugs:
        selected = DEFAULT_CHART if DEFAULT_CHART in slugs else (slugs[0] if slugs else "")
    context = {
        **admin.site.each_context(request),
        "title": "Charts dashboard",
        "charts": charts,
        "selected": selected,
    }
    return render(request, "charts/dashboard.html", context)


@editor_page_required
def dashboard_data(request):
    try:
        params = validated_query(DashboardQuerySerializer, Request(request))
    except ValidationError as exc:
        return _error(exc)
    try:
        chart = selectors.chart_get(slug=params["chart"])
        snapshot = selectors.snapshot_get(chart=chart, day=params.get("date"))
    except Http404 as exc:
        return _not_found(str(exc))
    user = request.user
    entries = list(selectors.snapshot_entries(snapshot=snapshot, user=user)[:TOP])
    up = selectors.snapshot_movers(snapshot=snapshot, user=user, direction="up")[:SIDE_LIST]
    down = selectors.snapshot_movers(snapshot=snapshot, user=user, direction="down")[:SIDE_LIST]
    new = selectors.snapshot_entries(snapshot=snapshot, user=user, status="new")[:SIDE_LIST]
    dropped = selectors.snapshot_dropped_entries(snapshot=snapshot, user=user)[:SIDE_LIST]
    dates = list(
        ChartSnapshot.objects.filter(chart=chart).order_by("-date").values_list("date", flat=True)
    )
    return JsonResponse(
        {
            "chart": _chart(chart),
            "date": snapshot.date.isoformat(),
            "previous_date": snapshot.previous_date.isoformat() if snapshot.previous_date else None,
            "dates": [day.isoformat() for day in dates],
            "entry_count": snapshot.entry_count,
            "entries": [_entry(e) for e in entries],
            "movers_up": [_entry(e) for e in up],
            "movers_down": [_entry(e) for e in down],
            "new_entries": [_entry(e) for e in new],
            "dropped": [_entry(e) for e in dropped],
        }
    )


@editor_page_required
def track_history(request):
    """[{date, position}] of one chart track (song, album or artist) on one chart."""
    try:
        params = validated_query(HistoryQuerySerializer, Request(request))
    except ValidationError as exc:
        return _error(exc)
    try:
        chart = selectors.chart_get(slug=params["chart"])
    except Http404 as exc:
        return _not_found(str(exc))
    points = list(
        ChartEntry.objects.filter(snapshot__chart=chart, track_id=params["track"])
        .order_by("snapshot__date")
        .values_list("snapshot__date", "position")
    )
    if not points:
        return _not_found("This track is not on this chart.")
    return JsonResponse(
        {
            "chart": _chart(chart),
            "track": params["track"],
            "points": [{"date": day.isoformat(), "position": pos} for day, pos in points],
        }
    )


def _chart(chart: Chart) -> dict[str, Any]:
    return {"slug": chart.slug, "name": chart.name, "kind": chart.kind, "source": chart.source}
