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


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (("Señorita", "Shawn Mendes"), ("Senorita", "Shawn Mendes")),
        (("Déjà Vu", "Beyoncé"), ("DEJA VU", "BEYONCE")),
        (("Işık", "Zeynep Bastık"), ("ISIK", "Zeynep Bastik")),  # dotless ı
        (("İstanbul", "Sezen Aksu"), ("istanbul", "Sezen Aksu")),  # dotted İ
        (("Łódź", "Ørjan Nilsen"), ("Lodz", "Orjan Nilsen")),
        (("Ｓｅñｏｒｉｔａ", "Shawn Mendes"), ("Senorita", "Shawn Mendes")),  # full width
        (("Ánh Nắng Của Anh", "Đức Phúc"), ("Anh Nang Cua Anh", "Duc Phuc")),  # Vietnamese
    ],
)
def test_accents_fold(left, right):
    assert name_key(*left) == name_key(*right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("カゲ", "カケ"),  # Japanese: a dakuten makes another syllable
        ("ガ", "カ"),
        ("사랑", "사람"),  # Korean syllables stay whole
        ("Мой", "Мои"),  # Cyrillic й is a letter of its own
        ("मेरे", "मरे"),  # Devanagari vowel signs
    ],
)
def test_marks_that_change_meaning_are_kept(left, right):
    assert fold_text(left) != fold_text(right)


def test_japanese_and_korean_survive_intact():
    assert fold_text("ガーベラ") == "ガーベラ"
    assert fold_text("ｶﾞｰﾍﾞﾗ") == "ガーベラ"  # half-width kana compose as they are written
    assert fold_text("봄날") == "봄날"
    assert fold_text("İ") == "i" and fold_text("ı") == "i"
