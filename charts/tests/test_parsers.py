"""Every parser on every real sample in ../shared/data (no database needed)."""

import json
import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from charts.parsers import (
    KIND_ALBUMS,
    KIND_SONGS,
    SOURCE_APPLE_MUSIC,
    SOURCE_APPLE_MUSIC_V1,
    SOURCE_ITUNES_RSS,
    SOURCE_SPOTIFY_CSV,
    FeedParseError,
    FeedValidationError,
    ParsedEntry,
    ParsedFeed,
    country_from_filename,
    date_from_filename,
    feed_checksum,
    get_parser,
    parse_feed,
    validate_feed,
)

from .samples import APPLE_DIR, NEW_FORMAT_US, SPOTIFY_DIR, US_DAILY_2017, apple

PDT = timezone(timedelta(hours=-7))

# file -> (source, items, country, kind, updated, first entry's (title, artist, id))
APPLE_SAMPLES = {
    "applemusic_v2_mostplayed_songs_tr_top10_2022-08-20.json": (
        SOURCE_APPLE_MUSIC,
        10,
        "tr",
        KIND_SONGS,
        datetime(2022, 8, 20, 18, 33, 32, tzinfo=UTC),
        ("Ara", "Zeynep Bastık", "1635429608"),
    ),
    "applemusic_v2_mostplayed_songs_in_top10_2024-03-21.json": (
        SOURCE_APPLE_MUSIC,
        10,
        "in",
        KIND_SONGS,
        datetime(2024, 3, 21, 5, 24, 32, tzinfo=UTC),
        ('Akhiyaan Gulaab (From "Teri Baaton Mein Aisa Uljha Jiya")', "Mitraz", "1726548488"),
    ),
    "applemusic_v2_mostplayed_albums_gb_top10_2022-08-21.json": (
        SOURCE_APPLE_MUSIC,
        10,
        "gb",
        KIND_ALBUMS,
        datetime(2022, 8, 21, 1, 58, 25, tzinfo=UTC),
        ("RENAISSANCE", "Beyoncé", "1630005298"),
    ),
    "itunes_rss_v1_topalbums_us_top10_2020-04-14.json": (
        SOURCE_APPLE_MUSIC_V1,
        10,
        "us",
        KIND_ALBUMS,
        datetime(2020, 4, 14, 2, 6, 44, tzinfo=PDT),
        ("The New Toronto 3", "Tory Lanez", "1506269876"),
    ),
    "itunes_rss_v1_topalbums_us_nonexplicit_2018-09-09.json": (
        SOURCE_APPLE_MUSIC_V1,
        38,
        "us",
        KIND_ALBUMS,
        datetime(2018, 9, 9, 2, 0, 15, tzinfo=PDT),
        ("Aura", "Ozuna", "1433976640"),
    ),
    "itunes_rss_topsongs_us_limit50_2016-10-13.json": (
        SOURCE_ITUNES_RSS,
        50,
        "us",
        KIND_SONGS,
        datetime(2016, 10, 13, 20, 55, 48, tzinfo=PDT),
        ("Closer (feat. Halsey)", "The Chainsmokers", "1136768508"),
    ),
    "itunes_rss_topsongs_us_limit10_2018-06-01.json": (
        SOURCE_ITUNES_RSS,
        10,
        "us",
        KIND_SONGS,
        datetime(2018, 6, 1, 0, 6, 30, tzinfo=PDT),
        ("Africa", "Weezer", "1388058245"),
    ),
}


def test_every_apple_sample_is_covered():
    assert sorted(p.name for p in APPLE_DIR.glob("*.json")) == sorted(APPLE_SAMPLES)


