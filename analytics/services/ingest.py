"""Writes: storing listening events (the API's batches, and trusted bulk loads).

A validated batch is stored with one ``INSERT ... SELECT FROM json_to_recordset(...)``
statement (one round trip, no per-row Python work in the database layer); retried events
are dropped by the partial unique index on (user, event_id) with ``ON CONFLICT DO NOTHING``.

Plausibility (README, "What counts as a play"). A listener cannot hear more audio than the
clock allows, so an event is stored but *flagged* (``ListeningEvent.flagged``, left out of
every count) when, compared with the listener's counted events:

- ``repeat``: the same song and action is less than the song's length away from a counted
  one (at least ``MIN_PLAY_MS``; ``UNKNOWN_DURATION_MS`` when the length is unknown);
- ``overlap``: a ``play`` is less than ``MIN_PLAY_MS`` away from a counted play of any song
  (a play counts once it had 30 s to itself).

Counted events are kept at least that far apart, before and after (a late event is compared
with the counted events on both sides of it). The batch's events are decided in time order
(batch order on ties) against the counted events already stored, so the outcome depends only
on the events and on the order their batches were stored: the same events in the same order
give the same flags however they are split into batches. Batches of one listener are
serialised by a transaction-scoped advisory lock on the user, taken before the stored events
are read, so two concurrent batches cannot both count a play the other makes implausible.
"""

from __future__ import annotations

import json
from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from analytics.caching import analytics_changed
from analytics.models import Action, FlagReason
from analytics.serializers import MAX_POSITION_MS, EventIn
from analytics.sql import EVENTS, server_side_cursor
from catalog.selectors import songs_visible_to
from common.bulk import copy_rows
from common.errors import ValidationFailed
from common.viewer import Viewer

# A play counts once it had 30 s to itself, the threshold streaming charts use for a stream.
MIN_PLAY_MS = 30_000
# The repeat gap of a song whose length is unknown (null or 0). Two minutes: shorter than
# the great majority of released songs (their median is around 3.5 minutes), so an honest
# listener who replays a song of unknown length is rarely flagged, while one account can
# count such a song at most 30 times an hour instead of 120 (the MIN_PLAY_MS floor).
UNKNOWN_DURATION_MS = 120_000
# A ``complete`` may report a position this far before the end: players fire it on a
# crossfade into the next song (up to 12 s in the common players) or a few seconds early.
COMPLETE_TOLERANCE_MS = 15_000
# pg_advisory_xact_lock(namespace, key) keys this module's per-listener lock.
INGEST_LOCK_NAMESPACE = 0x616E  # "an"(alytics)

_PLAY = Action.PLAY.value
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class IngestResult:
    accepted: int
    duplicates: int
    flagged: int = 0


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
INSERT INTO {EVENTS} (
    user_id, song_id, action, occurred_at, received_at, position_ms, context, event_id,
    flagged, flag_reason
)
SELECT %s, r.song, r.action, r.occurred_at, %s, r.position_ms, r.context, r.event_id,
    r.flag_reason IS NOT NULL, r.flag_reason
FROM json_to_recordset(%s::json) AS r(
    song bigint, action text, occurred_at timestamptz, position_ms integer, context jsonb,
    event_id text, flag_reason text
)
ON CONFLICT (user_id, event_id) WHERE event_id IS NOT NULL DO NOTHING
"""

# What the batch is compared with, in one round trip: the listener's counted events around
# it that can conflict with it (plays, and the batch's songs), read through the partial
# index of counted events; and which of the batch's event ids are already stored.
_NEIGHBOURS = f"""
SELECT song_id, action, (extract(epoch FROM occurred_at) * 1000000)::bigint, NULL FROM {EVENTS}
WHERE user_id = %(user)s AND flagged = false
    AND occurred_at > %(lo)s AND occurred_at < %(hi)s
    AND (action = 'play' OR song_id = ANY(%(songs)s))
