"""Engine unit tests on hand-made matrices and on a small invented HetRec-format file.

No database and no Django: nothing here imports Django, reads a setting or needs a service,
so the module also runs on its own, without the project's conftest and pytest-django:
``pytest -p no:django --noconftest -o addopts= recommendations/tests/test_engine.py``.
The quality gate on the real Last.fm HetRec file is in ``test_engine_quality.py``.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import PopularityRecommender, Recommender
from recommendations.evaluation import evaluate, load_interactions, ranking_metrics, split

# Invented rows in the HetRec ``user_artists.dat`` format (see fixtures/README.md).
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "user_artists.dat"

CLUSTER_A = [0, 1, 2, 3]
CLUSTER_B = [4, 5, 6, 7]
N_ITEMS = 10  # items 8 and 9 are each used by a single user: outside the model


def two_clusters() -> sp.csr_matrix:
    """Twelve users: six listen only to cluster A, six only to cluster B.

    Each user misses one item of their cluster (round robin), so co-occurrence is strong
    within a cluster and zero across clusters. Item 0 and item 4 are the most popular.
    """
    rows, cols = [], []
    for user in range(12):
        cluster = CLUSTER_A if user < 6 else CLUSTER_B
        missing = cluster[1 + user % 3]  # never drop item 0 / 4, which stay most popular
        for item in cluster:
            if item != missing:
                rows.append(user)
                cols.append(item)
    rows += [0, 6]
    cols += [8, 9]
    return sp.csr_matrix((np.full(len(rows), 5.0), (rows, cols)), shape=(12, N_ITEMS))


def user(*items: int, n_items: int = N_ITEMS) -> sp.csr_matrix:
    weights = np.full(len(items), 3.0)
    return sp.csr_matrix((weights, ([0] * len(items), list(items))), shape=(1, n_items))


@pytest.fixture(autouse=True)
def _test_settings():
    """Overrides the project's autouse fixture of this name: no Django settings here."""


@pytest.fixture(autouse=True)
def _clean_cache():
    """Overrides the project's autouse fixture of this name: no cache (Redis) here."""


@pytest.fixture(scope="module")
def model() -> Recommender:
    return Recommender(l2=0.5, min_item_users=2, popularity_exponent=0.0).fit(two_clusters())


def test_user_in_cluster_a_gets_cluster_a_items(model: Recommender) -> None:
    recs = model.recommend(user(0, 1), k=2)
    assert sorted(recs) == [2, 3]


def test_user_in_cluster_b_gets_cluster_b_items(model: Recommender) -> None:
    assert set(model.recommend(user(5, 6, 7), k=1)) == {4}


def test_seen_items_are_excluded(model: Recommender) -> None:
    recs = model.recommend(user(0, 1, 2, 4), k=N_ITEMS)
    assert not {0, 1, 2, 4} & set(recs)
    assert recs[0] == 3  # the only unseen item of the user's main cluster comes first


def test_scores_are_sorted_and_match_recommend(model: Recommender) -> None:
    scored = model.recommend_scores(user(0, 1), k=5)
    assert [item for item, _ in scored] == model.recommend(user(0, 1), k=5)
    scores = [score for _, score in scored]
    assert scores == sorted(scores, reverse=True)


def test_similar_items_returns_cluster_mates_first(model: Recommender) -> None:
    similar = model.similar_items(1, k=3)
    assert sorted(similar) == [0, 2, 3]
    assert set(model.similar_items(5, k=10)) <= set(CLUSTER_B) - {5}


def test_items_outside_the_model_are_never_recommended_and_have_no_neighbours(
    model: Recommender,
) -> None:
    assert model.similar_items(8, k=3) == []
    assert model.similar_items(999, k=3) == []
    assert model.similar_items(-1, k=3) == []
    recs = model.recommend(user(0), k=N_ITEMS)
    assert 8 not in recs and 9 not in recs
    # A row made only of unmodelled items is a cold row: popular items, still no 8/9.
    assert model.recommend(user(8), k=2) == [0, 4]


def test_k_larger_than_catalogue_returns_every_unseen_modelled_item(model: Recommender) -> None:
    recs = model.recommend(user(0), k=100)
    assert sorted(recs) == [1, 2, 3, 4, 5, 6, 7]
    assert model.recommend(user(0), k=0) == []


def test_empty_user_gets_most_popular_items(model: Recommender) -> None:
    assert model.recommend(user(), k=2) == [0, 4]


def test_recommend_many_matches_single_calls(model: Recommender) -> None:
    rows = sp.vstack([user(0, 1), user(), user(5, 6, 7), user(8)]).tocsr()
    batch = model.recommend_many(rows, k=3)
    assert batch == [model.recommend(rows[i], k=3) for i in range(rows.shape[0])]


