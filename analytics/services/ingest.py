"""Writes: storing listening events (the API's batches, and trusted bulk loads).

A validated batch is stored with one ``INSERT ... SELECT FROM json_to_recordset(...)``
statement (one round trip, no per-row Python work in the database layer); retried events
are dropped by the partial unique index on (user, event_id) with ``ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from analytics.serializers import MAX_POSITION_MS, EventIn
from analytics.sql import EVENTS, server_side_cursor
from catalog.selectors import songs_visible_to
from common.bulk import copy_rows
from common.errors import ValidationFailed
from common.viewer import Viewer


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int


@dataclass(frozen=True)
class EventError:
    """Why one event of a batch was refused."""

    field: str
    detail: str
    code: str


class EventsRejected(ValidationFailed):
    """Events that break a rule only the database can check (a song the user may not see,
    a position past the song's end); nothing of the batch is stored.

    ``rejected`` maps each refused event's index in the batch to its error. As a plain
    ``ValidationFailed`` it names the first one (``<index>.<field>``).
    """

    def __init__(self, errors: dict[int, EventError]):
        index, first = next(iter(errors.items()))
        super().__init__(first.detail, code=first.code, attr=f"{index}.{first.field}")
        self.rejected = errors


# The batch travels as one JSON document that PostgreSQL unpacks: one cheap parameter instead
# of six arrays that the driver would have to encode element by element.
_INSERT_EVENTS = f"""
INSERT INTO {EVENTS}
    (user_id, song_id, action, occurred_at, received_at, position_ms, context, event_id)
SELECT %s, r.song, r.action, r.occurred_at, %s, r.position_ms, r.context, r.event_id
FROM json_to_recordset(%s::json) AS r(
    song bigint, action text, occurred_at timestamptz, position_ms integer, context jsonb,
    event_id text
)
ON CONFLICT (user_id, event_id) WHERE event_id IS NOT NULL DO NOTHING
"""


def _event_row(event: EventIn) -> dict[str, Any]:
    return {
        "song": event.song,
        "action": event.action,
        # Always UTC (the serializer converts): PostgreSQL refuses offsets of ±16:00 and more.
        "occurred_at": event.occurred_at.isoformat(),
        "position_ms": event.position_ms,
        "context": event.context,
        "event_id": event.event_id,
    }


def events_ingest(*, user: Viewer, events: Sequence[EventIn]) -> IngestResult:
    """Store a validated batch for ``user``: all of it or, on any error, nothing.

    Songs must be visible to the user (``catalog.selectors``) and positions within the
    song; otherwise ``EventsRejected``. Events whose ``event_id`` is already stored for the
    user (or repeated in the batch) are skipped.
    """
    assert user is not None and user.is_authenticated
    song_ids = {e.song for e in events}
    durations: dict[int, int | None] = dict(
        songs_visible_to(user=user).filter(pk__in=song_ids).values_list("pk", "duration_ms")
    )
    errors: dict[int, EventError] = {}
    for index, event in enumerate(events):
        if event.song not in durations:
            errors[index] = EventError("song", "Song not found.", "does_not_exist")
        elif (event.position_ms or 0) > (durations[event.song] or MAX_POSITION_MS):
            errors[index] = EventError("position_ms", "Past the end of the song.", "max_value")
    if errors:
        raise EventsRejected(errors)

    with server_side_cursor() as cursor:
        cursor.execute(
            _INSERT_EVENTS,
            [user.pk, timezone.now(), json.dumps([_event_row(e) for e in events])],
        )
        accepted = cursor.rowcount
    return IngestResult(accepted=accepted, duplicates=len(events) - accepted)


COPY_COLUMNS = (
    "user_id",
    "song_id",
    "action",
    "occurred_at",
    "received_at",
    "position_ms",
    "context",
    "event_id",
)


def events_copy(*, rows: Iterable[Sequence[Any]]) -> int:
    """Bulk-load trusted, already valid events with COPY (demo data, benchmarks, imports).

    Each row is a tuple in ``COPY_COLUMNS`` order (``context`` as JSON text or None). No
    deduplication: COPY cannot skip conflicts, so rows must not repeat a stored event_id.
    """
    return copy_rows(table=EVENTS, columns=COPY_COLUMNS, rows=rows)
