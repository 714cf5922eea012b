"""Recommendation reads, one module per area:

- ``songs``: shared song reads (feature rows, songs for display, model neighbours);
- ``seeds``: Spotify-style recommendations from seeds, and genre seeds;
- ``similar``: songs similar to one song;
- ``trending``: decayed listening plus chart momentum;
- ``interactions``: listening data as model and picks input;
- ``candidates`` and ``preferences``: the other inputs of a picks refresh;
- ``picks``: scored songs filtered for their reader;
- ``ranking``: pure functions that order rows (no queries).

Visibility is ``catalog.selectors``' one rule: for the caller wherever there is one; for an
anonymous caller (``user=None``) in what tasks precompute, filtered again for the reader.
The names below are the package's public API (``selectors.similar_songs(...)``).
"""

from recommendations.selectors.candidates import (
    popular_song_ids,
    song_facts,
    song_feature_rows,
    top_songs_by_artist,
    top_songs_by_genre,
)
from recommendations.selectors.interactions import (
    LIKED,
    PLAYED,
    PLAYLISTED,
    InteractionTable,
    active_user_ids,
    interaction_table,
    recently_skipped_songs,
)
from recommendations.selectors.picks import Picks, ScoredId, ScoredTrack, scored_tracks
from recommendations.selectors.preferences import (
    PreferenceSeeds,
    preferences_for_users,
    user_picks_get,
    user_preferences_data,
)
from recommendations.selectors.seeds import (
    SeedPool,
    SeedResult,
    genre_seed_slugs,
    seed_recommendations,
)
from recommendations.selectors.similar import SimilarSong, similar_songs
from recommendations.selectors.songs import active_model, song_neighbours, songs_for_display
from recommendations.selectors.trending import ScoredSong, trending_songs

__all__ = [
    "LIKED",
    "PLAYED",
    "PLAYLISTED",
    "InteractionTable",
    "Picks",
    "PreferenceSeeds",
    "ScoredId",
    "ScoredSong",
    "ScoredTrack",
    "SeedPool",
    "SeedResult",
    "SimilarSong",
    "active_model",
    "active_user_ids",
    "genre_seed_slugs",
    "interaction_table",
    "popular_song_ids",
    "preferences_for_users",
    "recently_skipped_songs",
    "scored_tracks",
    "seed_recommendations",
    "similar_songs",
    "song_facts",
    "song_feature_rows",
    "song_neighbours",
    "songs_for_display",
    "top_songs_by_artist",
    "top_songs_by_genre",
    "trending_songs",
    "user_picks_get",
    "user_preferences_data",
]
