"""Reads: seed-based and similar-song recommendations, genre seeds, preferences, picks.

Every song that leaves this module is visible to anyone (``visible_songs``), re-checked at
read time: precomputed ids may have been hidden since they were computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

import numpy as np
from django.core.cache import cache
from django.db.models import (
    Count,
    Exists,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.utils import timezone

from analytics.models import (
    ACTION_COUNTERS,
    Action,
    ListeningEvent,
    RollupWatermark,
    SongDailyStats,
    UserDailyStats,
    UserSongDailyStats,
)
from analytics.selectors import TAIL_MAX_EVENTS
from analytics.services import WATERMARK_NAME
from catalog.models import Artist, Genre, PlaylistSong, Song
from catalog.selectors import song_visibility_q, songs_visible_to
from charts.models import ChartEntry, ChartKind, ChartSnapshot
from recommendations.features import (
    ATTRIBUTES,
    closeness,
    feature_matrix,
    target_closeness,
    within_bounds,
)
from recommendations.models import RecommendationModel, SongNeighbours, UserPicks, UserPreferences
from recommendations.picks import rank_scores

# Values read for content-based matching: ids plus every tunable attribute.
SONG_VALUE_FIELDS = ("id", "artist_id", "genre_id", *ATTRIBUTES)
# How many candidates one seed may contribute before filtering.
SEED_POOL_SIZE = 250
# How many catalog rows a content-based search reads at most (most popular first).
CONTENT_SCAN_LIMIT = 3000


def visible_songs() -> QuerySet[Song]:
    """Songs anyone may see (song and album public and visible), whoever is asking:
    recommendations never surface hidden or private songs, not even to staff."""
    return songs_visible_to(user=None)


def songs_for_display(*, ids: Sequence[int]) -> list[Song]:
    """Visible songs with what the track serializer needs, in the order of ``ids``."""
    found = visible_songs().select_related("artist", "album", "genre").in_bulk(list(ids))
    return [found[i] for i in ids if i in found]


def visible_song_ids(*, ids: Iterable[int]) -> set[int]:
    return set(visible_songs().filter(id__in=list(ids)).order_by().values_list("id", flat=True))


def active_model() -> RecommendationModel | None:
    return RecommendationModel.objects.filter(is_active=True).first()


def song_neighbours(*, song_ids: Iterable[int]) -> dict[int, list[tuple[int, float]]]:
    """Collaborative neighbours ``song -> [(song, score)]`` under the active model."""
    rows = SongNeighbours.objects.filter(model__is_active=True, song_id__in=list(song_ids))
    return {
        row.song_id: list(zip(row.similar_ids, row.scores, strict=True))
        for row in rows.only("song_id", "similar_ids", "scores")
    }


def genre_seed_slugs() -> list[str]:
    """Genres that can seed recommendations: those with at least one visible song."""
    has_songs = visible_songs().filter(genre=OuterRef("pk"))
    return list(
        Genre.objects.filter(Exists(has_songs)).order_by("slug").values_list("slug", flat=True)
    )


def user_preferences_data(*, user) -> dict:
    """``{favorite_genres: [slug], favorite_artists: [id], moods: [str]}``, empty if unset."""
    prefs = (
        UserPreferences.objects.filter(user=user)
        .prefetch_related(
            Prefetch("favorite_genres", queryset=Genre.objects.order_by("slug")),
            Prefetch("favorite_artists", queryset=Artist.objects.order_by("id")),
        )
        .first()
    )
    if prefs is None:
        return {"favorite_genres": [], "favorite_artists": [], "moods": []}
    return {
        "favorite_genres": [g.slug for g in prefs.favorite_genres.all()],
        "favorite_artists": [a.id for a in prefs.favorite_artists.all()],
        "moods": list(prefs.moods),
    }


def user_picks_get(*, user) -> UserPicks | None:
    return UserPicks.objects.filter(user=user).first()


# --- Seed-based recommendations ---------------------------------------------------------


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


def song_values(song: Song) -> dict:
    """The tunable attributes of a loaded song, as the rows of SONG_VALUE_FIELDS have them."""
    return {name: getattr(song, name) for name in ATTRIBUTES}


def _add_ranked(pool: dict[int, float], ids: Sequence[int], scores: Sequence[float]) -> None:
    for song_id, score in zip(ids, scores, strict=True):
        if len(pool) >= SEED_POOL_SIZE:
            return
        pool[song_id] = max(pool.get(song_id, 0.0), float(score))


def _nearest(rows: list[dict], target: np.ndarray, exclude: set[int]) -> list[int]:
    """Ids of ``rows`` ordered by audio-feature closeness to ``target``."""
    kept = [row for row in rows if row["id"] not in exclude]
    order = np.argsort(-closeness(feature_matrix(kept), target), kind="stable")
    return [kept[i]["id"] for i in order]


def _content_rows(*, genre_ids: set[int], artist_ids: set[int], extra_ids: set[int]) -> list[dict]:
    """Feature rows of visible songs sharing a genre or artist with the seeds (capped)."""
    condition = Q(id__in=extra_ids) | Q(genre_id__in=genre_ids) | Q(artist_id__in=artist_ids)
    query = visible_songs().filter(condition).order_by("-popularity", "id")
    return list(query.values(*SONG_VALUE_FIELDS)[:CONTENT_SCAN_LIMIT])


def seed_recommendations(
    *,
    artists: Sequence[Artist],
    genres: Sequence[Genre],
    tracks: Sequence[Song],
    limit: int,
    bounds: dict[str, tuple[float | None, float | None]],
    targets: dict[str, float],
) -> SeedResult:
    """Spotify-style recommendations from 1-5 seeds, tunable attributes honoured.

    Each seed yields a candidate pool: a track its collaborative neighbours and the songs
    nearest in sound within its genre and artist; an artist its own songs, their
    neighbours and the nearest songs of its genres; a genre its most popular songs.
    Pools are filtered by the ``min_``/``max_`` bounds, ranked by seed score blended with
    closeness to the ``target_`` values, then interleaved so every seed contributes.
    """
    artist_rows = list(
        visible_songs()
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
    genre_ids = (
        {g.id for g in genres} | {t.genre_id for t in tracks} | set().union(*artist_genres.values())
    )
    genre_ids.discard(None)
    rows = _content_rows(
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
        _add_ranked(pool.candidates, own, rank_scores(len(own), 1.0, 0.7))
        for song_id in own[:5]:
            pairs = neighbours.get(song_id, [])
            _add_ranked(pool.candidates, [p[0] for p in pairs], rank_scores(len(pairs), 0.8, 0.5))
        if own:
            centre = feature_matrix([rows_by_id[i] for i in own]).mean(axis=0)
            related = [r for r in rows if r["genre_id"] in artist_genres[artist.id]]
            nearest = _nearest(related, centre, exclude=set(pool.candidates))
            _add_ranked(pool.candidates, nearest, rank_scores(len(nearest), 0.6, 0.3))
        pools.append(pool)
    for genre in genres:
        pool = SeedPool(id=genre.slug, type="genre")
        in_genre = [r["id"] for r in rows if r["genre_id"] == genre.id]
        _add_ranked(pool.candidates, in_genre, rank_scores(len(in_genre)))
        pools.append(pool)
    for track in tracks:
        pool = SeedPool(id=str(track.id), type="track")
        pairs = neighbours.get(track.id, [])
        _add_ranked(pool.candidates, [p[0] for p in pairs], rank_scores(len(pairs), 1.0, 0.6))
        related = [
            r for r in rows if r["genre_id"] == track.genre_id or r["artist_id"] == track.artist_id
        ]
        target = feature_matrix([song_values(track)])[0]
        nearest = _nearest(related, target, exclude=set(pool.candidates) | {track.id})
        _add_ranked(pool.candidates, nearest, rank_scores(len(nearest), 0.6, 0.3))
        pools.append(pool)

    for pool in pools:
        # Neighbour ids come from a past build: keep only songs still visible.
        kept = [i for i in pool.candidates if i in rows_by_id and i not in seed_ids]
        pool.candidates = {i: pool.candidates[i] for i in kept}
        passing = [i for i in kept if within_bounds(rows_by_id[i], bounds)]
        fit = target_closeness([rows_by_id[i] for i in passing], targets)
        blended = [
            pool.candidates[i] * 0.5 + f * 0.5 if targets else pool.candidates[i]
            for i, f in zip(passing, fit, strict=True)
        ]
        order = np.argsort(-np.array(blended), kind="stable")
        pool.filtered = [passing[i] for i in order]

    chosen = _interleave([pool.filtered for pool in pools], limit)
    return SeedResult(seeds=pools, songs=songs_for_display(ids=chosen))


def _interleave(lists: Sequence[Sequence[int]], limit: int) -> list[int]:
    """Round-robin over ranked lists, skipping repeats, until ``limit`` ids are taken."""
    chosen: list[int] = []
    seen: set[int] = set()
    cursors = [0] * len(lists)
    while len(chosen) < limit:
        progressed = False
        for index, ranked in enumerate(lists):
            while cursors[index] < len(ranked) and ranked[cursors[index]] in seen:
                cursors[index] += 1
            if cursors[index] < len(ranked) and len(chosen) < limit:
                song_id = ranked[cursors[index]]
                chosen.append(song_id)
                seen.add(song_id)
                cursors[index] += 1
                progressed = True
        if not progressed:
            break
    return chosen


# --- Similar songs ----------------------------------------------------------------------


@dataclass(frozen=True)
class SimilarSong:
    song: Song
    score: float
    source: str  # "collaborative" or "audio_features"


def similar_songs(*, song: Song, limit: int) -> list[SimilarSong]:
    """Collaborative neighbours first; songs with little data get filled up by sound.

    The fallback ranks visible songs of the same genre or artist by audio-feature
    closeness, then, if still short, the rest of the (most popular part of the) catalog.
    """
    picked: dict[int, tuple[float, str]] = {}
    pairs = song_neighbours(song_ids=[song.id]).get(song.id, [])
    visible = visible_song_ids(ids=[p[0] for p in pairs])
    for song_id, score in pairs:
        if song_id in visible and song_id != song.id and len(picked) < limit:
            picked[song_id] = (round(float(score), 4), "collaborative")

    if len(picked) < limit:
        target = feature_matrix([song_values(song)])[0]
        exclude = set(picked) | {song.id}
        near = Q(genre_id=song.genre_id) | Q(artist_id=song.artist_id)
        for condition in (near, ~near):
            rows = list(
                visible_songs()
                .filter(condition)
                .exclude(id__in=exclude)
                .order_by("-popularity", "id")
                .values(*SONG_VALUE_FIELDS)[:CONTENT_SCAN_LIMIT]
            )
            scores = closeness(feature_matrix(rows), target)
            for index in np.argsort(-scores, kind="stable")[: limit - len(picked)]:
                picked[rows[index]["id"]] = (round(float(scores[index]), 4), "audio_features")
                exclude.add(rows[index]["id"])
            if len(picked) >= limit:
                break

    songs = songs_for_display(ids=list(picked))
    return [SimilarSong(song=s, score=picked[s.id][0], source=picked[s.id][1]) for s in songs]


# --- Listening data ---------------------------------------------------------------------

# Interaction weight of each rollup counter: finishing or liking a song says more than
# starting it; skipping it says the opposite.
COUNTER_WEIGHTS = {"plays": 1.0, "completes": 2.0, "likes": 4.0, "shares": 2.0, "skips": -2.0}
ALBUM_LIKE_WEIGHT = 2.0
PLAYLIST_ADD_WEIGHT = 3.0
HISTORY_DAYS = 365
HISTORY_HALF_LIFE_DAYS = 90.0
RECENT_SKIP_DAYS = 14

# How a listener came to know a song (bit flags), for the wording of reasons.
PLAYED, LIKED, PLAYLISTED = 1, 2, 4


@dataclass
class InteractionTable:
    """Net interaction weight per (user, song), one entry per pair, weights > 0 only."""

    users: np.ndarray
    songs: np.ndarray
    weights: np.ndarray
    sources: np.ndarray

    def __len__(self) -> int:
        return len(self.weights)


def _events_tail(*, user_ids: Sequence[int] | None) -> QuerySet[ListeningEvent]:
    """Events not yet in the daily rollups (above the watermark; capped like analytics).

    The rollups, the watermark and the tail are separate queries here: a rollup that
    commits in between (they run every minute) can count a minute of events twice, a
    harmless blip for recommendation weights.
    """
    watermark = (
        RollupWatermark.objects.filter(name=WATERMARK_NAME)
        .values_list("last_event_id", flat=True)
        .first()
    ) or 0
    events = ListeningEvent.objects.filter(
        id__gt=watermark, id__lte=watermark + TAIL_MAX_EVENTS, user__isnull=False
    )
    return events if user_ids is None else events.filter(user_id__in=user_ids)


def _weighted(counters: dict[str, str]) -> Any:
    """Sum of COUNTER_WEIGHTS over the given counter expressions (name -> SQL-able field)."""
    total = None
    for counter, weight in COUNTER_WEIGHTS.items():
        term = F(counters[counter]) * Value(weight)
        total = term if total is None else total + term
    return total


def interaction_table(*, user_ids: Sequence[int] | None = None) -> InteractionTable:
    """Implicit feedback of the given users (all when None) on visible songs.

    Daily rollups of the last year, each day's counters weighted by COUNTER_WEIGHTS and
    halved every HISTORY_HALF_LIFE_DAYS; events not yet rolled up; album likes (every
    song of the album) and songs the user added to playlists. Pairs whose net weight is
    not positive (mostly skipped) are dropped.
    """
    today = timezone.now().date()
    visible = song_visibility_q(user=None, prefix="song__")
    rollups = UserSongDailyStats.objects.filter(
        visible, day__gte=today - timedelta(days=HISTORY_DAYS)
    )
    if user_ids is not None:
        rollups = rollups.filter(user_id__in=user_ids)
    table = UserSongDailyStats._meta.db_table
    decay = RawSQL(
        f'power(0.5, (%s::date - "{table}"."day") / %s::float)', (today, HISTORY_HALF_LIFE_DAYS)
    )
    rollup_rows = rollups.values_list("user_id", "song_id").annotate(
        weight=Sum(_weighted({c: c for c in COUNTER_WEIGHTS}) * decay, output_field=FloatField()),
        played=Sum(F("plays") + F("completes")),
        liked=Sum("likes"),
    )
    tail_counts = {
        counter: Count("id", filter=Q(action=action)) for action, counter in ACTION_COUNTERS.items()
    }
    tail_rows = (
        _events_tail(user_ids=user_ids)
        .filter(visible)
        .values("user_id", "song_id")
        .annotate(**tail_counts)
    )
    album_songs = visible_songs().filter(album__likes__isnull=False)
    if user_ids is not None:
        album_songs = album_songs.filter(album__likes__user_id__in=user_ids)
    playlist_adds = PlaylistSong.objects.filter(visible, added_by__isnull=False)
    if user_ids is not None:
        playlist_adds = playlist_adds.filter(added_by_id__in=user_ids)

    users, songs, weights, sources = [], [], [], []

    def add(user_id: int, song_id: int, weight: float, source: int) -> None:
        users.append(user_id)
        songs.append(song_id)
        weights.append(weight)
        sources.append(source)

    for user_id, song_id, weight, played, liked in rollup_rows:
        add(user_id, song_id, weight, (PLAYED if played else 0) | (LIKED if liked else 0))
    for row in tail_rows:
        weight = sum(row[counter] * w for counter, w in COUNTER_WEIGHTS.items())
        played = PLAYED if row["plays"] or row["completes"] else 0
        add(row["user_id"], row["song_id"], weight, played | (LIKED if row["likes"] else 0))
    for user_id, song_id in album_songs.values_list("album__likes__user_id", "id"):
        add(user_id, song_id, ALBUM_LIKE_WEIGHT, LIKED)
    for user_id, song_id in playlist_adds.values_list("added_by_id", "song_id").distinct():
        add(user_id, song_id, PLAYLIST_ADD_WEIGHT, PLAYLISTED)
    return _sum_pairs(users, songs, weights, sources)


def _sum_pairs(users, songs, weights, sources) -> InteractionTable:
    if not users:
        empty = np.zeros(0, dtype=np.int64)
        return InteractionTable(empty, empty, np.zeros(0), np.zeros(0, dtype=np.uint8))
    pairs = np.column_stack([np.asarray(users, dtype=np.int64), np.asarray(songs, dtype=np.int64)])
    unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    total = np.bincount(inverse, weights=np.asarray(weights, dtype=float), minlength=len(unique))
    flags = np.zeros(len(unique), dtype=np.uint8)
    np.bitwise_or.at(flags, inverse, np.asarray(sources, dtype=np.uint8))
    keep = total > 0
    return InteractionTable(unique[keep, 0], unique[keep, 1], total[keep], flags[keep])


def recently_skipped_songs(*, user_ids: Sequence[int]) -> dict[int, set[int]]:
    """Per user, the songs they skipped in the last RECENT_SKIP_DAYS days (rollups + tail)."""
    since = timezone.now().date() - timedelta(days=RECENT_SKIP_DAYS)
    skipped: dict[int, set[int]] = {user_id: set() for user_id in user_ids}
    rollups = UserSongDailyStats.objects.filter(user_id__in=user_ids, day__gte=since, skips__gt=0)
    tail = _events_tail(user_ids=user_ids).filter(action=Action.SKIP)
    for rows in (rollups, tail):
        for user_id, song_id in rows.values_list("user_id", "song_id").distinct():
            skipped[user_id].add(song_id)
    return skipped


def active_user_ids(*, days: int) -> list[int]:
    """Users with at least one listening event in the last ``days`` days."""
    since = timezone.now().date() - timedelta(days=days)
    rolled = UserDailyStats.objects.filter(day__gte=since).values_list("user_id", flat=True)
    tail = _events_tail(user_ids=None).values_list("user_id", flat=True)
    return sorted(set(rolled.distinct()) | set(tail.distinct()))


# --- Trending ---------------------------------------------------------------------------

# window -> (days of rollups read, half-life in days of a day's plays)
TRENDING_WINDOWS: dict[str, tuple[int, float]] = {"24h": (1, 0.5), "7d": (7, 2.0), "30d": (30, 7.0)}
TRENDING_PERIOD_WORDS = {"24h": "today", "7d": "this week", "30d": "this month"}
TRENDING_COUNTER_WEIGHTS = {
    "plays": 1.0,
    "completes": 0.5,
    "likes": 2.0,
    "shares": 2.0,
    "skips": -0.5,
}
# Share of chart momentum in a trending score (the rest is our own listening).
CHART_SHARE = 0.3
TRENDING_CACHE_SECONDS = 5 * 60


class ScoredSong(NamedTuple):
    song_id: int
    score: float
    reason: str


def _chart_reason(country: str, name: str) -> str:
    if len(country) == 2:
        return f"Climbing the {country.upper()} chart"
    if country == "global":
        return "Climbing the global chart"
    return f"Climbing the {name} chart"


def chart_momentum(*, since: date, genre_id: int | None = None) -> dict[int, tuple[float, str]]:
    """Songs climbing (or newly entering) the latest snapshot of each song chart since ``since``.

    Momentum in (0, 1]: places gained over the chart's size plus a bonus for a high
    position; a new entry counts as having climbed half the chart. Songs take the reason
    of the chart where they climb fastest. No chart data: an empty mapping.
    """
    latest = (
        ChartSnapshot.objects.filter(chart__kind=ChartKind.SONGS, date__gte=since)
        .order_by("chart_id", "-date")
        .distinct("chart_id")
        .values("id")
    )
    entries = ChartEntry.objects.filter(
        song_visibility_q(user=None, prefix="song__"),
        Q(movement__gt=0) | Q(is_new=True),
        snapshot__in=latest,
        song__isnull=False,
    )
    if genre_id is not None:
        entries = entries.filter(song__genre_id=genre_id)
    momentum: dict[int, tuple[float, str]] = {}
    rows = entries.values_list(
        "song_id",
        "position",
        "movement",
        "snapshot__chart__size",
        "snapshot__chart__country",
        "snapshot__chart__name",
    )
    for song_id, position, movement, size, country, name in rows:
        size = max(size, position, 1)
        climbed = movement if movement and movement > 0 else (size - position + 1) / 2
        value = min(1.0, 0.5 * climbed / size + 0.5 * (size - position + 1) / size)
        if value > momentum.get(song_id, (0.0, ""))[0]:
            momentum[song_id] = (value, _chart_reason(country, name))
    return momentum


def _decayed_song_plays(*, since: date, half_life: float, genre_id: int | None) -> dict[int, float]:
    today = timezone.now().date()
    visible = song_visibility_q(user=None, prefix="song__")
    stats = SongDailyStats.objects.filter(visible, day__gte=since)
    tail = _events_tail(user_ids=None).filter(visible, occurred_at__date__gte=since)
    if genre_id is not None:
        stats = stats.filter(song__genre_id=genre_id)
        tail = tail.filter(song__genre_id=genre_id)
    table = SongDailyStats._meta.db_table
    decay = RawSQL(f'power(0.5, (%s::date - "{table}"."day") / %s::float)', (today, half_life))
    weighted = None
    for counter, weight in TRENDING_COUNTER_WEIGHTS.items():
        term = F(counter) * Value(weight)
        weighted = term if weighted is None else weighted + term
    plays = dict(
        stats.values_list("song_id").annotate(
            score=Sum(weighted * decay, output_field=FloatField())
        )
    )
    counts = {c: Count("id", filter=Q(action=a)) for a, c in ACTION_COUNTERS.items()}
    for row in tail.values("song_id").annotate(**counts):
        extra = sum(row[c] * w for c, w in TRENDING_COUNTER_WEIGHTS.items())
        plays[row["song_id"]] = plays.get(row["song_id"], 0.0) + extra
    return {song_id: score for song_id, score in plays.items() if score > 0}


def trending_songs(
    *, window: str = "7d", genre_id: int | None = None, limit: int = 20
) -> list[ScoredSong]:
    """Visible songs by time-decayed listening (rollups + raw tail) plus chart momentum.

    Each part is normalised to [0, 1] by its maximum; charts weigh CHART_SHARE. Either
    part alone is enough: without chart data, trending is our own listening, and vice
    versa. Cached for a few minutes per window, genre and limit.
    """
    key = f"recommendations:trending:{window}:{genre_id}:{limit}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    days, half_life = TRENDING_WINDOWS[window]
    since = timezone.now().date() - timedelta(days=days)
    plays = _decayed_song_plays(since=since, half_life=half_life, genre_id=genre_id)
    momentum = chart_momentum(since=since, genre_id=genre_id)
    top_plays = max(plays.values(), default=0.0) or 1.0
    scores: dict[int, tuple[float, str]] = {}
    for song_id in plays.keys() | momentum.keys():
        listening = (1 - CHART_SHARE) * plays.get(song_id, 0.0) / top_plays
        chart, chart_reason = momentum.get(song_id, (0.0, ""))
        scores[song_id] = (
            listening + CHART_SHARE * chart,
            chart_reason if CHART_SHARE * chart > listening else "",
        )
    ranked = sorted(scores.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
    genres = dict(
        visible_songs()
        .filter(id__in=[song_id for song_id, _ in ranked])
        .values_list("id", "genre__name")
    )
    period = TRENDING_PERIOD_WORDS[window]
    result = [
        ScoredSong(
            song_id,
            round(score, 4),
            reason
            or (
                f"Popular in {genres[song_id].lower()} {period}"
                if genres[song_id]
                else f"Trending {period}"
            ),
        )
        for song_id, (score, reason) in ranked
        if song_id in genres
    ]
    cache.set(key, result, TRENDING_CACHE_SECONDS)
    return result


# --- Inputs of the picks refresh ---------------------------------------------------------


@dataclass(frozen=True)
class PreferenceSeeds:
    genres: list[tuple[int, str]]  # (genre id, name)
    artists: list[tuple[int, str]]  # (artist id, name)
    moods: list[str]


def preferences_for_users(*, user_ids: Sequence[int]) -> dict[int, PreferenceSeeds]:
    """Stored preferences of many users (users without any are absent)."""
    prefs = UserPreferences.objects.filter(user_id__in=user_ids).prefetch_related(
        Prefetch("favorite_genres", queryset=Genre.objects.only("id", "name")),
        Prefetch("favorite_artists", queryset=Artist.objects.only("id", "name")),
    )
    return {
        p.user_id: PreferenceSeeds(
            genres=[(g.id, g.name) for g in p.favorite_genres.all()],
            artists=[(a.id, a.name) for a in p.favorite_artists.all()],
            moods=list(p.moods),
        )
        for p in prefs
    }


def _top_songs_per(group: str, ids: Iterable[int], per_group: int) -> dict[int, list[int]]:
    """The ``per_group`` most popular visible songs of each artist or genre (one query)."""
    ids = list(set(ids))
    if not ids:
        return {}
    rank = Window(RowNumber(), partition_by=[F(group)], order_by=[F("popularity").desc(), F("id")])
    rows = (
        visible_songs()
        .filter(**{f"{group}__in": ids})
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
    """The catalog's most popular visible songs: the last resort of a cold start."""
    return list(visible_songs().order_by("-popularity", "id").values_list("id", flat=True)[:limit])


def song_feature_rows(*, limit: int = CONTENT_SCAN_LIMIT) -> list[dict]:
    """Feature rows of the most popular visible songs (for mood matching)."""
    return list(visible_songs().order_by("-popularity", "id").values(*SONG_VALUE_FIELDS)[:limit])


def song_facts(*, ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """``song id -> (artist id, title)`` for the visible ones among ``ids``."""
    rows = visible_songs().filter(id__in=list(set(ids))).values_list("id", "artist_id", "title")
    return {song_id: (artist_id, title) for song_id, artist_id, title in rows}
