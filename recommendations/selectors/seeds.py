"""Spotify-style recommendations from 1-5 seeds (artists, genres, tracks), and genre seeds.

Everything is read with the caller's visibility (``catalog.selectors``): a seed's pool, the
songs nearest in sound and the songs shown are those the caller may see.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q

from catalog.models import Artist, Genre, Song
from catalog.selectors import songs_visible_to
from recommendations.features import feature_matrix
from recommendations.picks import rank_scores
from recommendations.selectors.ranking import (
    Bounds,
    add_ranked,
    filter_and_rank,
    interleave,
    nearest,
)
from recommendations.selectors.songs import (
    CONTENT_SCAN_LIMIT,
    SONG_VALUE_FIELDS,
    FeatureRow,
    song_neighbours,
    song_vector,
    songs_for_display,
)


@dataclass
class SeedPool:
    """One seed's candidates (song id -> score in (0, 1]) and the Spotify-style counts."""

    id: str
    type: str
    candidates: dict[int, float] = field(default_factory=dict)
    filtered: list[int] = field(default_factory=list)

    @property
    def initial_pool_size(self) -> int:
        return len(self.candidates)

    @property
    def after_filtering_size(self) -> int:
        return len(self.filtered)


@dataclass
class SeedResult:
    seeds: list[SeedPool]
    songs: list[Song]


def genre_seed_slugs(*, user: Any) -> list[str]:
    """Genres that can seed recommendations: those with at least one song ``user`` may see."""
    has_songs = songs_visible_to(user=user).filter(genre=OuterRef("pk"))
    return list(
        Genre.objects.filter(Exists(has_songs)).order_by("slug").values_list("slug", flat=True)
    )


def _content_rows(
    *, user: Any, genre_ids: set[int], artist_ids: set[int], extra_ids: set[int]
) -> list[FeatureRow]:
    """Feature rows of songs sharing a genre or artist with the seeds (capped)."""
    condition = Q(id__in=extra_ids) | Q(genre_id__in=genre_ids) | Q(artist_id__in=artist_ids)
    query = songs_visible_to(user=user).filter(condition).order_by("-popularity", "id")
    return list(query.values(*SONG_VALUE_FIELDS)[:CONTENT_SCAN_LIMIT])


def seed_recommendations(
    *,
    user: Any,
    artists: Sequence[Artist],
    genres: Sequence[Genre],
    tracks: Sequence[Song],
    limit: int,
    bounds: Bounds,
    targets: Mapping[str, float],
) -> SeedResult:
    """Spotify-style recommendations from 1-5 seeds, tunable attributes honoured.

    Each seed yields a candidate pool: a track its collaborative neighbours and the songs
    nearest in sound within its genre and artist; an artist its own songs, their
    neighbours and the nearest songs of its genres; a genre its most popular songs.
    Pools are filtered by the ``min_``/``max_`` bounds, ranked by seed score blended with
    closeness to the ``target_`` values, then interleaved so every seed contributes.
    """
    artist_rows = list(
        songs_visible_to(user=user)
        .filter(artist__in=artists)
        .order_by("-popularity", "id")
        .values(*SONG_VALUE_FIELDS)
    )
    artist_genres = {
        artist.id: {g.id for g in artist.genres.all()}
        | {row["genre_id"] for row in artist_rows if row["artist_id"] == artist.id}
        for artist in artists
    }
    neighbours = song_neighbours(song_ids=[t.id for t in tracks] + [r["id"] for r in artist_rows])
    neighbour_ids = {song for pairs in neighbours.values() for song, _ in pairs}
    genre_ids = {
        genre_id
        for genre_id in (
            {g.id for g in genres}
            | {t.genre_id for t in tracks}
            | set().union(*artist_genres.values())
        )
        if genre_id is not None  # songs without a genre
    }
    rows = _content_rows(
        user=user,
        genre_ids=genre_ids,
        artist_ids={t.artist_id for t in tracks} | {a.id for a in artists},
        extra_ids=neighbour_ids,
    )
    rows_by_id = {row["id"]: row for row in rows + artist_rows}
    seed_ids = {t.id for t in tracks}

    pools: list[SeedPool] = []
    for artist in artists:
        pool = SeedPool(id=str(artist.id), type="artist")
        own = [r["id"] for r in artist_rows if r["artist_id"] == artist.id]
        add_ranked(pool.candidates, own, rank_scores(len(own), 1.0, 0.7))
        for song_id in own[:5]:
            pairs = neighbours.get(song_id, [])
            add_ranked(pool.candidates, [p[0] for p in pairs], rank_scores(len(pairs), 0.8, 0.5))
        if own:
            centre = feature_matrix([rows_by_id[i] for i in own]).mean(axis=0)
            related = [r for r in rows if r["genre_id"] in artist_genres[artist.id]]
            near = nearest(related, centre, exclude=set(pool.candidates))
            add_ranked(pool.candidates, near, rank_scores(len(near), 0.6, 0.3))
        pools.append(pool)
    for genre in genres:
        pool = SeedPool(id=genre.slug, type="genre")
        in_genre = [r["id"] for r in rows if r["genre_id"] == genre.id]
        add_ranked(pool.candidates, in_genre, rank_scores(len(in_genre)))
        pools.append(pool)
    for track in tracks:
        pool = SeedPool(id=str(track.id), type="track")
        pairs = neighbours.get(track.id, [])
        add_ranked(pool.candidates, [p[0] for p in pairs], rank_scores(len(pairs), 1.0, 0.6))
        related = [
            r for r in rows if r["genre_id"] == track.genre_id or r["artist_id"] == track.artist_id
        ]
        target = song_vector(track)
        near = nearest(related, target, exclude=set(pool.candidates) | {track.id})
        add_ranked(pool.candidates, near, rank_scores(len(near), 0.6, 0.3))
        pools.append(pool)

    for pool in pools:
        # Neighbour ids come from a past build: keep only songs the caller may see now.
        pool.candidates = {
            i: score
            for i, score in pool.candidates.items()
            if i in rows_by_id and i not in seed_ids
        }
        pool.filtered = filter_and_rank(pool.candidates, rows_by_id, bounds=bounds, targets=targets)

    chosen = interleave([pool.filtered for pool in pools], limit)
    return SeedResult(seeds=pools, songs=songs_for_display(user=user, ids=chosen))
