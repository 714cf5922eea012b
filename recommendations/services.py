"""Writes: model builds (one at a time), picks refreshes and their cache, preferences."""

from __future__ import annotations

import json
import logging
import time
import uuid
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import numpy as np
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from catalog.models import Artist, Genre, Song
from common.realtime import publish
from common.tasks import enqueue_after_commit
from recommendations import selectors
from recommendations.caching import picks_changed
from recommendations.features import mood_targets, target_closeness
from recommendations.modeling import FittedModel
from recommendations.models import (
    RecommendationLog,
    RecommendationModel,
    SongNeighbours,
    UserPicks,
    UserPreferences,
)
from recommendations.picks import Candidate, Source, blend, ranked
from users.models import User

logger = logging.getLogger(__name__)

MODEL_NEIGHBOURS = 30
MODELS_KEPT = 2
LOGS_KEPT_DAYS = 30
CF_CANDIDATES = 60
PICKS_SIZE = 30
PICKS_TOP = 20
PICKS_PER_ARTIST = 2
PICKS_CACHE_SECONDS = 60 * 60
# How much each source of picks is trusted (scores are in [0, 1] within a source).
WEIGHT_COLLABORATIVE = 1.0
WEIGHT_FAVORITE_ARTIST = 0.8
WEIGHT_FAVORITE_GENRE = 0.6
WEIGHT_MOOD = 0.55
WEIGHT_TRENDING = 0.5
WEIGHT_POPULAR = 0.1


def picks_cache_key(user_id: int) -> str:
    # v2: the cache holds plain data since services stopped rendering (v1 held JSON bytes).
    return f"recommendations:me:v2:{user_id}"


def _log(**fields: Any) -> RecommendationLog:
    return RecommendationLog.objects.create(**fields)


def _execute_with_json(sql: str, *params: Any) -> None:
    """Run ``sql`` whose last parameter is a list of rows sent as one JSON document.

    Bulk writes of array and JSON columns go this way: bulk_create would send every
    value as an array element that the driver escapes one by one, far slower.
    """
    *leading, rows = params
    with connection.cursor() as cursor:
        cursor.execute(sql, [*leading, json.dumps(rows)])


# --- Model build ------------------------------------------------------------------------

JSON_BATCH_ROWS = 5000
# Songs deleted since the interactions were read are skipped by the join.
_INSERT_NEIGHBOURS = f"""
INSERT INTO {SongNeighbours._meta.db_table} (model_id, song_id, similar_ids, scores)
SELECT %s, r.song_id, r.similar_ids, r.scores
FROM jsonb_to_recordset(%s::jsonb)
    AS r(song_id bigint, similar_ids bigint[], scores double precision[])
JOIN {Song._meta.db_table} song ON song.id = r.song_id
"""

# The fitted model of the active row, kept per process (workers refresh many batches).
_loaded: dict[int, FittedModel] = {}


def fitted_model(model: RecommendationModel) -> FittedModel:
    if model.pk not in _loaded:
        with model.artifact.open("rb") as artifact:
            fitted = FittedModel.loads(artifact.read())
        _loaded.clear()
        _loaded[model.pk] = fitted
    return _loaded[model.pk]


def _activate(model: RecommendationModel) -> None:
    """Make ``model`` the only active one (call inside the transaction that created it)."""
    RecommendationModel.objects.select_for_update().filter(is_active=True).exclude(
        pk=model.pk
    ).update(is_active=False)
    model.is_active = True
    model.save(update_fields=["is_active"])


@transaction.atomic
def recommendation_model_activate(*, model: RecommendationModel) -> RecommendationModel:
    """Switch back (or forward) to a kept model, e.g. when a new build misbehaves."""
    _activate(model)
    _loaded.clear()
    return model


