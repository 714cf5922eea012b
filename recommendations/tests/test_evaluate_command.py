"""``manage.py evaluate_recommendations`` end to end."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from recommendations import evaluation

# Invented rows in the HetRec format: 27 users in two tastes (see fixtures/README.md).
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "user_artists.dat"


def metric_rows(output: str) -> dict[str, list[float]]:
    rows = {}
    for line in output.splitlines():
        match = re.match(r"^(engine|popularity baseline)(.*?)\s+([\d.]+(?:\s+[\d.]+){4})$", line)
        if match:
            rows[match.group(1) + match.group(2)] = [float(x) for x in match.group(3).split()]
    return rows


def test_prints_the_table_for_engine_and_baseline():
    out = io.StringIO()

    call_command("evaluate_recommendations", "--interactions", str(FIXTURE), stdout=out)

    output = out.getvalue()
    assert "186 interactions, 27 users, 23 items in user_artists.dat" in output
    assert "seed 42: 24 test users" in output
    assert "precision@10" in output and "ndcg@10" in output and "coverage" in output
    rows = metric_rows(output)
    assert set(rows) == {"engine", "popularity baseline"}
    for precision, recall, ndcg, coverage, _fit in rows.values():
        assert 0 <= precision <= 1 and 0 <= recall <= 1 and 0 <= ndcg <= 1 and 0 < coverage <= 1
    # Two clean tastes: the engine must beat popularity.
    assert rows["engine"][0] > rows["popularity baseline"][0]


def test_several_seeds_and_k():
    out = io.StringIO()

    call_command(
        "evaluate_recommendations",
        "--interactions",
        str(FIXTURE),
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


def test_default_file_is_read_from_music_data_dir_at_call_time(settings, tmp_path):
    settings.MUSIC_DATA_DIR = tmp_path / "nowhere"
    with pytest.raises(CommandError, match=r"No interactions file at .*nowhere.* MUSIC_DATA_DIR"):
        call_command("evaluate_recommendations", stdout=io.StringIO())

    folder = tmp_path / "data" / evaluation.HETREC_FOLDER
    folder.mkdir(parents=True)
    (folder / evaluation.HETREC_FILE).write_bytes(FIXTURE.read_bytes())
    settings.MUSIC_DATA_DIR = tmp_path / "data"
    out = io.StringIO()
    call_command("evaluate_recommendations", stdout=out)
    assert "186 interactions, 27 users, 23 items" in out.getvalue()


def test_missing_or_malformed_file(tmp_path):
    with pytest.raises(CommandError, match="No interactions file"):
        call_command("evaluate_recommendations", "--interactions", str(tmp_path / "nope.dat"))
    bad = tmp_path / "bad.dat"
    bad.write_text("user\titem\tweight\n1\tx\t3\n")
    with pytest.raises(CommandError, match="Could not read"):
        call_command("evaluate_recommendations", "--interactions", str(bad))


@pytest.mark.slow
@pytest.mark.realdata(evaluation.HETREC_FOLDER)
def test_runs_on_the_hetrec_file():
    out = io.StringIO()

    call_command("evaluate_recommendations", stdout=out)

    rows = metric_rows(out.getvalue())
    assert "92834 interactions, 1892 users, 17632 items" in out.getvalue()
    assert rows["engine"][0] > rows["popularity baseline"][0]
