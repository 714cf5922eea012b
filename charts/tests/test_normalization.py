import pytest

from charts.normalization import fold_text, name_key, normalize_artist, normalize_title


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (
            ("Don't Let Me Down (feat. Daya)", "The Chainsmokers"),
            ("Don't Let Me Down", "The Chainsmokers"),
        ),
        (("RENAISSANCE", "Beyoncé"), ("Renaissance", "Beyonce")),
        (("The Middle", "Zedd, Maren Morris & Grey"), ("The Middle", "Zedd")),
        (("Ara", "Zeynep Bastık"), ("ara", "ZEYNEP BASTIK")),
        (("Cold Water (feat. Justin Bieber & MØ)", "Major Lazer"), ("Cold Water", "Major Lazer")),
        (("Sneakin’", "Drake"), ("Sneakin'", "Drake")),
        (("Wow.", "Post Malone"), ("Wow", "Post Malone")),
        (
            ("Superhero [with Future & Chris Brown]", "Metro Boomin, Future"),
            ("Superhero", "Metro Boomin"),
        ),
        (("Starboy", "The Weeknd feat. Daft Punk"), ("Starboy", "The Weeknd")),
        (("We Are Young - feat. Janelle Monae", "fun."), ("We Are Young", "Fun")),
    ],
)
def test_same_track(left, right):
    assert name_key(*left) == name_key(*right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (
            ("Sunflower - Spider-Man: Into the Spider-Verse", "Post Malone"),
            ("Circles", "Post Malone"),
        ),
        (("Closer", "The Chainsmokers"), ("Closer", "Nine Inch Nails")),
    ],
)
def test_different_tracks(left, right):
    assert name_key(*left) != name_key(*right)


def test_non_latin_text_survives():
    assert fold_text("Love Yourself 結 'Answer'") == "love yourself 結 answer"
    assert fold_text("मेरे नाम तू") == "मेरे नाम तू"  # vowel signs are kept
    assert fold_text("Кино") == "кино"
    assert normalize_title("÷") == "÷"  # a title of symbols only is kept as is


def test_primary_artist():
    assert normalize_artist("Lil Nas X") == "lil nas x"
    assert normalize_artist("Dan + Shay") == "dan shay"
    assert normalize_artist("Vishal Mishra & Raj Shekhar") == "vishal mishra"
