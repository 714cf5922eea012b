"""Fit time and offline quality of the recommender on Last.fm HetRec 2011.

Usage: ``python bench/recommendations_fit.py [path/to/user_artists.dat] [--seeds 42 1 7 123]``

Prints one row per (model, seed) plus the mean over seeds, so a change that only helps one
split is visible. Pure numpy/scipy: no Django settings or database needed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommendations.engine import PopularityRecommender, Recommender  # noqa: E402
from recommendations.evaluation import (  # noqa: E402
    HETREC_PATH,
    evaluate,
    format_table,
    load_interactions,
    split,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", nargs="?", default=str(HETREC_PATH))
    parser.add_argument("--seeds", nargs="+", type=int, default=[42, 1, 7, 123])
    args = parser.parse_args()

    started = time.perf_counter()
    interactions = load_interactions(args.path)
    print(
        f"loaded {len(interactions.users):,} interactions in {time.perf_counter() - started:.2f} s"
    )

    models = {"ease": Recommender, "popularity": PopularityRecommender}
    rows: dict[str, dict[str, float]] = {}
    for name, factory in models.items():
        per_seed = []
        for seed in args.seeds:
            data = split(interactions, seed=seed)
            metrics = evaluate(factory, data)
            rows[f"{name} seed={seed}"] = metrics
            per_seed.append(metrics)
        rows[f"{name} mean"] = {
            key: float(np.mean([m[key] for m in per_seed])) for key in per_seed[0]
        }

    print(format_table(rows))
    fit = [rows[f"ease seed={seed}"]["fit_seconds"] for seed in args.seeds]
    recommend = [rows[f"ease seed={seed}"]["recommend_seconds"] for seed in args.seeds]
    users = rows[f"ease seed={args.seeds[0]}"]["users"]
    print(f"ease fit: {min(fit):.2f}-{max(fit):.2f} s over {len(fit)} seeds")
    print(f"ease top-10 for {users:.0f} users: {max(recommend):.2f} s")


if __name__ == "__main__":
    main()
