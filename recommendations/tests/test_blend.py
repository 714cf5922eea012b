"""recommendations.picks and recommendations.features: pure functions, no database."""

from recommendations.features import MOOD_TARGETS, mood_targets, target_closeness, within_bounds
from recommendations.models import Mood
from recommendations.picks import Candidate, Source, blend, ranked


def test_best_weighted_score_and_its_reason_win():
    sources = [
        Source(1.0, [Candidate(1, 0.5, "collaborative"), Candidate(2, 0.9, "collaborative")]),
        Source(0.5, [Candidate(1, 1.0, "trending"), Candidate(3, 1.0, "trending")]),
    ]

    picks = blend(sources, artist_of={1: 10, 2: 20, 3: 30}, exclude=set())

    assert picks == [
        Candidate(2, 0.9, "collaborative"),
        Candidate(1, 0.5, "collaborative"),
        Candidate(3, 0.5, "trending"),
    ]


def test_excluded_and_unknown_songs_are_dropped():
    sources = [Source(1.0, ranked([1, 2, 3, 4], "r"))]

    picks = blend(sources, artist_of={1: 1, 2: 2, 3: 3}, exclude={2})

    assert [p.song_id for p in picks] == [1, 3]


def test_at_most_two_songs_per_artist_in_the_top():
    # Songs 0-29: the first ten by artist 0, the rest one artist each.
    artist_of = {s: (0 if s < 10 else s) for s in range(30)}
    sources = [Source(1.0, ranked(range(30), "r"))]

    picks = blend(sources, artist_of=artist_of, exclude=set(), size=30, top=20, per_artist=2)

    top = [artist_of[p.song_id] for p in picks[:20]]
    assert top.count(0) == 2
    assert [p.song_id for p in picks[:3]] == [0, 1, 10]
    # Past the top 20, the deferred songs of artist 0 may come back.
    assert len(picks) == 30


def test_list_is_shorter_rather_than_less_diverse():
    sources = [Source(1.0, ranked(range(6), "r"))]

    picks = blend(sources, artist_of=dict.fromkeys(range(6), 7), exclude=set())

    assert [p.song_id for p in picks] == [0, 1]


def test_every_mood_has_targets():
    assert set(MOOD_TARGETS) == set(Mood.values)
    assert mood_targets(["happy", "sad"])["valence"] == (0.85 + 0.15) / 2


def test_target_closeness_prefers_songs_on_target():
    rows = [{"energy": 0.9, "tempo": 150.0}, {"energy": 0.2, "tempo": 80.0}]

    near, far = target_closeness(rows, {"energy": 0.9, "tempo": 150.0})

    assert near == 1.0
    assert far < near


def test_bounds_need_a_known_value_inside():
    bounds = {"energy": (0.2, 0.8), "popularity": (None, 50)}

    assert within_bounds({"energy": 0.5, "popularity": 50}, bounds)
    assert not within_bounds({"energy": 0.9, "popularity": 10}, bounds)
    assert not within_bounds({"energy": None, "popularity": 10}, bounds)
