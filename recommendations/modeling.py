"""The fitted engine together with the id maps the platform needs (no Django imports).

``recommendations.engine.Recommender`` works on matrix positions; this wraps it with the
user and song ids of the rows and columns, builds rows from current interactions, finds
which past song best explains a pick, and (de)serialises the whole for storage.
"""

from __future__ import annotations

import io
import pickle
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from recommendations.engine import Recommender

ARTIFACT_FORMAT = 1


def interaction_matrix(
    users: np.ndarray,
    songs: np.ndarray,
    weights: np.ndarray,
    user_ids: np.ndarray,
    song_ids: np.ndarray,
) -> sp.csr_matrix:
    """A users x songs matrix over the given id axes; pairs outside them are ignored."""
    rows = np.searchsorted(user_ids, users)
    cols = np.searchsorted(song_ids, songs)
    rows_ok = (rows < len(user_ids)) & (user_ids[np.minimum(rows, len(user_ids) - 1)] == users)
    cols_ok = (cols < len(song_ids)) & (song_ids[np.minimum(cols, len(song_ids) - 1)] == songs)
    keep = rows_ok & cols_ok if len(user_ids) and len(song_ids) else np.zeros(len(users), bool)
    matrix = sp.csr_matrix(
        (weights[keep], (rows[keep], cols[keep])), shape=(len(user_ids), len(song_ids))
    )
    matrix.sum_duplicates()
    return matrix


def _unit_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return sp.csr_matrix(sp.diags(inverse) @ matrix)


@dataclass
class FittedModel:
    recommender: Recommender
    user_ids: np.ndarray  # matrix row -> user id (sorted)
    song_ids: np.ndarray  # matrix column -> song id (sorted)
    # Songs x users, rows L2-normalised: cosine between songs, for "Because you played X".
    song_vectors: sp.csr_matrix
    interactions_count: int = 0
    fit_seconds: float = 0.0
    format: int = field(default=ARTIFACT_FORMAT)

    @classmethod
    def fit(cls, users: np.ndarray, songs: np.ndarray, weights: np.ndarray) -> FittedModel:
        user_ids = np.unique(users)
        song_ids = np.unique(songs)
        matrix = interaction_matrix(users, songs, weights, user_ids, song_ids)
        started = time.perf_counter()
        recommender = Recommender().fit(matrix)
        fit_seconds = time.perf_counter() - started
        return cls(
            recommender=recommender,
            user_ids=user_ids,
            song_ids=song_ids,
            song_vectors=_unit_rows(matrix.T.tocsr()),
            interactions_count=int(matrix.nnz),
            fit_seconds=fit_seconds,
        )

    @cached_property
    def column_of(self) -> dict[int, int]:
        return {int(song_id): col for col, song_id in enumerate(self.song_ids)}

    def rows(
        self, users: np.ndarray, songs: np.ndarray, weights: np.ndarray, user_ids: Sequence[int]
    ) -> sp.csr_matrix:
        """Rows over this model's songs for ``user_ids`` (in that order), from fresh data."""
        order = np.asarray(user_ids, dtype=np.int64)
        sorted_ids = np.sort(order)
        matrix = interaction_matrix(users, songs, weights, sorted_ids, self.song_ids)
        return matrix[np.searchsorted(sorted_ids, order)]

    @cached_property
    def modelled(self) -> np.ndarray:
        """Per song column: does the engine model it (enough listeners at fit time)?"""
        mask = np.zeros(len(self.song_ids), dtype=bool)
        mask[self.recommender.items] = True
        return mask

    def is_warm(self, rows: sp.csr_matrix) -> np.ndarray:
        """Per row: does the user know at least one modelled song? (Cold rows would only
        get the engine's popularity fallback, which the platform does better itself.)"""
        return np.asarray(rows[:, self.modelled].getnnz(axis=1) > 0).ravel()

    def recommend(self, rows: sp.csr_matrix, k: int) -> list[list[tuple[int, float]]]:
        """Per row: ``(song id, score in (0, 1])`` best first, songs in the row excluded.

        Scores are the engine's, divided by the row's best; non-positive ones are dropped.
        """
        return [self._scaled(recs) for recs in self.recommender.recommend_scores_many(rows, k)]

    def _scaled(self, recs: list[tuple[int, float]]) -> list[tuple[int, float]]:
        best = recs[0][1] if recs else 0.0
        if best <= 0:
            return []
        return [
            (int(self.song_ids[column]), round(score / best, 4))
            for column, score in recs
            if score > 0
        ]

    def neighbours(self, k: int) -> list[tuple[int, list[int], list[float]]]:
        """Every modelled song's ``k`` nearest songs with scores in (0, 1], best first.

        A song's neighbours are what a listener of that song alone would be recommended
        (the engine's ``similar_items``), scored in one batched call.
        """
        columns = np.flatnonzero(self.modelled)
        one_hot = sp.csr_matrix(
            (np.ones(len(columns)), (np.arange(len(columns)), columns)),
            shape=(len(columns), len(self.song_ids)),
        )
        result = []
        for column, recs in zip(
            columns, self.recommender.recommend_scores_many(one_hot, k), strict=True
        ):
            scaled = self._scaled(recs)
            if scaled:
                ids, scores = zip(*scaled, strict=True)
                result.append((int(self.song_ids[column]), list(ids), list(scores)))
        return result

    def anchors(self, picks: Sequence[int], history: Sequence[int]) -> dict[int, int]:
        """For each picked song, the history song most similar to it (when any is)."""
        pick_cols = [self.column_of[s] for s in picks if s in self.column_of]
        history_cols = [self.column_of[s] for s in history if s in self.column_of]
        if not pick_cols or not history_cols:
            return {}
        similarity = (self.song_vectors[pick_cols] @ self.song_vectors[history_cols].T).toarray()
        best = similarity.argmax(axis=1)
        return {
            int(self.song_ids[pick]): int(self.song_ids[history_cols[b]])
            for pick, b, row in zip(pick_cols, best, similarity, strict=True)
            if row[b] > 0
        }

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        pickle.dump(self, buffer, protocol=pickle.HIGHEST_PROTOCOL)
        return buffer.getvalue()

    @staticmethod
    def loads(data: bytes) -> FittedModel:
        # Only ever our own artifacts, written by recommendation_model_build.
        model = pickle.loads(data)  # noqa: S301
        if not isinstance(model, FittedModel) or model.format != ARTIFACT_FORMAT:
            raise ValueError("Not a recommendation model artifact of the current format.")
        return model