def _prune_old_models() -> None:
    stale = list(RecommendationModel.objects.filter(is_active=False).order_by("-created_at", "-id"))
    stale = stale[MODELS_KEPT - 1 :]
    files = [m.artifact.name for m in stale if m.artifact.name]
    RecommendationModel.objects.filter(pk__in=[m.pk for m in stale]).delete()
    for name in files:
        default_storage.delete(name)
    RecommendationLog.objects.filter(
        created_at__lt=timezone.now() - timedelta(days=LOGS_KEPT_DAYS)
    ).delete()


# One build at a time, across workers and hosts: a PostgreSQL session-level advisory lock held
# for the whole build (the fit included). It lives in the database, not the cache, which may be
# down (DESIGN.md §6 rule 12); a worker that dies loses its connection and so the lock.
BUILD_LOCK_ID = zlib.crc32(b"recommendations.build_model")


@contextmanager
def model_build_lock() -> Iterator[bool]:
    """Try to take the build lock without waiting; yields whether this caller holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [BUILD_LOCK_ID])
        (acquired,) = cursor.fetchone()
    try:
        yield bool(acquired)
    finally:
        if acquired:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [BUILD_LOCK_ID])
            except DatabaseError:
                # A lost connection has released the lock along with its session.
                logger.warning("Could not release the model build lock", exc_info=True)


def recommendation_model_build() -> RecommendationModel | None:
    """Fit the engine on everyone's interactions and swap it in atomically.

    The artifact file is written first, then the model row, its song neighbours and the
    switch of the active flag commit together: readers see the old model or the new one,
    never a mix. Older models beyond MODELS_KEPT are removed with their files.

    A build already running elsewhere makes this one a no-op (None, nothing logged), so a
    redelivered or doubled schedule never fits twice at once.
    """
    with model_build_lock() as acquired:
        if not acquired:
            logger.info("Another model build is running; this one is skipped.")
            return None
        return _build()


def _build() -> RecommendationModel | None:
    started = time.perf_counter()
    artifact_name = ""
    try:
        table = selectors.interaction_table()
        enough = len(np.unique(table.users)) >= 2 and len(np.unique(table.songs)) >= 2
        fitted = FittedModel.fit(table.users, table.songs, table.weights) if enough else None
        if fitted is None or not fitted.modelled.any():
            # A fresh platform: nobody shares enough songs yet; picks use the cold start.
            _log(
                kind=RecommendationLog.Kind.BUILD,
                status=RecommendationLog.Status.SKIPPED,
                interactions_count=len(table),
                duration_seconds=time.perf_counter() - started,
                error="Not enough listening data to fit a model yet.",
            )
            return None
        neighbours = [
            {"song_id": song_id, "similar_ids": ids, "scores": scores}
            for song_id, ids, scores in fitted.neighbours(MODEL_NEIGHBOURS)
        ]
        artifact_name = default_storage.save(
            f"recommendations/models/model-{uuid.uuid4().hex}.pkl", ContentFile(fitted.dumps())
        )
        with transaction.atomic():
            model = RecommendationModel.objects.create(
                artifact=artifact_name,
                algorithm=type(fitted.recommender).__qualname__,
                users_count=len(fitted.user_ids),
                items_count=len(fitted.song_ids),
                interactions_count=fitted.interactions_count,
                fit_seconds=round(fitted.fit_seconds, 3),
            )
            for start in range(0, len(neighbours), JSON_BATCH_ROWS):
                _execute_with_json(
                    _INSERT_NEIGHBOURS, model.pk, neighbours[start : start + JSON_BATCH_ROWS]
                )
            _activate(model)
    except Exception as exc:
        if artifact_name:
            default_storage.delete(artifact_name)
        _log(
            kind=RecommendationLog.Kind.BUILD,
            status=RecommendationLog.Status.FAILED,
            duration_seconds=time.perf_counter() - started,
            error=repr(exc)[:4000],
        )
        raise
    _loaded.clear()
    _prune_old_models()
    _log(
        kind=RecommendationLog.Kind.BUILD,
        status=RecommendationLog.Status.SUCCESS,
        model=model,
        users_count=model.users_count,
        items_count=model.items_count,
        interactions_count=model.interactions_count,
        duration_seconds=time.perf_counter() - started,
    )
    return model


# --- Picks refresh ----------------------------------------------------------------------


def _reason_from(anchor_title: str, flags: int) -> str:
    if flags & selectors.PLAYED:
        return f"Because you played {anchor_title}"
    if flags & selectors.LIKED:
        return f"Because you liked {anchor_title}"
    return f"Because you added {anchor_title} to a playlist"


class _PicksBatch:
    """Everything shared by the users of one refresh, read with a fixed number of queries."""

    def __init__(self, user_ids: list[int], model: RecommendationModel | None) -> None:
        self.user_ids = user_ids
        self.table = selectors.interaction_table(user_ids=user_ids)
        self.skipped = selectors.recently_skipped_songs(user_ids=user_ids)
        self.preferences = selectors.preferences_for_users(user_ids=user_ids)
        # Computed ahead of any reader: the anonymous rule (readers are filtered again).
        self.trending = selectors.trending_songs(user=None, window="7d", limit=200)
        self.popular = selectors.popular_song_ids(limit=100)

        self.history: dict[int, dict[int, int]] = {u: {} for u in user_ids}
        for user_id, song_id, flags in zip(
            self.table.users, self.table.songs, self.table.sources, strict=True
        ):
            self.history[int(user_id)][int(song_id)] = int(flags)

        self.collaborative: dict[int, list[tuple[int, float]]] = {}
        self.anchors: dict[int, dict[int, int]] = {}
        if model is not None:
            self._collaborative(fitted_model(model))

        prefs = self.preferences.values()
        self.artist_songs = selectors.top_songs_by_artist(
            artist_ids=[a for p in prefs for a, _ in p.artists], per_artist=10
        )
        self.genre_songs = selectors.top_songs_by_genre(
            genre_ids=[g for p in prefs for g, _ in p.genres], per_genre=20
        )
        self.mood_rows = selectors.song_feature_rows() if any(p.moods for p in prefs) else []

        offered = {s.song_id for s in self.trending} | set(self.popular)
        offered |= {s for pairs in self.collaborative.values() for s, _ in pairs}
        offered |= {s for songs in self.artist_songs.values() for s in songs}
        offered |= {s for songs in self.genre_songs.values() for s in songs}
        offered |= {row["id"] for row in self.mood_rows}
        anchor_ids = {a for per_user in self.anchors.values() for a in per_user.values()}
        self.facts = selectors.song_facts(ids=offered | anchor_ids)
        self.artist_of = {song_id: artist for song_id, (artist, _) in self.facts.items()}
        # The same for every listener of the batch.
        top_trending = self.trending[0].score if self.trending else 1.0
        self.shared_sources = [
            Source(
                WEIGHT_TRENDING,
                [Candidate(s.song_id, s.score / top_trending, s.reason) for s in self.trending],
            ),
            Source(WEIGHT_POPULAR, ranked(self.popular, "Popular right now")),
        ]
        self.trending_by_id = {s.song_id: s for s in self.trending}
        self._mood_sources: dict[tuple[str, ...], Source] = {}

    def _collaborative(self, fitted: FittedModel) -> None:
        warm = [u for u in self.user_ids if self.history[u]]
        if not warm:
            return
        rows = fitted.rows(self.table.users, self.table.songs, self.table.weights, warm)
        known = np.flatnonzero(fitted.is_warm(rows))
        if not len(known):
            return
        for user_id, recs in zip(
            [warm[i] for i in known], fitted.recommend(rows[known], CF_CANDIDATES), strict=True
        ):
            if recs:
                self.collaborative[user_id] = recs
                self.anchors[user_id] = fitted.anchors(
                    [song for song, _ in recs], list(self.history[user_id])
                )

    def sources_for(self, user_id: int) -> list[Source]:
        sources: list[Source] = []
        recs = self.collaborative.get(user_id, [])
        if recs:
            anchors = self.anchors.get(user_id, {})
            history = self.history[user_id]
            candidates = []
            for song_id, score in recs:
                anchor = anchors.get(song_id)
                if anchor is not None and anchor in self.facts:
                    reason = _reason_from(self.facts[anchor][1], history.get(anchor, 0))
                else:
                    reason = "Picked for you from your listening"
                candidates.append(Candidate(song_id, score, reason))
            sources.append(Source(WEIGHT_COLLABORATIVE, candidates))

        prefs = self.preferences.get(user_id)
        if prefs is not None:
            for artist_id, name in prefs.artists:
                songs = self.artist_songs.get(artist_id, [])
                sources.append(
                    Source(WEIGHT_FAVORITE_ARTIST, ranked(songs, f"Because you like {name}"))
                )
            for genre_id, name in prefs.genres:
                songs = self.genre_songs.get(genre_id, [])
                candidates = [
                    Candidate(c.song_id, c.score, self.trending_by_id[c.song_id].reason)
                    if c.song_id in self.trending_by_id
                    else c
                    for c in ranked(songs, f"Because you like {name.lower()}")
                ]
                sources.append(Source(WEIGHT_FAVORITE_GENRE, candidates))
            if prefs.moods and self.mood_rows:
                sources.append(self._mood_source(tuple(prefs.moods)))

        sources.extend(self.shared_sources)
        return sources

    def _mood_source(self, moods: tuple[str, ...]) -> Source:
        """Songs nearest the moods' audio targets (computed once per set of moods)."""
        if moods not in self._mood_sources:
            fit = target_closeness(self.mood_rows, mood_targets(moods))
            ids = [self.mood_rows[i]["id"] for i in np.argsort(-fit, kind="stable")[:30]]
            reason = f"Fits your {' and '.join(moods)} mood"
            self._mood_sources[moods] = Source(WEIGHT_MOOD, ranked(ids, reason))
        return self._mood_sources[moods]

    def picks_for(self, user_id: int) -> list[Candidate]:
        exclude = set(self.history[user_id]) | self.skipped.get(user_id, set())
        return blend(
            self.sources_for(user_id),
            artist_of=self.artist_of,
            exclude=exclude,
            size=PICKS_SIZE,
            top=PICKS_TOP,
            per_artist=PICKS_PER_ARTIST,
        )


