"""The pure trend pass (charts.trends); the database-backed version is in test_services."""

import csv

import pytest

from charts.trends import TrackSummary, TrendFields, TrendState, compute_trends, dedupe_keys

from .samples import REAL_GLOBAL_DAILY, global_daily_files, real_global_daily_files


def test_hand_made_series():
    days = [
        [("a", 1), ("b", 2), ("c", 3)],
        [("b", 1), ("a", 2), ("d", 3)],  # c drops out, d is new
        [("c", 1), ("d", 2), ("b", 3)],  # c re-enters, a drops out
    ]
    result = compute_trends(days)
    assert result[0] == [
        TrendFields(None, None, True, False, 1, 1),
        TrendFields(None, None, True, False, 2, 1),
        TrendFields(None, None, True, False, 3, 1),
    ]
    assert result[1] == [
        TrendFields(2, 1, False, False, 1, 2),
        TrendFields(1, -1, False, False, 1, 2),
        TrendFields(None, None, True, False, 3, 1),
    ]
    assert result[2] == [
        TrendFields(None, None, False, True, 1, 2),
        TrendFields(3, 1, False, False, 2, 2),
        TrendFields(1, -2, False, False, 1, 3),
    ]


def test_state_seeded_from_a_summary_matches_a_full_replay():
    days = [[("a", 1), ("b", 2)], [("b", 1), ("c", 2)], [("a", 1), ("c", 2)]]
    full = compute_trends(days)
    seeded = TrendState(
        history={
            "a": TrackSummary(days_on_chart=1, peak_position=1),
            "b": TrackSummary(days_on_chart=2, peak_position=1),
            "c": TrackSummary(days_on_chart=1, peak_position=2),
        },
        previous_positions={"b": 1, "c": 2},
    )
    assert compute_trends(days[2:], state=seeded) == full[2:]


def test_duplicate_key_in_one_snapshot_is_refused():
    with pytest.raises(ValueError, match="twice"):
        TrendState().advance([("a", 1), ("a", 2)])


def test_dedupe_keys_keeps_rank_order():
    assert dedupe_keys(["x", "y", "x", "x"]) == ["x", "y", "x#2", "x#3"]


def chart_days(files):
    """Each day's (track id, position) pairs straight from the raw old-format rows."""
    days = []
    for path in files:
        with path.open(encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))[2:]  # the notice line, then the header
        days.append([(row[4].rsplit("/", 1)[-1], int(row[0])) for row in rows])
    return days


def assert_matches_brute_force(days, result):
    for index, day in enumerate(days):
        previous = dict(days[index - 1]) if index else {}
        for (track, position), fields in zip(day, result[index], strict=True):
            earlier = [dict(d)[track] for d in days[:index] if track in dict(d)]
            assert fields.previous_position == previous.get(track)
            assert fields.movement == (previous[track] - position if track in previous else None)
            assert fields.is_new == (not earlier)
            assert fields.is_reentry == (bool(earlier) and track not in previous)
            assert fields.peak_position == min([*earlier, position])
            assert fields.days_on_chart == len(earlier) + 1


def test_four_days_of_the_fixture_chart():
    days = chart_days(global_daily_files())
    result = compute_trends(days)
    assert_matches_brute_force(days, result)
    # Day 3 (B D A F G): B keeps 1st, D re-enters, A falls one place, F stays 4th, G is new.
    assert result[2] == [
        TrendFields(1, 0, False, False, 1, 3),
        TrendFields(None, None, False, True, 2, 2),
        TrendFields(2, -1, False, False, 1, 3),
        TrendFields(4, 0, False, False, 4, 2),
        TrendFields(None, None, True, False, 5, 1),
    ]
    later = [f for day in result[1:] for f in day]
    assert sum(f.is_new for f in later) == 2  # F, G
    assert sum(f.is_reentry for f in later) == 2  # D on day 3, C on day 4


@pytest.mark.realdata(REAL_GLOBAL_DAILY)
def test_thirty_one_days_of_the_real_global_chart():
    """Every entry of every day against a brute-force computation from the raw rows."""
    files = real_global_daily_files()
    assert len(files) == 31
    days = chart_days(files)
    result = compute_trends(days)
    assert_matches_brute_force(days, result)
    # The README's figures between consecutive days: 4,740 moved, 1,067 kept their
    # position, 193 were not on the previous day's chart (new or re-entries).
    later = [f for day in result[1:] for f in day]
    assert sum(f.movement not in (None, 0) for f in later) == 4740
    assert sum(f.movement == 0 for f in later) == 1067
    assert sum(f.previous_position is None for f in later) == 193
    assert sum(f.is_new or f.is_reentry for f in later) == 193
