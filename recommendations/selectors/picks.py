"""Scored songs as a reader sees them: precomputed or cached ids filtered for that reader."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from catalog.models import Song
from recommendations.selectors.songs import songs_for_display

# (song id, score, reason): how picks are stored and cached, and how trending ranks.
ScoredId = tuple[int, float, str]


@dataclass(frozen=True)
class ScoredTrack:
    song: Song
    score: float
    reason: str


@dataclass(frozen=True)
class Picks:
    generated_at: datetime
    tracks: list[ScoredTrack]


def scored_tracks(*, user: Any, items: Iterable[ScoredId]) -> list[ScoredTrack]:
    """The items whose song ``user`` may see (ids may be stale: hidden since they were
    computed), with the loaded songs, in the given order (one query)."""
    scored = {song_id: (score, reason) for song_id, score, reason in items}
    return [
        ScoredTrack(song, *scored[song.id])
        for song in songs_for_display(user=user, ids=list(scored))
    ]
