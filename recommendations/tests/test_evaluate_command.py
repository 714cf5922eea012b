"""``manage.py evaluate_recommendations`` end to end."""

import io
import re

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from recommendations import evaluation


@pytest.fixture
def interactions_file(tmp_path):
    """30 users in two tastes over 20 items, HetRec format (header, tab-separated)."""
    rng = np.random.default_rng(0)
    lines = ["userID\tartistID\tweight"]
    for user in range(1, 31):
        taste = range(100, 110) if user % 2 else range(200, 210)
        for item in rng.choice(list(taste), size=7, replace=False):
            lines.append(f"{user}\t{item}\t{rng.integers(1, 500)}")
    path = tmp_path / "user_artists.dat"
    path.write_text("\n".join(lines) + "\n")
    return path


def metric_rows(output: str) -> dict[str, list[float]]:
    rows = {}
    for line in output.splitlines():
        match = re.match(r"^(engine|popularity baseline)(.*?)\s+([\d.]+(?:\s+[\d.]+){4})$", line)
        if match:
            rows[match.group(1) + match.group(2)] = [float(x) for x in match.group(3).split()]
    return rows


def test_prints_the_table_for_engine_and_baseline(interactions_file):
    out = io.StringIO()

    call_command("evaluate_recommendations", "--interactions", str(interactions_file), stdout=out)

    output = out.getvalue()
    assert "210 interactions, 30 users, 20 items" in output
    assert "seed 42: 30 test users" in output
    assert "precision@10" in output and "ndcg@10" in output and "coverage" in output
    rows = metric_rows(output)
    assert set(rows) == {"engine", "popularity baseline"}
    for precision, recall, ndcg, coverage, _fit in rows.values():
        assert 0 <= precision <= 1 and 0 <= recall <= 1 and 0 <= ndcg <= 1 and 0 < coverage <= 1
    # Two clean tastes: the engine must beat popularity.
    assert rows["engine"][0] > rows["popularity baseline"][0]


def test_several_seeds_and_k(interactions_file):
    out = io.StringIO()

    call_command(
        "evaluate_recommendations",
        "--interactions",
        str(interactions_file),
        "--seed",
        "1",
        "2",
        "--k",
        "5",
        stdout=out,
    )

    assert "precision@5" in out.getvalue()
    assert set(metric_rows(out.getvalue())) == {
        "engine (seed 1)",
        "popularity baseline (seed 1)",
        "engine (seed 2)",
        "popularity baseline (seed 2)",
    }


def test_missing_or_malformed_file(tmp_path):
    with pytest.raises(CommandError, match="No interactions file"):
        call_command("evaluate_recommendations", "--interactions", str(tmp_path / "nope.dat"))
    bad = tmp_path / "bad.dat"
    bad.write_text("user\titem\tweight\n1\tx\t3\n")
    with pytest.raises(CommandError, match="Could not read"):
        call_command("evaluate_recommendations", "--interactions", str(bad))


@pytest.mark.slow
@pytest.mark.skipif(not evaluation.HETREC_PATH.is_file(), reason="HetRec data not available")
def test_runs_on_the_hetrec_file():
    out = io.StringIO()

    call_command("evaluate_recommendations", stdout=out)

    rows = metric_rows(out.getvalue())
    assert "92834 interactions, 1892 users, 17632 items" in out.getvalue()
    assert rows["engine"][0] > rows["popularity baseline"][0]
