"""Songs similar to one song, among those the caller may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from catalog.models import Song
from catalog.selectors import songs_visible_to, visible_song_ids
from recommendations.selectors.ranking import by_closeness
from recommendations.selectors.songs import (
    CONTENT_SCAN_LIMIT,
    SONG_VALUE_FIELDS,
    song_neighbours,
    song_vector,
    songs_for_display,
)


@dataclass(frozen=True)
class SimilarSong:
    song: Song
    score: float
    source: str  # "collaborative" or "audio_features"


def similar_songs(*, user: Any, song: Song, limit: int) -> list[SimilarSong]:
    """Collaborative neighbours first; songs with little data get filled up by sound.

    The fallback ranks songs of the same genre or artist by audio-feature closeness, then,
    if still short, the rest of the (most popular part of the) catalog. ``song`` is one the
    caller may see (``catalog.selectors.song_visible_for``); so is every song returned.
    """
    picked: dict[int, tuple[float, str]] = {}
    pairs = song_neighbours(song_ids=[song.id]).get(song.id, [])
    visible = visible_song_ids(user=user, song_ids=[p[0] for p in pairs])
    for song_id, score in pairs:
        if song_id in visible and song_id != song.id and len(picked) < limit:
            picked[song_id] = (round(float(score), 4), "collaborative")

    if len(picked) < limit:
        target = song_vector(song)
        exclude = set(picked) | {song.id}
        near = Q(genre_id=song.genre_id) | Q(artist_id=song.artist_id)
        for condition in (near, ~near):
            rows = list(
                songs_visible_to(user=user)
                .filter(condition)
                .exclude(id__in=exclude)
                .order_by("-popularity", "id")
                .values(*SONG_VALUE_FIELDS)[:CONTENT_SCAN_LIMIT]
            )
            order, scores = by_closeness(rows, target)
            for index in order[: limit - len(picked)]:
                picked[rows[index]["id"]] = (round(float(scores[index]), 4), "audio_features")
                exclude.add(rows[index]["id"])
            if len(picked) >= limit:
                break

    songs = songs_for_display(user=user, ids=list(picked))
    return [SimilarSong(song=s, score=picked[s.id][0], source=picked[s.id][1]) for s in songs]
