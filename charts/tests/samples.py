"""Where the charts tests find their inputs.

- Invented fixtures in ``charts/tests/fixtures`` (see its README): every unit test uses them,
  so a fresh clone without the real datasets runs the whole suite.
- The real datasets under ``settings.MUSIC_DATA_DIR`` (see the README there): only tests
  marked ``@pytest.mark.realdata(<folder>, ...)`` use them.

Nothing here reads a file at import time; the functions only compute paths.
"""

from pathlib import Path

from django.conf import settings

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Fixture files by role.
APPLE_V2_SONGS = "applemusic_v2_songs_tr_2024-05-04.json"
APPLE_V2_ALBUMS = "applemusic_v2_albums_jp_2024-05-05.json"
APPLE_V1_ALBUMS = "itunes_rss_v1_topalbums_us_2019-03-02.json"
ITUNES_LEGACY = "itunes_rss_topsongs_us_2017-07-15.json"
ITUNES_MIRROR = "itunes_rss_topsongs_mirror_us_2017-07-16.json"
GLOBAL_DAILY_DIR = FIXTURES / "spotify_global_daily"
OTHER_DOWNLOAD = FIXTURES / "spotify_other_download" / "regional-global-daily-2018-02-01.csv"
LATEST = FIXTURES / "regional-global-daily-latest.csv"
NEW_FORMAT_US = FIXTURES / "regional-us-daily-2023-06-10.csv"
NEW_FORMAT_WEEKLY = FIXTURES / "regional-us-weekly-2023-06-08.csv"
MULTI_DAY = FIXTURES / "us_daily_top5_2018-03-01_to_2018-03-04.csv"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def global_daily_files() -> list[Path]:
    """The four invented days of the old-format global chart, in date order."""
    return sorted(GLOBAL_DAILY_DIR.glob("regional-global-daily-*.csv"))


# --------------------------------------------------------------------------- real data

# Folders relative to MUSIC_DATA_DIR, as the `realdata` marker takes them.
REAL_APPLE = "apple_itunes_rss"
REAL_SPOTIFY = "spotify_charts"
REAL_GLOBAL_DAILY = "spotify_charts/global_daily_2017-01_clay-ol"
REAL_MONTHLY = "spotify_charts/groovydata_global_daily_monthly_samples"
REAL_US_DAILY = "spotify_charts/us_daily_2017"
REAL_NEW_FORMAT = "spotify_charts/new_format_samples"


def real(*parts: str) -> Path:
    """A path under the real datasets (``settings.MUSIC_DATA_DIR``)."""
    return Path(settings.MUSIC_DATA_DIR).joinpath(*parts)


def real_apple(name: str) -> bytes:
    return real(REAL_APPLE, name).read_bytes()


def real_global_daily_files() -> list[Path]:
    return sorted(real(REAL_GLOBAL_DAILY).glob("regional-global-daily-2017-01-*.csv"))


def real_us_daily_2017() -> Path:
    return real(REAL_US_DAILY, "us_daily_top200_2017-01-01_to_2018-01-09.csv")


def real_new_format_us() -> Path:
    return real(REAL_NEW_FORMAT, "regional-us-daily-2023-01-21.csv")
