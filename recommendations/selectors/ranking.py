"""Ranking as pure functions over rows (no Django, no queries).

The selectors read rows; these functions order them. Every tie is broken the same way on
every run (stable sorts, then by id), so equal inputs give equal lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from recommendations.features import closeness, feature_matrix, target_closeness, within_bounds

# How many candidates one seed may contribute before filtering.
SEED_POOL_SIZE = 250
# Share of chart momentum in a trending score (the rest is our own listening).
CHART_SHARE = 0.3

Row = Mapping[str, Any]
Bounds = Mapping[str, tuple[float | None, float | None]]


def add_ranked(pool: dict[int, float], ids: Sequence[int], scores: Sequence[float]) -> None:
    """Add ranked ids to a seed's pool (best score kept), up to SEED_POOL_SIZE songs."""
    for song_id, score in zip(ids, scores, strict=True):
        if len(pool) >= SEED_POOL_SIZE:
            return
        pool[song_id] = max(pool.get(song_id, 0.0), float(score))


def by_closeness(rows: Sequence[Row], target: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Indexes of ``rows`` ordered by audio-feature closeness to ``target``, and the scores."""
    scores = closeness(feature_matrix(list(rows)), target)
    return [int(i) for i in np.argsort(-scores, kind="stable")], scores


def nearest(rows: Sequence[Row], target: np.ndarray, exclude: set[int]) -> list[int]:
    """Ids of ``rows`` (less ``exclude``) ordered by audio-feature closeness to ``target``."""
    kept = [row for row in rows if row["id"] not in exclude]
    order, _ = by_closeness(kept, target)
    return [kept[i]["id"] for i in order]


def filter_and_rank(
    candidates: Mapping[int, float],
    rows_by_id: Mapping[int, Row],
    *,
    bounds: Bounds,
    targets: Mapping[str, float],
) -> list[int]:
    """A seed pool's candidates inside the ``min_``/``max_`` bounds, best first: the seed
    score, blended half and half with closeness to the ``target_`` values when there are any."""
    passing = [i for i in candidates if within_bounds(rows_by_id[i], bounds)]
    fit = target_closeness([rows_by_id[i] for i in passing], targets)
    blended = [
        candidates[i] * 0.5 + f * 0.5 if targets else candidates[i]
        for i, f in zip(passing, fit, strict=True)
    ]
    order = np.argsort(-np.array(blended), kind="stable")
    return [passing[i] for i in order]


def interleave(lists: Sequence[Sequence[int]], limit: int) -> list[int]:
    """Round-robin over ranked lists, skipping repeats, until ``limit`` ids are taken."""
    chosen: list[int] = []
    seen: set[int] = set()
    cursors = [0] * len(lists)
    while len(chosen) < limit:
        progressed = False
        for index, ranked in enumerate(lists):
            while cursors[index] < len(ranked) and ranked[cursors[index]] in seen:
                cursors[index] += 1
            if cursors[index] < len(ranked) and len(chosen) < limit:
                song_id = ranked[cursors[index]]
                chosen.append(song_id)
                seen.add(song_id)
                cursors[index] += 1
                progressed = True
        if not progressed:
            break
    return chosen


def chart_reason(country: str, name: str) -> str:
    if len(country) == 2:
        return f"Climbing the {country.upper()} chart"
    if country == "global":
        return "Climbing the global chart"
    return f"Climbing the {name} chart"


def chart_momentum_of(
    rows: Iterable[tuple[int, int, int | None, int, str, str]],
) -> dict[int, tuple[float, str]]:
    """Momentum in (0, 1] per song from ``(song, position, movement, chart size, country,
    chart name)`` rows: places gained over the chart's size plus a bonus for a high position;
    a new entry counts as having climbed half the chart. A song takes the reason of the
    chart where it climbs fastest."""
    momentum: dict[int, tuple[float, str]] = {}
    for song_id, position, movement, size, country, name in rows:
        size = max(size, position, 1)
        climbed = movement if movement and movement > 0 else (size - position + 1) / 2
        value = min(1.0, 0.5 * climbed / size + 0.5 * (size - position + 1) / size)
        if value > momentum.get(song_id, (0.0, ""))[0]:
            momentum[song_id] = (value, chart_reason(country, name))
    return momentum


def blend_trending(
    plays: Mapping[int, float], momentum: Mapping[int, tuple[float, str]], *, limit: int
) -> list[tuple[int, float, str]]:
    """``(song, score, chart reason or "")``, best first: listening and chart momentum, each
    normalised to [0, 1] by its maximum, charts weighing CHART_SHARE. Either part alone is
    enough. The chart's reason is kept when the chart contributes more than listening."""
    top_plays = max(plays.values(), default=0.0) or 1.0
    scores: dict[int, tuple[float, str]] = {}
    for song_id in plays.keys() | momentum.keys():
        listening = (1 - CHART_SHARE) * plays.get(song_id, 0.0) / top_plays
        chart, reason = momentum.get(song_id, (0.0, ""))
        scores[song_id] = (
            listening + CHART_SHARE * chart,
            reason if CHART_SHARE * chart > listening else "",
        )
    ranked = sorted(scores.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
    return [(song_id, score, reason) for song_id, (score, reason) in ranked]
