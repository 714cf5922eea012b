"""Tunable song attributes and audio-feature vectors for content-based matching.

Pure Python + numpy (no Django): the seed endpoint's filters, the content fallback of
"similar songs" and the mood targets of the cold start all measure songs with this.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from catalog.attributes import AUDIO_FEATURES_UNIT, SONG_ATTRIBUTES


@dataclass(frozen=True)
class Attribute:
    """A song attribute clients may filter on with ``min_``/``max_``/``target_``."""

    name: str
    low: float
    high: float
    integer: bool = False
    # How the attribute enters the similarity vector: its share of the distance.
    weight: float = 1.0

    def scale(self, value: float) -> float:
        return min(1.0, max(0.0, (float(value) - self.low) / (self.high - self.low)))


# How much each attribute weighs in the similarity vector (0: filterable only). The ranges
# come from the catalog's one attribute table.
_WEIGHT = {
    **dict.fromkeys(AUDIO_FEATURES_UNIT, 1.0),
    "speechiness": 0.5,
    "loudness": 0.5,
    "tempo": 0.5,
    "key": 0.0,
    "mode": 0.25,
    "popularity": 0.25,
    "duration_ms": 0.0,
}
ATTRIBUTES: dict[str, Attribute] = {
    name: Attribute(
        name,
        SONG_ATTRIBUTES[name].low,
        SONG_ATTRIBUTES[name].high,
        integer=SONG_ATTRIBUTES[name].integer,
        weight=weight,
    )
    for name, weight in _WEIGHT.items()
}
VECTOR_ATTRIBUTES = tuple(a for a in ATTRIBUTES.values() if a.weight > 0)
_WEIGHTS = np.sqrt(np.array([a.weight for a in VECTOR_ATTRIBUTES]))


def _column(rows: Sequence[Mapping[str, float | None]], attribute: Attribute) -> np.ndarray:
    """One attribute of many songs scaled onto [0, 1]; missing values sit in the middle."""
    raw = np.array(
        [np.nan if row.get(attribute.name) is None else row[attribute.name] for row in rows],
        dtype=float,
    )
    scaled = np.clip((raw - attribute.low) / (attribute.high - attribute.low), 0.0, 1.0)
    return np.where(np.isnan(scaled), 0.5, scaled)


def feature_matrix(rows: Sequence[Mapping[str, float | None]]) -> np.ndarray:
    """The weighted [0, 1] vectors of songs (mappings with the attribute names), one a row."""
    if not rows:
        return np.zeros((0, len(VECTOR_ATTRIBUTES)))
    return np.column_stack([_column(rows, a) for a in VECTOR_ATTRIBUTES]) * _WEIGHTS


def closeness(matrix: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Similarity in (0, 1] of each row to ``target``: 1 / (1 + euclidean distance)."""
    if matrix.shape[0] == 0:
        return np.zeros(0)
    return 1.0 / (1.0 + np.linalg.norm(matrix - target, axis=1))


def target_closeness(
    rows: Sequence[Mapping[str, float | None]], targets: Mapping[str, float]
) -> np.ndarray:
    """How near each song is to the requested ``target_`` values (1 = exactly on target).

    Only the targeted attributes count, each on its own [0, 1] scale, so a target on
    ``key`` or ``duration_ms`` works even though they carry no similarity weight.
    """
    if not targets:
        return np.ones(len(rows))
    distances = np.zeros(len(rows))
    for name, wanted in targets.items():
        attribute = ATTRIBUTES[name]
        distances += (_column(rows, attribute) - attribute.scale(wanted)) ** 2
    return 1.0 / (1.0 + np.sqrt(distances / len(targets)))


def within_bounds(
    row: Mapping[str, float | None], bounds: Mapping[str, tuple[float | None, float | None]]
) -> bool:
    """True when every bounded attribute is known and inside its ``[min, max]``."""
    for name, (low, high) in bounds.items():
        value = row.get(name)
        if value is None:
            return False
        if (low is not None and value < low) or (high is not None and value > high):
            return False
    return True


# Mood -> audio-feature targets used to pick songs for the cold start.
MOOD_TARGETS: dict[str, dict[str, float]] = {
    "happy": {"valence": 0.85, "energy": 0.7, "danceability": 0.7},
    "sad": {"valence": 0.15, "energy": 0.3, "acousticness": 0.6},
    "energetic": {"energy": 0.9, "tempo": 140.0, "danceability": 0.7},
    "calm": {"energy": 0.2, "acousticness": 0.8, "loudness": -18.0},
    "focus": {"instrumentalness": 0.8, "speechiness": 0.03, "energy": 0.4},
    "party": {"danceability": 0.9, "energy": 0.85, "valence": 0.7},
    "romantic": {"valence": 0.6, "energy": 0.35, "acousticness": 0.5},
    "angry": {"energy": 0.95, "valence": 0.2, "loudness": -4.0},
}


def mood_targets(moods: Iterable[str]) -> dict[str, float]:
    """Average the targets of several moods into one set of targets."""
    collected: dict[str, list[float]] = {}
    for mood in moods:
        for name, value in MOOD_TARGETS.get(mood, {}).items():
            collected.setdefault(name, []).append(value)
    return {name: float(np.mean(values)) for name, values in collected.items()}