# Accounts deleted meanwhile are skipped by the join.
_UPSERT_PICKS = f"""
INSERT INTO {UserPicks._meta.db_table} (user_id, model_id, generated_at, is_cold_start, items)
SELECT r.user_id, r.model_id, r.generated_at, r.is_cold_start, r.items
FROM jsonb_to_recordset(%s::jsonb) AS r(
    user_id bigint, model_id bigint, generated_at timestamptz, is_cold_start boolean, items jsonb
)
JOIN {User._meta.db_table} account ON account.id = r.user_id
ON CONFLICT (user_id) DO UPDATE SET
    model_id = EXCLUDED.model_id,
    generated_at = EXCLUDED.generated_at,
    is_cold_start = EXCLUDED.is_cold_start,
    items = EXCLUDED.items
"""


def user_picks_refresh(*, user_ids: Sequence[int]) -> int:
    """Recompute and store the picks of these users (one batch); returns how many.

    Warm users get the collaborative model's songs, explained by the past song most like
    each; everyone gets preference seeds, trending and popular songs blended in, so a new
    listener's list is never empty while any song is visible. Songs the user already
    knows or skipped recently are left out; at most two songs per artist in the top 20.
    """
    started = time.perf_counter()
    user_ids = list(
        User.objects.filter(id__in=list(user_ids), is_active=True).values_list("id", flat=True)
    )
    model = selectors.active_model()
    log = {
        "kind": RecommendationLog.Kind.REFRESH,
        "user_id": user_ids[0] if len(user_ids) == 1 else None,
        "model": model,
        "users_count": len(user_ids),
    }
    try:
        batch = _PicksBatch(user_ids, model)
        now = timezone.now().isoformat()
        rows: list[dict[str, Any]] = [
            {
                "user_id": user_id,
                "model_id": model.pk if model else None,
                "generated_at": now,
                "is_cold_start": user_id not in batch.collaborative,
                "items": [
                    {"song": c.song_id, "score": c.score, "reason": c.reason}
                    for c in batch.picks_for(user_id)
                ],
            }
            for user_id in user_ids
        ]
        for start in range(0, len(rows), JSON_BATCH_ROWS):
            _execute_with_json(_UPSERT_PICKS, rows[start : start + JSON_BATCH_ROWS])
        cache.delete_many([picks_cache_key(u) for u in user_ids])
        picks_changed(user_ids)
        for user_id in user_ids:
            publish(f"user:{user_id}", "picks_refreshed", {"generated_at": now})
    except Exception as exc:
        _log(
            **log,
            status=RecommendationLog.Status.FAILED,
            duration_seconds=time.perf_counter() - started,
            error=repr(exc)[:4000],
        )
        raise
    _log(
        **log,
        status=RecommendationLog.Status.SUCCESS,
        items_count=sum(len(row["items"]) for row in rows),
        interactions_count=len(batch.table),
        duration_seconds=time.perf_counter() - started,
    )
    return len(rows)


