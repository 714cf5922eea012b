"""Paths of the real chart samples in the shared data folder (see its README)."""

import os
from pathlib import Path

SHARED_DATA = Path(
    os.environ.get("MP_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")
)
APPLE_DIR = SHARED_DATA / "apple_itunes_rss"
SPOTIFY_DIR = SHARED_DATA / "spotify_charts"
GLOBAL_DAILY_DIR = SPOTIFY_DIR / "global_daily_2017-01_clay-ol"
US_DAILY_2017 = SPOTIFY_DIR / "us_daily_2017" / "us_daily_top200_2017-01-01_to_2018-01-09.csv"
NEW_FORMAT_US = SPOTIFY_DIR / "new_format_samples" / "regional-us-daily-2023-01-21.csv"


def apple(name: str) -> bytes:
    return (APPLE_DIR / name).read_bytes()


def global_daily_files() -> list[Path]:
    return sorted(GLOBAL_DAILY_DIR.glob("regional-global-daily-2017-01-*.csv"))