@pytest.mark.parametrize("name", sorted(APPLE_SAMPLES))
def test_apple_samples(name):
    source, count, country, kind, updated, first = APPLE_SAMPLES[name]
    feed = parse_feed(source, apple(name), filename=name)
    validate_feed(feed, expected_country=country, expected_kind=kind)

    assert feed.source == source
    assert len(feed.entries) == count
    assert [e.position for e in feed.entries] == list(range(1, count + 1))
    assert (feed.country, feed.kind, feed.updated) == (country, kind, updated)
    # The snapshot date is the feed's own local date, the one in the file name.
    assert feed.chart_date == date.fromisoformat(name[-15:-5])
    assert (feed.entries[0].title, feed.entries[0].artist_name, feed.entries[0].external_id) == (
        first
    )
    assert all(e.title and e.artist_name and e.external_id for e in feed.entries)
    assert all(e.url.startswith("http") and e.artwork.startswith("http") for e in feed.entries)


def test_apple_v2_songs_fields_and_explicit_misspelling():
    feed = parse_feed(
        SOURCE_APPLE_MUSIC, apple("applemusic_v2_mostplayed_songs_tr_top10_2022-08-20.json")
    )
    assert feed.entries[0] == ParsedEntry(
        position=1,
        title="Ara",
        artist_name="Zeynep Bastık",
        external_id="1635429608",
        artist_external_id="935766494",
        url="https://music.apple.com/tr/album/ara/1635429603?i=1635429608",
        artwork=(
            "https://is5-ssl.mzstatic.com/image/thumb/Music122/v4/a9/11/2a/"
            "a9112afe-d433-a622-a8e4-81d5c83f7c83/cover.jpg/100x100bb.jpg"
        ),
        explicit=False,
        genres=("Pop", "Music"),
        release_date=date(2022, 7, 29),
    )
    # "Explict" (Apple's spelling) on one entry only.
    assert [e.position for e in feed.entries if e.explicit] == [9]
    # Non-Latin letters intact.
    titles = [e.title for e in feed.entries]
    assert "Suçlarımdan Biri" in titles and "kördüğüm" in titles and "Sevmiş Gibi" in titles
    assert feed.entries[9].artist_name == "Lvbel C5 & Eftalya Yağcı"


def test_apple_v2_albums_explicit_flags():
    feed = parse_feed(
        SOURCE_APPLE_MUSIC, apple("applemusic_v2_mostplayed_albums_gb_top10_2022-08-21.json")
    )
    assert [e.explicit for e in feed.entries] == [
        True, True, False, True, True, True, False, False, True, False,
    ]  # fmt: skip
    assert feed.entries[6].artist_name == (
        "Lin-Manuel Miranda, Germaine Franco, Stephanie Beatriz, Olga Merediz & Jessica Darrow"
    )


def test_apple_v2_india_titles():
    feed = parse_feed(
        SOURCE_APPLE_MUSIC, apple("applemusic_v2_mostplayed_songs_in_top10_2024-03-21.json")
    )
    assert feed.entries[7].title == "Satranga"
    assert feed.entries[7].artist_name == "Arijit Singh, Shreyas Puranik & Siddharth-Garima"
    assert feed.entries[0].genres == ("Bollywood", "Music")


def test_apple_v1_fields():
    feed = parse_feed(
        SOURCE_APPLE_MUSIC_V1, apple("itunes_rss_v1_topalbums_us_nonexplicit_2018-09-09.json")
    )
    by_position = {e.position: e for e in feed.entries}
    assert by_position[13].title == "Love Yourself 結 'Answer'"
    assert by_position[18].title == "÷ (Deluxe)"
    assert by_position[23].external_id == "99031"
    assert by_position[1].genres == ("Urbano latino", "Music", "Latino")
    assert not any(e.explicit for e in feed.entries)

    explicit = parse_feed(
        SOURCE_APPLE_MUSIC_V1, apple("itunes_rss_v1_topalbums_us_top10_2020-04-14.json")
    )
    assert all(e.explicit for e in explicit.entries)
    assert explicit.entries[0].release_date == date(2020, 4, 10)


