"""Blending candidate lists into one listener's picks (pure Python, no Django).

Candidates come from several sources (collaborative model, preferences, trending,
popularity), each with a score in [0, 1] and a human reason. A source's weight says how
much it is trusted; a song offered by several sources keeps its best weighted score and
that source's reason. The ranked list is then made diverse: at most ``per_artist`` songs
of one artist among the first ``top`` picks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


class Candidate(NamedTuple):
    song_id: int
    score: float
    reason: str


@dataclass(frozen=True)
class Source:
    weight: float
    candidates: list[Candidate]


def rank_scores(count: int, top: float = 1.0, bottom: float = 0.5) -> list[float]:
    """Scores falling linearly from ``top`` to ``bottom`` over ``count`` ranked items."""
    return [float(x) for x in np.linspace(top, bottom, num=count)] if count else []


def ranked(
    ids: Iterable[int], reason: str, top: float = 1.0, bottom: float = 0.5
) -> list[Candidate]:
    """Candidates for ids already in order of preference, all with the same reason."""
    ids = list(ids)
    return [
        Candidate(i, s, reason)
        for i, s in zip(ids, rank_scores(len(ids), top, bottom), strict=True)
    ]


def blend(
    sources: Iterable[Source],
    *,
    artist_of: Mapping[int, int],
    exclude: set[int],
    size: int = 50,
    top: int = 20,
    per_artist: int = 2,
) -> list[Candidate]:
    """The listener's picks, best first.

    ``artist_of`` maps every allowed song (visible, known) to its artist; songs missing
    from it, and songs in ``exclude``, are dropped. When fewer than ``top`` picks can be
    made without breaking the artist cap, the list is shorter rather than less diverse.
    """
    best: dict[int, tuple[float, str]] = {}
    for source in sources:
        weight = source.weight
        for song_id, score, reason in source.candidates:
            if song_id in exclude or song_id not in artist_of:
                continue
            weighted = weight * score
            if song_id not in best or weighted > best[song_id][0]:
                best[song_id] = (weighted, reason)
    ordered = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))

    head: list[Candidate] = []
    rest: list[tuple[int, tuple[float, str]]] = []
    per_artist_count: Counter[int] = Counter()
    for item in ordered:
        if len(head) >= top and len(rest) >= size - top:
            break
        song_id, (score, reason) = item
        artist = artist_of[song_id]
        if len(head) < top and per_artist_count[artist] < per_artist:
            head.append(Candidate(song_id, round(score, 4), reason))
            per_artist_count[artist] += 1
        else:
            rest.append(item)
    if len(head) < top:
        return head
    tail = rest[: max(0, size - top)]
    return head + [Candidate(song_id, round(score, 4), reason) for song_id, (score, reason) in tail]
