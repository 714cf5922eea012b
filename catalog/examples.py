"""Example bodies for the API documentation (OpenAPI ``examples``): one song, one album, as
the API renders them, shared by the catalog and recommendations operations."""

from __future__ import annotations

from catalog.attributes import AUDIO_FEATURES

_FEATURE_VALUES = {
    "acousticness": 0.12,
    "danceability": 0.71,
    "energy": 0.64,
    "instrumentalness": 0.0,
    "liveness": 0.09,
    "speechiness": 0.05,
    "valence": 0.58,
    "loudness": -6.2,
    "tempo": 118.0,
    "key": 5,
    "mode": 1,
}

EXAMPLE_SONG: dict = {
    "id": 812,
    "title": "Blue Hour",
    "artist": {"id": 4, "name": "The Lamps"},
    "album": {"id": 12, "title": "Night Drive"},
    "genre": "synthpop",
    "year": 2024,
    "duration_ms": 214000,
    "track_number": 3,
    "isrc": "GBAYE2400123",
    "explicit": False,
    "popularity": 67,
    # Every audio feature of the attribute table, so the example follows the shape.
    "audio_features": {name: _FEATURE_VALUES.get(name) for name in AUDIO_FEATURES},
    "is_public": True,
    "is_visible": True,
    "audio": {"status": "ready", "duration_ms": 214000},
}

EXAMPLE_PLAYLIST: dict = {
    "name": "Late train home",
    "description": "Quiet songs for the last train.",
    "is_public": False,
}