def test_legacy_itunes_fields():
    feed = parse_feed(SOURCE_ITUNES_RSS, apple("itunes_rss_topsongs_us_limit50_2016-10-13.json"))
    first = feed.entries[0]
    assert first.artist_external_id == "580391756"
    assert first.url == (
        "https://itunes.apple.com/us/album/closer-feat.-halsey/id1136768287?i=1136768508&uo=2"
    )
    assert first.artwork.endswith("/170x170bb-85.jpg")  # the largest image
    assert first.genres == ("Dance",)
    assert first.release_date == date(2016, 7, 29)
    assert first.explicit is None  # the legacy format has no explicit flag
    assert feed.entries[20].title == "Cold Water (feat. Justin Bieber & MØ)"

    # The ax.itunes.apple.com mirror has no country in its id: it comes from `cc=us`.
    mirror = parse_feed(SOURCE_ITUNES_RSS, apple("itunes_rss_topsongs_us_limit10_2018-06-01.json"))
    assert mirror.country == "us"
    assert mirror.entries[0].artist_external_id == "115234"  # ".../weezer/115234?uo=2"
    assert mirror.entries[5].artist_name == "Zedd, Maren Morris & Grey"


# ----------------------------------------------------------------------------- Spotify


SPOTIFY_FILES = sorted(p for p in SPOTIFY_DIR.rglob("*.csv") if p != US_DAILY_2017)


def test_every_spotify_sample_is_covered():
    # 31 global daily + 114 US (113 weekly and 1 daily) + 12 monthly + 1 new format.
    assert len(SPOTIFY_FILES) == 158


@pytest.mark.parametrize("path", SPOTIFY_FILES, ids=lambda p: p.name)
def test_spotify_samples(path):
    feed = parse_feed(SOURCE_SPOTIFY_CSV, path.read_bytes(), filename=path.name)
    validate_feed(feed, expected_country=feed.country)
    assert len(feed.entries) == 200
    assert [e.position for e in feed.entries] == list(range(1, 201))
    assert feed.kind == KIND_SONGS
    assert feed.country in {"global", "us"}
    assert all(len(e.external_id) == 22 for e in feed.entries)
    assert all(e.url == f"https://open.spotify.com/track/{e.external_id}" for e in feed.entries)
    assert all(e.streams and e.streams > 0 for e in feed.entries)
    assert all(e.title and e.artist_name for e in feed.entries)
    assert path.name.endswith("latest.csv") or date_from_filename(path.name) is not None


def test_spotify_old_format_fields():
    path = SPOTIFY_DIR / "global_daily_2017-01_clay-ol" / "regional-global-daily-2017-01-01.csv"
    feed = parse_feed(SOURCE_SPOTIFY_CSV, path.read_bytes(), filename=path.name)
    assert feed.country == "global"
    assert feed.entries[0] == ParsedEntry(
        position=1,
        title="Starboy",
        artist_name="The Weeknd",
        external_id="5aAx2yezTd8zXrkmtKl66Z",
        streams=3135625,
        url="https://open.spotify.com/track/5aAx2yezTd8zXrkmtKl66Z",
    )
    assert feed.entries[19].title == "Don't Let Me Down"
    assert feed.entries[-1].title == "Ni**as In Paris"

    # The other download of the same day has the "feat." credit in the title.
    other = SPOTIFY_DIR / "groovydata_global_daily_monthly_samples" / path.name
    drift = parse_feed(SOURCE_SPOTIFY_CSV, other.read_bytes(), filename=other.name)
    assert drift.entries[19].title == "Don't Let Me Down (feat. Daya)"
    assert drift.entries[19].external_id != ""


def test_spotify_non_latin_titles_intact():
    path = SPOTIFY_DIR / "groovydata_global_daily_monthly_samples"
    feed = parse_feed(
        SOURCE_SPOTIFY_CSV, (path / "regional-global-daily-2020-01-01.csv").read_bytes()
    )
    by_position = {e.position: e for e in feed.entries}
    assert by_position[9].title == "Señorita"
    assert by_position[48].artist_name == "Dímelo Flow"
    assert by_position[68].title == "Liberdade Provisória"
    assert by_position[123].artist_name == "Marília Mendonça"


