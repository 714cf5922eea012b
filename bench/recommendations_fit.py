"""Fit time and offline quality of the recommender on Last.fm HetRec 2011.

Usage: ``python bench/recommendations_fit.py [path/to/user_artists.dat] [--seeds 42 1 7 123]``

Without a path, reads ``lastfm_hetrec2011_2k/user_artists.dat`` under the ``MUSIC_DATA_DIR``
setting (environment variable of the same name).
Prints one row per (model, seed) plus the mean over seeds, so a change that only helps one
split is visible. Pure numpy/scipy: no database and no ``django.setup()``; only the settings
module is read, for that default path.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommendations.engine import PopularityRecommender, Recommender  # noqa: E402
from recommendations.evaluation import (  # noqa: E402
    evaluate,
    format_table,
    hetrec_path,
    load_interactions,
    split,
)


def default_path() -> Path:
    """The HetRec file under the ``MUSIC_DATA_DIR`` setting (settings read, not set up)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_platform.settings")
    os.environ.setdefault("DEBUG", "1")  # the development SECRET_KEY: only a path is read
    return hetrec_path()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", nargs="?", type=Path, help="default: under MUSIC_DATA_DIR")
    parser.add_argument("--seeds", nargs="+", type=int, default=[42, 1, 7, 123])
    args = parser.parse_args()
    path = args.path or default_path()
    if not path.is_file():
        parser.error(f"no interactions file at {path} (pass a path or set MUSIC_DATA_DIR)")

    started = time.perf_counter()
    interactions = load_interactions(path)
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
