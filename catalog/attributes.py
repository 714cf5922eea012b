"""The one table of song attribute ranges (DESIGN.md §1, "one home per concern").

Model validators and check constraints (``catalog.models``), API input fields
(``catalog.serializers``), the importer's range checks, the recommendation features and the
longest playback position analytics accepts are all generated from this table. Pure Python,
so the recommendation engine can use it without Django.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_DURATION_MS = 6 * 3600 * 1000  # six hours: longer than any release, short of abuse


@dataclass(frozen=True)
class SongAttribute:
    name: str
    low: float
    high: float
    integer: bool = False
    description: str = ""


def _unit(name: str, description: str) -> SongAttribute:
    return SongAttribute(name, 0.0, 1.0, description=description)


SONG_ATTRIBUTES: dict[str, SongAttribute] = {
    attribute.name: attribute
    for attribute in (
        # Audio features, with Spotify's definitions.
        _unit("acousticness", "Confidence the track is acoustic."),
        _unit("danceability", "How suitable the track is for dancing."),
        _unit("energy", "Perceived intensity and activity."),
        _unit("instrumentalness", "Likelihood the track has no vocals."),
        _unit("liveness", "Likelihood of an audience in the recording."),
        _unit("speechiness", "Presence of spoken words."),
        _unit("valence", "Musical positiveness."),
        SongAttribute("loudness", -60.0, 5.0, description="Overall loudness in dB."),
        SongAttribute("tempo", 0.0, 300.0, description="Beats per minute."),
        SongAttribute("key", -1, 11, integer=True, description="Pitch class, -1 unknown."),
        SongAttribute("mode", 0, 1, integer=True, description="0 minor, 1 major."),
        # Catalog facts.
        SongAttribute("popularity", 0, 100, integer=True, description="0 to 100."),
        SongAttribute("duration_ms", 0, MAX_DURATION_MS, integer=True, description="Length."),
        SongAttribute("year", 1900, 2100, integer=True, description="Release year."),
        SongAttribute("track_number", 1, 999, integer=True, description="Position on its album."),
    )
}

AUDIO_FEATURES_UNIT = tuple(
    name for name, a in SONG_ATTRIBUTES.items() if (a.low, a.high) == (0.0, 1.0)
)
AUDIO_FEATURES = (*AUDIO_FEATURES_UNIT, "loudness", "tempo", "key", "mode")