def test_spotify_new_format_with_bom():
    raw = NEW_FORMAT_US.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    feed = parse_feed(SOURCE_SPOTIFY_CSV, raw, filename=NEW_FORMAT_US.name)
    assert (feed.country, date_from_filename(NEW_FORMAT_US.name)) == ("us", date(2023, 1, 21))
    assert feed.entries[0] == ParsedEntry(
        position=1,
        title="Flowers",
        artist_name="Miley Cyrus",
        external_id="0yLdNVWF3Srea0uzk55zFn",
        streams=3356361,
        url="https://open.spotify.com/track/0yLdNVWF3Srea0uzk55zFn",
        extra={"source": "Columbia", "peak_rank": "1", "previous_rank": "1", "days_on_chart": "9"},
    )
    assert feed.entries[2].artist_name == "Metro Boomin, The Weeknd, 21 Savage"
    # The same bytes as text (BOM kept) parse the same.
    assert parse_feed(SOURCE_SPOTIFY_CSV, raw.decode("utf-8")).entries == feed.entries


def test_spotify_new_format_weeks_on_chart_header():
    text = (
        "rank,uri,artist_names,track_name,source,peak_rank,previous_rank,weeks_on_chart,streams\n"
        '1,"spotify:track:0yLdNVWF3Srea0uzk55zFn","Miley Cyrus","Flowers","Columbia",1,1,3,'
        '"96,356,361"\n'
    )
    entry = parse_feed(SOURCE_SPOTIFY_CSV, text).entries[0]
    assert entry.streams == 96356361
    assert entry.extra["weeks_on_chart"] == "3"


def test_spotify_multi_day_file():
    feed = parse_feed(SOURCE_SPOTIFY_CSV, US_DAILY_2017.read_bytes(), skip_incomplete=True)
    assert len(feed.entries) + feed.skipped == 74_200
    assert feed.skipped == 16  # rows with neither title nor artist in the source data
    days = feed.split_by_date()
    assert len(days) == 371
    assert min(days) == date(2017, 1, 1) and max(days) == date(2018, 1, 9)
    assert date(2017, 5, 30) not in days  # a gap in the source
    first = days[date(2017, 1, 1)]
    assert first.entries[0].title == "Bad and Boujee (feat. Lil Uzi Vert)"
    assert first.entries[0].streams == 1371493
    assert first.entries[0].external_id == ""
    with_blank = days[date(2017, 7, 20)]
    assert 8 not in {e.position for e in with_blank.entries}
    for day_feed in days.values():
        validate_feed(day_feed)

    with pytest.raises(FeedParseError, match="line 39409: entry at position 8: missing"):
        parse_feed(SOURCE_SPOTIFY_CSV, US_DAILY_2017.read_bytes())


def test_filename_helpers():
    assert date_from_filename("regional-global-daily-2017-01-31.csv") == date(2017, 1, 31)
    assert date_from_filename("/x/y/2019-01-04--2019-01-11us.csv") == date(2019, 1, 4)
    assert date_from_filename("regional-global-daily-latest.csv") is None
    assert country_from_filename("regional-global-daily-2017-01-31.csv") == "global"
    assert country_from_filename("2019-01-04--2019-01-11us.csv") == "us"
    assert country_from_filename("2021-03-08_us.csv") == "us"
    assert country_from_filename("us_daily_top200_2017-01-01_to_2018-01-09.csv") == ""


# ----------------------------------------------------------------------------- bad input


def _v2(results, country="us"):
    return json.dumps({"feed": {"country": country, "results": results}})


GOOD_ITEM = {"id": "1", "name": "Song", "artistName": "Artist", "kind": "songs"}


