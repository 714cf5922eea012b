"""Candidate songs of a picks refresh, read once per batch of listeners.

A refresh runs in a task, ahead of any reader: candidates are songs anyone may see
(``catalog.selectors``' rule with ``user=None``), and each reader's picks are filtered
again for that reader when shown.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from catalog.selectors import songs_visible_to
from recommendations.selectors.songs import CONTENT_SCAN_LIMIT, SONG_VALUE_FIELDS, FeatureRow


def _top_songs_per(group: str, ids: Iterable[int], per_group: int) -> dict[int, list[int]]:
    """The ``per_group`` most popular songs of each artist or genre (one query)."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    rank = Window(RowNumber(), partition_by=[F(group)], order_by=[F("popularity").desc(), F("id")])
    rows = (
        songs_visible_to(user=None)
        .filter(**{f"{group}__in": wanted})
        .annotate(rank=rank)
        .filter(rank__lte=per_group)
        .order_by(group, "rank")
        .values_list(group, "id")
    )
    grouped: dict[int, list[int]] = {}
    for key, song_id in rows:
        grouped.setdefault(key, []).append(song_id)
    return grouped


def top_songs_by_artist(*, artist_ids: Iterable[int], per_artist: int) -> dict[int, list[int]]:
    return _top_songs_per("artist_id", artist_ids, per_artist)


def top_songs_by_genre(*, genre_ids: Iterable[int], per_genre: int) -> dict[int, list[int]]:
    return _top_songs_per("genre_id", genre_ids, per_genre)


def popular_song_ids(*, limit: int) -> list[int]:
    """The catalog's most popular songs: the last resort of a cold start."""
    return list(
        songs_visible_to(user=None)
        .order_by("-popularity", "id")
        .values_list("id", flat=True)[:limit]
    )


def song_feature_rows(*, limit: int = CONTENT_SCAN_LIMIT) -> list[FeatureRow]:
    """Feature rows of the most popular songs (for mood matching)."""
    return list(
        songs_visible_to(user=None).order_by("-popularity", "id").values(*SONG_VALUE_FIELDS)[:limit]
    )


def song_facts(*, ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """``song id -> (artist id, title)`` for the songs among ``ids`` anyone may see."""
    rows = songs_visible_to(user=None).filter(id__in=list(set(ids)))
    facts = rows.values_list("id", "artist_id", "title")
    return {song_id: (artist_id, title) for song_id, artist_id, title in facts}
