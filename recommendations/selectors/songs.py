"""Song reads every recommendation shares: feature rows, display rows, model neighbours.

Visibility is always ``catalog.selectors``' one rule, for the caller when there is one and
for an anonymous caller (``user=None``) when a task builds something ahead of any reader.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from catalog.models import Song
from catalog.selectors import songs_visible_to
from recommendations.features import ATTRIBUTES, feature_matrix
from recommendations.models import RecommendationModel, SongNeighbours

# Values read for content-based matching: ids plus every tunable attribute.
SONG_VALUE_FIELDS = ("id", "artist_id", "genre_id", *ATTRIBUTES)
# How many catalog rows a content-based search reads at most (most popular first).
CONTENT_SCAN_LIMIT = 3000

FeatureRow = dict[str, Any]


def song_vector(song: Song) -> np.ndarray:
    """The audio-feature vector of a loaded song (as ``feature_matrix`` makes for rows)."""
    return feature_matrix([{name: getattr(song, name) for name in ATTRIBUTES}])[0]


def songs_for_display(*, user: Any, ids: Sequence[int]) -> list[Song]:
    """The songs among ``ids`` that ``user`` may see, with what the song serializer needs,
    in the order of ``ids`` (one query)."""
    found = songs_visible_to(user=user).select_related("artist", "album", "genre").in_bulk(ids)
    return [found[i] for i in ids if i in found]


def active_model() -> RecommendationModel | None:
    return RecommendationModel.objects.filter(is_active=True).first()


def song_neighbours(*, song_ids: Iterable[int]) -> dict[int, list[tuple[int, float]]]:
    """Collaborative neighbours ``song -> [(song, score)]`` under the active model.

    Ids come from a past build: callers keep only those the reader may still see.
    """
    rows = SongNeighbours.objects.filter(model__is_active=True, song_id__in=list(song_ids))
    return {
        row.song_id: list(zip(row.similar_ids, row.scores, strict=True))
        for row in rows.only("song_id", "similar_ids", "scores")
    }
