"""The offline quality gate of the engine on the real Last.fm HetRec 2011 file."""

from pathlib import Path

import pytest

from recommendations.engine import Recommender
from recommendations.evaluation import HETREC_FOLDER, evaluate, hetrec_path


@pytest.mark.slow
@pytest.mark.realdata(HETREC_FOLDER)
def test_quality_targets_on_lastfm_hetrec(music_data_dir: Path) -> None:
    metrics = evaluate(Recommender, hetrec_path(music_data_dir), seed=42)
    assert metrics["users"] == 1877
    assert metrics["precision@10"] >= 0.19
    assert metrics["ndcg@10"] >= 0.23
    assert metrics["coverage"] >= 0.10
