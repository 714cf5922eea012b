"""Chart writes, by area: ``registry`` (charts and CHART_FEEDS), ``pulls`` (feed pulls, file
imports and their runs), ``ingest`` (snapshots and trend upkeep), ``tracks`` (track identity
and catalog matching). Callers use the names below: ``from charts import services``.
"""

from charts.services.ingest import (
    IngestSummary,
    chart_ingest,
    chart_recompute_trends,
    chart_snapshot_delete,
)
from charts.services.pulls import (
    ChartNotPullable,
    chart_import,
    chart_pull,
    chart_request_pull,
    ingestion_run_record_failure,
)
from charts.services.registry import chart_create, chart_seed_from_settings
from charts.services.tracks import chart_track_resolve, chart_tracks_link

__all__ = [
    "ChartNotPullable",
    "IngestSummary",
    "chart_create",
    "chart_import",
    "chart_ingest",
    "chart_pull",
    "chart_recompute_trends",
    "chart_request_pull",
    "chart_seed_from_settings",
    "chart_snapshot_delete",
    "chart_track_resolve",
    "chart_tracks_link",
    "ingestion_run_record_failure",
]
