"""Text normalisation for matching chart entries to each other and to the catalog.

Chart feeds spell the same track differently from day to day and from source to source
("Don't Let Me Down (feat. Daya)" vs "Don't Let Me Down", "Beyoncé" vs "Beyonce",
"Zedd, Maren Morris & Grey" vs "Zedd"). Both sides of a comparison go through the same
functions, so the rules only need to be consistent, not linguistically perfect.
Pure Python: no Django imports.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Letters that Unicode decomposition does not reduce to an ASCII base letter.
_FOLD = str.maketrans(
    {
        "ı": "i",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "þ": "th",
        "’": "'",
        "‘": "'",
        "`": "'",
    }
)

# "(feat. X)", "[with X]", "(ft X)" ... anywhere in a title.
_BRACKETED_CREDIT = re.compile(
    r"[\(\[]\s*(?:feat\.?|ft\.?|featuring|with)\s[^\)\]]*[\)\]]", re.IGNORECASE
)
# "Title - feat. X" / "Title feat. X" at the end of a title (no brackets).
_TRAILING_CREDIT = re.compile(r"\s+(?:-\s+)?(?:feat\.?|ft\.?|featuring)\s.*$", re.IGNORECASE)
# Separators between credited artists: the first name is the primary artist.
_ARTIST_SEPARATOR = re.compile(
    r"\s*(?:,|;|&|\s+x\s+|\s+(?:feat\.?|ft\.?|featuring)\s+)\s*", re.IGNORECASE
)


def fold_text(value: str) -> str:
    """Case-fold, strip Latin accents and punctuation, collapse whitespace.

    Accents are removed only from Latin letters: combining marks are meaningful in
    scripts such as Devanagari, and titles in those scripts must survive intact enough
    to tell two songs apart.
    """
    original = unicodedata.normalize("NFKC", value or "").casefold().strip()
    value = original.translate(_FOLD)
    decomposed = unicodedata.normalize("NFD", value)
    kept: list[str] = []
    previous_base = ""
    for char in decomposed:
        if unicodedata.combining(char):
            if previous_base and ord(previous_base) < 0x250:
                continue  # accent on a Latin letter
        else:
            previous_base = char
        kept.append(char)
    value = unicodedata.normalize("NFC", "".join(kept))
    value = value.replace("&", " and ").replace("'", "")
    # Punctuation, symbols and separators become spaces; letters, digits and combining
    # marks (vowel signs of Indic scripts) stay.
    value = "".join(char if unicodedata.category(char)[0] in "LNM" else " " for char in value)
    # A title made only of symbols ("÷", "#") keeps its symbols rather than vanishing.
    return " ".join(value.split()) or " ".join(original.split())


def strip_credits(title: str) -> str:
    """The title without "(feat. X)" / "[with X]" / "- feat. X" credits, otherwise as is."""
    stripped = _TRAILING_CREDIT.sub("", _BRACKETED_CREDIT.sub(" ", title or ""))
    return " ".join(stripped.split()) or (title or "").strip()


def normalize_title(title: str) -> str:
    """A title without featured-artist credits, folded."""
    return fold_text(strip_credits(title))


def primary_artist(artist_name: str) -> str:
    """The first credited artist of "A, B & C" / "A feat. B" / "A x B"."""
    parts = [p for p in _ARTIST_SEPARATOR.split(artist_name or "") if p.strip()]
    return parts[0].strip() if parts else ""


def normalize_artist(artist_name: str) -> str:
    """The primary artist, folded."""
    return fold_text(primary_artist(artist_name))


@functools.lru_cache(maxsize=65536)
def name_key(title: str, artist_name: str) -> str:
    """The key two spellings of the same track share: normalised title and primary artist."""
    return f"{normalize_title(title)}|{normalize_artist(artist_name)}"