@pytest.mark.parametrize(
    ("source", "payload", "message"),
    [
        (SOURCE_APPLE_MUSIC, b'{"feed": {"results": [', "malformed JSON"),
        (SOURCE_APPLE_MUSIC, b"\xff\xfe", "not UTF-8"),
        (SOURCE_APPLE_MUSIC, b"[]", "no 'feed' object"),
        (SOURCE_APPLE_MUSIC, b'{"feed": {}}', "no 'feed.results'"),
        (SOURCE_APPLE_MUSIC, b'{"feed": {"results": {}}}', "not a list"),
        (SOURCE_APPLE_MUSIC, _v2([GOOD_ITEM, {"id": "2", "name": "x"}]), "position 2: missing"),
        (SOURCE_APPLE_MUSIC, _v2([GOOD_ITEM, "nope"]), "position 2 is not an object"),
        (SOURCE_ITUNES_RSS, b'{"feed": {"title": {}}}', "no 'feed.entry'"),
        (
            SOURCE_ITUNES_RSS,
            json.dumps({"feed": {"entry": [{"im:name": {"label": "x"}}]}}),
            "position 1: missing im:artist, id.attributes.im:id",
        ),
        (SOURCE_SPOTIFY_CSV, b"", "no 'Position,Track Name"),
        (SOURCE_SPOTIFY_CSV, b"a,b,c\n1,2,3\n", "not a Spotify chart CSV"),
        (SOURCE_SPOTIFY_CSV, b"Position,Artist,Streams\n1,x,3\n", "lacks the column(s): title"),
        (SOURCE_SPOTIFY_CSV, b"Position,Track Name,Artist\nfirst,x,y\n", "is not a number"),
        (SOURCE_SPOTIFY_CSV, b"Position,Track Name,Artist\n0,x,y\n", "positive number"),
        (SOURCE_SPOTIFY_CSV, b"Position,Track Name,Artist\n1,x\n", "2 values for 3 columns"),
        (SOURCE_SPOTIFY_CSV, b"Position,Track Name,Artist,Streams\n1,x,y,lots\n", "streams"),
    ],
)
def test_parse_errors(source, payload, message):
    with pytest.raises(FeedParseError, match=re.escape(message)):
        parse_feed(source, payload)


def test_unknown_source():
    with pytest.raises(FeedParseError, match="no parser for source 'rss'"):
        get_parser("rss")


def test_skip_incomplete_json_entries():
    feed = parse_feed(
        SOURCE_APPLE_MUSIC, _v2([{"id": "2", "name": "x"}, GOOD_ITEM]), skip_incomplete=True
    )
    assert feed.skipped == 1
    assert [e.position for e in feed.entries] == [2]


def _feed(positions, country="us", kind=KIND_SONGS):
    return ParsedFeed(
        source=SOURCE_SPOTIFY_CSV,
        entries=[ParsedEntry(position=p, title=f"t{p}", artist_name="a") for p in positions],
        country=country,
        kind=kind,
    )


@pytest.mark.parametrize(
    ("feed", "kwargs", "message"),
    [
        (_feed([]), {}, "no entries"),
        (_feed([1, 2, 2, 3, 3]), {}, "duplicate positions: 2, 3"),
        (_feed([1], country="gb"), {"expected_country": "US"}, "for country 'gb'"),
        (_feed([1], kind=KIND_ALBUMS), {"expected_kind": KIND_SONGS}, "lists albums"),
    ],
)
def test_validation_errors(feed, kwargs, message):
    with pytest.raises(FeedValidationError, match=message):
        validate_feed(feed, **kwargs)


def test_validation_accepts_feeds_without_country():
    validate_feed(_feed([1, 2], country=""), expected_country="us")


def test_checksum_depends_on_content_only():
    a = _feed([1, 2])
    b = _feed([1, 2], country="gb")
    assert feed_checksum(a.entries) == feed_checksum(b.entries)
    assert feed_checksum(a.entries) != feed_checksum(_feed([1, 3]).entries)
    assert len(feed_checksum(a.entries)) == 64
