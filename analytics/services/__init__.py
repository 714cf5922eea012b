"""Analytics writes: ``ingest`` (listening events in) and ``rollups`` (the daily rollups and
running totals the reads use). Import from here; the submodules are the layout."""

from analytics.services.ingest import (
    COPY_COLUMNS,
    EventError,
    EventsRejected,
    IngestResult,
    events_copy,
    events_ingest,
)
from analytics.services.rollups import DEFAULT_CHUNK_IDS, RollupResult, rollup_reset, rollup_run

# Also importable from here for other apps and bench/ (their home is analytics.sql).
from analytics.sql import EVENTS, WATERMARK_NAME

__all__ = [
    "COPY_COLUMNS",
    "DEFAULT_CHUNK_IDS",
    "EVENTS",
    "WATERMARK_NAME",
    "EventError",
    "EventsRejected",
    "IngestResult",
    "RollupResult",
    "events_copy",
    "events_ingest",
    "rollup_reset",
    "rollup_run",
]