def _cached_picks(picks: selectors.Picks) -> dict[str, Any]:
    """What the picks cache holds: plain data (no model instances, nothing rendered)."""
    return {
        "generated_at": picks.generated_at,
        "items": [(t.song.id, t.score, t.reason) for t in picks.tracks],
    }


def _stored_picks_for(*, user: Any, stored: UserPicks | None) -> selectors.Picks | None:
    if stored is None:
        return None
    items = [(item["song"], item["score"], item["reason"]) for item in stored.items]
    return selectors.Picks(stored.generated_at, selectors.scored_tracks(user=user, items=items))


def user_picks_get_or_compute(*, user: User) -> tuple[selectors.Picks, str]:
    """The listener's picks and where they came from: ``cache``, ``database`` or ``computed``.

    Picks are computed for anyone (a task has no caller) and filtered here for the reader,
    whose visibility may differ. The cache holds the reader's song ids, scores and reasons;
    it is used only while every one of its songs is still visible to the reader (the same
    query loads them for display). Stored picks with no visible song left, or none at all,
    are computed on the spot.
    """
    key = picks_cache_key(user.pk)
    cached = cache.get(key)
    if cached is not None and cached["items"]:
        tracks = selectors.scored_tracks(user=user, items=cached["items"])
        if len(tracks) == len(cached["items"]):
            return selectors.Picks(cached["generated_at"], tracks), "cache"
    source = "database"
    picks = _stored_picks_for(user=user, stored=selectors.user_picks_get(user=user))
    if picks is None or not picks.tracks:
        user_picks_refresh(user_ids=[user.pk])
        picks = _stored_picks_for(user=user, stored=selectors.user_picks_get(user=user))
        source = "computed"
    if picks is None:  # an inactive account is not refreshed
        picks = selectors.Picks(timezone.now(), [])
    cache.set(key, _cached_picks(picks), PICKS_CACHE_SECONDS)
    return picks, source


def user_picks_refresh_enqueue(*, user: User) -> str:
    """Queue a refresh of the user's picks after the current transaction commits."""
    return enqueue_after_commit("recommendations.refresh_user", kwargs={"user_id": user.pk})


# --- Preferences ------------------------------------------------------------------------


@transaction.atomic
def user_preferences_update(
    *, user: User, favorite_genres: list[Genre], favorite_artists: list[Artist], moods: list[str]
) -> UserPreferences:
    """Replace the user's preferences; their picks are recomputed on the next read."""
    prefs, _ = UserPreferences.objects.select_for_update().get_or_create(user=user)
    prefs.moods = moods
    prefs.save(update_fields=["moods", "updated_at"])
    prefs.favorite_genres.set(favorite_genres)
    prefs.favorite_artists.set(favorite_artists)
    UserPicks.objects.filter(user=user).delete()
    transaction.on_commit(lambda: cache.delete(picks_cache_key(user.pk)))
    picks_changed([user.pk])
    return prefs
