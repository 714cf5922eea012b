"""Trend fields of chart entries, computed in one forward pass over a chart's snapshots.

For an entry of track T at position p in snapshot S (snapshots of one chart, by date):
- previous_position: T's position in the snapshot just before S (None if T was absent);
- movement: previous_position - p (positive = climbing; None without a previous position);
- is_new: T is in no snapshot before S;
- is_reentry: T charted before but not in the snapshot just before S;
- peak_position: T's best (lowest) position up to and including S;
- days_on_chart: the number of snapshots up to and including S that hold T.

`TrendState` carries what the pass needs to know about the past, so it can start from a
summary of older snapshots (read from the database) instead of replaying them all.
Pure Python: no Django imports.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)


@dataclasses.dataclass(frozen=True, slots=True)
class TrendFields:
    previous_position: int | None
    movement: int | None
    is_new: bool
    is_reentry: bool
    peak_position: int
    days_on_chart: int

    def as_tuple(self) -> tuple:
        """The fields in declaration order (faster than dataclasses.astuple)."""
        return (
            self.previous_position,
            self.movement,
            self.is_new,
            self.is_reentry,
            self.peak_position,
            self.days_on_chart,
        )


@dataclasses.dataclass(slots=True)
class TrackSummary:
    """What earlier snapshots say about one track."""

    days_on_chart: int
    peak_position: int


class TrendState(Generic[Key]):
    def __init__(
        self,
        *,
        history: Mapping[Key, TrackSummary] | None = None,
        previous_positions: Mapping[Key, int] | None = None,
    ) -> None:
        self.history: dict[Key, TrackSummary] = dict(history or {})
        self.previous_positions: dict[Key, int] = dict(previous_positions or {})

    def advance(self, positions: Sequence[tuple[Key, int]]) -> list[TrendFields]:
        """Trend fields of the next snapshot, given as (track key, position) pairs.

        Keys must be unique within a snapshot. The state then moves past this snapshot.
        """
        fields: list[TrendFields] = []
        current: dict[Key, int] = {}
        for key, position in positions:
            if key in current:
                raise ValueError(f"track {key!r} appears twice in one snapshot")
            current[key] = position
            previous = self.previous_positions.get(key)
            summary = self.history.get(key)
            if summary is None:
                summary = self.history[key] = TrackSummary(days_on_chart=1, peak_position=position)
                is_new = True
            else:
                summary.days_on_chart += 1
                summary.peak_position = min(summary.peak_position, position)
                is_new = False
            fields.append(
                TrendFields(
                    previous_position=previous,
                    movement=None if previous is None else previous - position,
                    is_new=is_new,
                    is_reentry=not is_new and previous is None,
                    peak_position=summary.peak_position,
                    days_on_chart=summary.days_on_chart,
                )
            )
        self.previous_positions = current
        return fields


def compute_trends(
    snapshots: Iterable[Sequence[tuple[Key, int]]], *, state: TrendState[Key] | None = None
) -> list[list[TrendFields]]:
    """Trend fields for consecutive snapshots (oldest first), each a list of (key, position)."""
    state = state or TrendState()
    return [state.advance(snapshot) for snapshot in snapshots]


def dedupe_keys(keys: Sequence[str]) -> list[str]:
    """Make keys unique within one snapshot, in rank order.

    A chart without track ids can list two different tracks under the same name on one day
    (two versions of "All Time Low" by Jon Bellion in the 2017 US chart). The better-placed
    one keeps the plain key and the next ones get "#2", "#3", ... so each stays one history.
    """
    seen: dict[str, int] = {}
    result: list[str] = []
    for key in keys:
        count = seen.get(key, 0) + 1
        seen[key] = count
        result.append(key if count == 1 else f"{key}#{count}")
    return result
