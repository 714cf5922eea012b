"""Offline evaluation of recommenders on implicit-feedback files (Last.fm HetRec format).

The protocol is fixed so that numbers are comparable between models and over time:

* the file is tab-separated ``user, item, weight`` with a header line;
* users are visited in ascending id order with ONE ``numpy.random.default_rng(seed)``;
  each user with at least ``min_items`` items draws ``rng.permutation(n)`` over their items
  in file order and keeps the first ``max(1, round(test_fraction * n))`` as test items.
  Users below ``min_items`` are train-only, are not evaluated and do not consume the rng;
* the model is fitted on the train matrix; each evaluated user's train row is passed to
  ``recommend_many`` so train items are excluded from the recommendations;
* precision@k = hits / k, recall@k = hits / min(k, |test|), nDCG@k with binary relevance
  and the ideal DCG over min(k, |test|) items, coverage = distinct recommended items over
  all evaluated users / distinct items present in train.

No Django imports at module level: this runs from tests, benchmarks and notebooks alike.
Only ``hetrec_path()`` called without a folder reads Django's ``MUSIC_DATA_DIR`` setting
(the one place that knows where the real datasets live), and only when it is called.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import scipy.sparse as sp


class FittableRecommender(Protocol):
    """What the evaluation needs from a model (Recommender and PopularityRecommender fit)."""

    def fit(self, user_items: sp.csr_matrix) -> FittableRecommender: ...

    def recommend_many(self, user_rows: sp.csr_matrix, k: int) -> list[list[int]]: ...


HETREC_FOLDER = "lastfm_hetrec2011_2k"
HETREC_FILE = "user_artists.dat"


def hetrec_path(data_dir: str | Path | None = None) -> Path:
    """The HetRec Last.fm ``user_artists.dat`` under ``data_dir``.

    Without ``data_dir``, under ``settings.MUSIC_DATA_DIR``, read at call time (so a test's
    or a process's settings apply); the file may not exist (a fresh clone has no data).
    """
    if data_dir is None:
        from django.conf import settings

        data_dir = settings.MUSIC_DATA_DIR
    return Path(data_dir) / HETREC_FOLDER / HETREC_FILE


@dataclass(frozen=True)
class Interactions:
    """Raw interactions in file order (ids as they appear in the file)."""

    users: np.ndarray
    items: np.ndarray
    weights: np.ndarray


@dataclass
class Split:
    """Train matrix plus held-out test items, indexed by dense user/item positions.

    ``user_ids[row]`` and ``item_ids[col]`` map matrix positions back to file ids.
    """

    train: sp.csr_matrix
    test: dict[int, np.ndarray]
    user_ids: np.ndarray
    item_ids: np.ndarray
    seed: int = 42


def load_interactions(path: str | Path) -> Interactions:
    """Read a ``user<TAB>item<TAB>weight`` file with one header line."""
    data = np.loadtxt(path, delimiter="\t", skiprows=1, dtype=np.float64, ndmin=2)
    return Interactions(
        users=data[:, 0].astype(np.int64),
        items=data[:, 1].astype(np.int64),
        weights=data[:, 2],
    )


def split(
    interactions: Interactions,
    seed: int = 42,
    test_fraction: float = 0.2,
    min_items: int = 5,
) -> Split:
    """Hold out a random ``test_fraction`` of each eligible user's items (see module doc)."""
    user_ids, user_pos = np.unique(interactions.users, return_inverse=True)
    item_ids, item_pos = np.unique(interactions.items, return_inverse=True)
    # A stable sort keeps every user's items in file order, and the users in ascending id order.
    order = np.argsort(user_pos, kind="stable")
    boundaries = np.searchsorted(user_pos[order], np.arange(len(user_ids) + 1))

    rng = np.random.default_rng(seed)
    is_test = np.zeros(len(order), dtype=bool)
    test: dict[int, np.ndarray] = {}
    for user in range(len(user_ids)):
        rows = order[boundaries[user] : boundaries[user + 1]]
        n = len(rows)
        if n < min_items:
            continue
        n_test = max(1, round(test_fraction * n))
        chosen = rows[rng.permutation(n)[:n_test]]
        is_test[chosen] = True
        test[user] = item_pos[chosen]

    keep = ~is_test
    train = sp.csr_matrix(
        (interactions.weights[keep], (user_pos[keep], item_pos[keep])),
        shape=(len(user_ids), len(item_ids)),
    )
    train.sum_duplicates()
    return Split(train=train, test=test, user_ids=user_ids, item_ids=item_ids, seed=seed)


def ranking_metrics(
    recommended: Sequence[Sequence[int]], relevant: Sequence[np.ndarray], k: int = 10
) -> dict[str, float]:
    """Mean precision@k, recall@k and nDCG@k (binary relevance) over users."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    precision, recall, ndcg = [], [], []
    for recs, truth in zip(recommended, relevant, strict=True):
        truth_set = {int(t) for t in truth}
        gains = np.array([1.0 if int(r) in truth_set else 0.0 for r in list(recs)[:k]])
        hits = gains.sum()
        ideal = min(k, len(truth_set))
        precision.append(hits / k)
        recall.append(hits / ideal)
        ndcg.append(float(gains @ discounts[: len(gains)]) / discounts[:ideal].sum())
    return {
        f"precision@{k}": float(np.mean(precision)),
        f"recall@{k}": float(np.mean(recall)),
        f"ndcg@{k}": float(np.mean(ndcg)),
    }


def evaluate(
    model_factory: Callable[[], FittableRecommender],
    data: Split | Interactions | str | Path | None = None,
    seed: int = 42,
    k: int = 10,
) -> dict[str, float]:
    """Fit a fresh model on the train split and score its top-k lists for every test user.

    ``data`` may be an already computed split (to compare models on identical data), raw
    interactions or a path (``None``: ``hetrec_path()``); anything but a split is split
    with ``seed``.
    """
    if data is None:
        data = hetrec_path()
    if isinstance(data, (str, Path)):
        data = load_interactions(data)
    if isinstance(data, Interactions):
        data = split(data, seed=seed)

    started = time.perf_counter()
    model = model_factory().fit(data.train)
    fit_seconds = time.perf_counter() - started

    users = np.array(sorted(data.test), dtype=np.int64)
    started = time.perf_counter()
    recommended = model.recommend_many(data.train[users], k)
    recommend_seconds = time.perf_counter() - started

    metrics = ranking_metrics(recommended, [data.test[int(u)] for u in users], k)
    train_items = np.unique(data.train.indices)
    recommended_items = {int(i) for recs in recommended for i in recs}
    metrics["coverage"] = len(recommended_items) / max(1, len(train_items))
    metrics["users"] = float(len(users))
    metrics["fit_seconds"] = fit_seconds
    metrics["recommend_seconds"] = recommend_seconds
    return metrics


def format_table(rows: dict[str, dict[str, float]], k: int = 10) -> str:
    """Plain-text table of the main metrics, one row per model/seed label."""
    columns = [f"precision@{k}", f"recall@{k}", f"ndcg@{k}", "coverage", "fit_seconds"]
    header = f"{'model':<28}" + "".join(f"{c:>14}" for c in columns)
    lines = [header, "-" * len(header)]
    for label, metrics in rows.items():
        lines.append(f"{label:<28}" + "".join(f"{metrics[c]:>14.4f}" for c in columns))
    return "\n".join(lines)