UNION ALL
SELECT NULL, NULL, NULL, event_id FROM {EVENTS}
WHERE user_id = %(user)s AND event_id = ANY(%(event_ids)s)
"""


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def repeat_gap_ms(duration_ms: int | None) -> int:
    """How far apart two counted events of one song and action must be."""
    return max(duration_ms or UNKNOWN_DURATION_MS, MIN_PLAY_MS)


def _near(times: list[int], moment: int, gap: int) -> bool:
    """Whether the sorted ``times`` hold one less than ``gap`` away from ``moment``."""
    index = bisect_left(times, moment - gap + 1)
    return index < len(times) and times[index] < moment + gap


def plausibility_flags(
    *,
    events: Sequence[EventIn],
    counted: Iterable[tuple[int, str, int]],
    durations: dict[int, int | None],
) -> list[str | None]:
    """The ``FlagReason`` of each event of ``events`` (None: counted), given the listener's
    ``counted`` events (song, action, occurred_at in microseconds since the epoch) already
    stored around them.

    Greedy in time order: an event that keeps its distance from every event counted so far
    is counted and becomes one the next are compared with (see the module docstring).
    """
    same: dict[tuple[int, str], list[int]] = {}
    plays: list[int] = []
    for song, action, at in counted:
        same.setdefault((song, action), []).append(at)
        if action == _PLAY:
            plays.append(at)
    for times in same.values():
        times.sort()
    plays.sort()
    gaps = {song: repeat_gap_ms(duration) * 1000 for song, duration in durations.items()}
    flags: list[str | None] = [None] * len(events)
    min_play = MIN_PLAY_MS * 1000
    moments = [_micros(event.occurred_at) for event in events]
    for index in sorted(range(len(events)), key=lambda i: (moments[i], i)):
        event = events[index]
        moment = moments[index]
        times = same.setdefault((event.song, event.action), [])
        if _near(times, moment, gaps[event.song]):
            flags[index] = FlagReason.REPEAT.value
        elif event.action == _PLAY and _near(plays, moment, min_play):
            flags[index] = FlagReason.OVERLAP.value
        else:
            insort(times, moment)
            if event.action == _PLAY:
                insort(plays, moment)
    return flags


def _event_row(event: EventIn, flag_reason: str | None) -> dict[str, Any]:
    return {
        "song": event.song,
        "action": event.action,
        # Always UTC (the serializer converts): PostgreSQL refuses offsets of ±16:00 and more.
        "occurred_at": event.occurred_at.isoformat(),
        "position_ms": event.position_ms,
        "context": event.context,
        "event_id": event.event_id,
        "flag_reason": flag_reason,
    }


def _position_error(event: EventIn, duration_ms: int | None) -> EventError | None:
    """Whether ``position_ms`` (when given) fits the action and the song's length."""
    position = event.position_ms
    if position is None:
        return None
    if position > (duration_ms or MAX_POSITION_MS):
        return EventError("position_ms", "Past the end of the song.", "past_song_end")
    if not duration_ms:
        return None
    if event.action == Action.COMPLETE and position < duration_ms - COMPLETE_TOLERANCE_MS:
        return EventError(
            "position_ms",
            f"A complete is reported at the end of the song (at least "
            f"{duration_ms - COMPLETE_TOLERANCE_MS} ms); report a skip instead.",
            "complete_before_end",
        )
    if event.action == Action.SKIP and position >= duration_ms:
        return EventError(
            "position_ms", "A skip happens before the end; report a complete.", "skip_at_end"
        )
    return None


def _new_events(events: Sequence[EventIn], stored_ids: set[str]) -> list[int]:
    """Indexes of the events the insert will keep: not a stored event_id, nor one repeated
    earlier in the batch (``ON CONFLICT DO NOTHING`` drops those)."""
    seen = set(stored_ids)
    kept = []
    for index, event in enumerate(events):
        if event.event_id is not None:
            if event.event_id in seen:
                continue
            seen.add(event.event_id)
        kept.append(index)
    return kept


def _flag_batch(
    cursor: Any, *, user_id: int, events: Sequence[EventIn], durations: dict[int, int | None]
) -> list[str | None]:
    """Each event's flag (None for the duplicates too: the insert drops them anyway)."""
    reach = timedelta(milliseconds=max(repeat_gap_ms(durations[e.song]) for e in events))
    cursor.execute(
        _NEIGHBOURS,
        {
            "user": user_id,
            "lo": min(e.occurred_at for e in events) - reach,
            "hi": max(e.occurred_at for e in events) + reach,
            "songs": sorted({e.song for e in events}),
            "event_ids": sorted({e.event_id for e in events if e.event_id is not None}),
        },
    )
    counted, stored_ids = [], set()
    for song, action, occurred_at, event_id in cursor.fetchall():
        if event_id is None:
            counted.append((song, action, occurred_at))
        else:
            stored_ids.add(event_id)
    new = _new_events(events, stored_ids)
    new_flags = plausibility_flags(
        events=[events[i] for i in new], counted=counted, durations=durations
    )
    flags: list[str | None] = [None] * len(events)
    for index, flag in zip(new, new_flags, strict=True):
        flags[index] = flag
    return flags


def events_ingest(*, user: Viewer, events: Sequence[EventIn]) -> IngestResult:
    """Store a validated batch for ``user``: all of it or, on any error, nothing.

    Songs must be visible to the user (``catalog.selectors``) and positions within the
    song and consistent with the action (``_position_error``); otherwise
    ``EventsRejected``. Events whose ``event_id`` is already stored for the user (or
    repeated in the batch) are skipped. Implausible events are stored flagged (module
    docstring); ``flagged`` counts them.
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
        elif error := _position_error(event, durations[event.song]):
            errors[index] = error
    if errors:
        raise EventsRejected(errors)

    with transaction.atomic(), server_side_cursor() as cursor:
        # Held until commit: this listener's next batch reads the events stored here.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [INGEST_LOCK_NAMESPACE, user.pk % 2**31]
        )
        flags = _flag_batch(cursor, user_id=user.pk, events=events, durations=durations)
        rows = [_event_row(e, flag) for e, flag in zip(events, flags, strict=True)]
        cursor.execute(_INSERT_EVENTS, [user.pk, timezone.now(), json.dumps(rows)])
        accepted = cursor.rowcount
        if accepted:
            analytics_changed()
    return IngestResult(
        accepted=accepted,
        duplicates=len(events) - accepted,
        flagged=sum(flag is not None for flag in flags),
    )


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
    No plausibility check either: the rows are stored counted (``flagged`` false).
    """
    count = copy_rows(table=EVENTS, columns=COPY_COLUMNS, rows=rows)
    analytics_changed()
    return count