def test_wider_and_narrower_rows_are_aligned_to_the_fitted_catalogue(model: Recommender) -> None:
    assert model.recommend(user(0, 1, n_items=N_ITEMS + 5), k=2) == model.recommend(user(0, 1), k=2)
    assert sorted(model.recommend(user(0, 1, n_items=4), k=2)) == [2, 3]


def test_model_survives_pickling(model: Recommender) -> None:
    clone = pickle.loads(pickle.dumps(model))
    assert clone.recommend(user(0, 1), k=4) == model.recommend(user(0, 1), k=4)


def test_negative_weights_are_rejected() -> None:
    with pytest.raises(ValueError):
        Recommender().fit(sp.csr_matrix(np.array([[1.0, -1.0]])))


def test_popularity_baseline_order_and_exclusions() -> None:
    matrix = sp.csr_matrix(
        np.array(
            [
                [1, 0, 0, 9, 0],
                [1, 1, 0, 0, 0],
                [1, 1, 0, 0, 0],
                [1, 1, 1, 0, 0],
            ],
            dtype=float,
        )
    )
    baseline = PopularityRecommender().fit(matrix)
    # Counts users, not play counts: item 3 has one user despite weight 9. Item 4: nobody.
    assert baseline.recommend(user(n_items=5), k=10) == [0, 1, 2, 3]
    assert baseline.recommend(user(0, n_items=5), k=2) == [1, 2]
    assert baseline.recommend_many(sp.vstack([user(1, n_items=5)] * 2), k=1) == [[0], [0]]
    assert baseline.similar_items(0, k=2) == [1, 2]
    assert baseline.similar_items(7, k=2) == []


def test_ranking_metrics_by_hand() -> None:
    metrics = ranking_metrics([[1, 2, 3]], [np.array([2, 9])], k=3)
    assert metrics["precision@3"] == pytest.approx(1 / 3)
    assert metrics["recall@3"] == pytest.approx(1 / 2)
    ideal = 1 + 1 / np.log2(3)
    assert metrics["ndcg@3"] == pytest.approx((1 / np.log2(3)) / ideal)


def test_split_protocol(tmp_path: Path) -> None:
    lines = ["userID\tartistID\tweight"]
    lines += [f"7\t{item}\t{item}" for item in range(10, 20)]  # 10 items -> 2 test items
    lines += [f"3\t{item}\t1" for item in (10, 11, 12, 13)]  # < 5 items: train only
    path = tmp_path / "ua.dat"
    path.write_text("\n".join(lines) + "\n")
    data = split(load_interactions(path), seed=5)
    assert list(data.user_ids) == [3, 7]
    assert list(data.test) == [1]
    expected = np.arange(10)[np.random.default_rng(5).permutation(10)[:2]]
    assert sorted(data.test[1]) == sorted(expected)
    assert data.train.nnz == 4 + 8
    assert set(data.train[1].indices).isdisjoint(data.test[1])


def test_fixture_file_follows_the_split_protocol() -> None:
    interactions = load_interactions(FIXTURE)
    assert (len(interactions.weights), len(set(interactions.users))) == (186, 27)
    assert len(set(interactions.items)) == 23
    data = split(interactions, seed=42)
    # Users 40, 41 and 42 have fewer than 5 artists: train-only, never evaluated.
    train_only = [int(np.flatnonzero(data.user_ids == u)[0]) for u in (40, 41, 42)]
    assert len(data.test) == 24 and not set(train_only) & set(data.test)
    assert data.train.nnz + sum(len(t) for t in data.test.values()) == 186
    for user, held_out in data.test.items():
        assert set(data.train[user].indices).isdisjoint(held_out)
    # The same seed gives the same split; another seed a different one.
    assert all(
        np.array_equal(a, b)
        for a, b in zip(data.test.values(), split(interactions, seed=42).test.values(), strict=True)
    )
    other = split(interactions, seed=7).test
    assert any(not np.array_equal(data.test[u], other[u]) for u in data.test)


def test_engine_beats_popularity_on_the_fixture() -> None:
    """Two tastes (artists 51-60 and 301-310) plus two artists liked across both."""
    data = split(load_interactions(FIXTURE), seed=42)
    engine = evaluate(Recommender, data)
    baseline = evaluate(PopularityRecommender, data)
    for metrics in (engine, baseline):
        assert metrics["users"] == 24
        for name in ("precision@10", "recall@10", "ndcg@10", "coverage"):
            assert 0 < metrics[name] <= 1
    # Every held-out artist is within the engine's top 10: it stays inside the user's taste.
    assert engine["recall@10"] == 1.0
    assert engine["precision@10"] > baseline["precision@10"]
    assert engine["ndcg@10"] > baseline["ndcg@10"] + 0.2
