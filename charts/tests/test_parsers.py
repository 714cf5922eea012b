"""Every parser on the invented fixtures, and (marked `realdata`) on the real samples."""

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

from .samples import (
    APPLE_V1_ALBUMS,
    APPLE_V2_ALBUMS,
    APPLE_V2_SONGS,
    FIXTURES,
    ITUNES_LEGACY,
    ITUNES_MIRROR,
    LATEST,
    MULTI_DAY,
    NEW_FORMAT_US,
    NEW_FORMAT_WEEKLY,
    OTHER_DOWNLOAD,
    REAL_APPLE,
    REAL_GLOBAL_DAILY,
    REAL_MONTHLY,
    REAL_NEW_FORMAT,
    REAL_SPOTIFY,
    REAL_US_DAILY,
    fixture,
    global_daily_files,
    real,
    real_apple,
    real_new_format_us,
    real_us_daily_2017,
)

PDT = timezone(timedelta(hours=-7))

# ----------------------------------------------------------------------------- Apple fixtures

# file -> (source, items, country, kind, updated, first entry's (title, artist, id))
APPLE_FIXTURES = {
    APPLE_V2_SONGS: (
        SOURCE_APPLE_MUSIC,
        5,
        "tr",
        KIND_SONGS,
        datetime(2024, 5, 4, 18, 20, 5, tzinfo=UTC),
        ("Gölge Oyunu", "Deniz Yılmaztepe", "9100000001"),
    ),
    APPLE_V2_ALBUMS: (
        SOURCE_APPLE_MUSIC,
        4,
        "jp",
        KIND_ALBUMS,
        datetime(2024, 5, 5, 2, 10, 44, tzinfo=UTC),
        ("夜明けのプラネタリウム", "Hoshizora Kaito", "9300000001"),
    ),
    APPLE_V1_ALBUMS: (
        SOURCE_APPLE_MUSIC_V1,
        4,
        "us",
        KIND_ALBUMS,
        datetime(2019, 3, 2, 2, 0, 15, tzinfo=PDT),
        ("Harbor Lights", "The Velvet Oarsmen", "9500000001"),
    ),
    ITUNES_LEGACY: (
        SOURCE_ITUNES_RSS,
        4,
        "us",
        KIND_SONGS,
        datetime(2017, 7, 15, 20, 55, 48, tzinfo=PDT),
        ("Lighthouse Keeper (feat. Juno Marsh)", "Tobias Wren", "9700000001"),
    ),
    ITUNES_MIRROR: (
        SOURCE_ITUNES_RSS,
        1,
        "us",
        KIND_SONGS,
        datetime(2017, 7, 16, 0, 6, 30, tzinfo=PDT),
        ("Paper Boats", "Nell Ashgrove", "9700000005"),
    ),
}


def test_every_json_fixture_is_covered():
    assert sorted(p.name for p in FIXTURES.glob("*.json")) == sorted(APPLE_FIXTURES)


@pytest.mark.parametrize("name", sorted(APPLE_FIXTURES))
def test_apple_fixtures(name):
    source, count, country, kind, updated, first = APPLE_FIXTURES[name]
    feed = parse_feed(source, fixture(name), filename=name)
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
    feed = parse_feed(SOURCE_APPLE_MUSIC, fixture(APPLE_V2_SONGS))
    assert feed.title == "Top Songs"
    assert feed.entries[0] == ParsedEntry(
        position=1,
        title="Gölge Oyunu",
        artist_name="Deniz Yılmaztepe",
        external_id="9100000001",
        artist_external_id="9200000001",
        url="https://music.apple.com/tr/album/fixture/9099999996?i=9100000001",
        artwork=(
            "https://is1-ssl.mzstatic.com/image/thumb/Music/v4/00/00/00/"
            "fixture-9100000001/cover.jpg/100x100bb.jpg"
        ),
        explicit=False,
        genres=("Pop", "Music"),
        release_date=date(2024, 4, 19),
    )
    # "Explict" (Apple's spelling) on position 4 only; "Clean" and no rating are not explicit.
    assert [e.explicit for e in feed.entries] == [False, False, False, True, False]
    # Non-Latin letters intact.
    assert [e.title for e in feed.entries][1:4] == [
        "Kırık Saat",
        "Ay Işığında Şarkı",
        "Neon Rüzgâr",
    ]
    assert feed.entries[2].artist_name == "Selin Ağaoğlu & Ece Şimşekli"


def test_apple_v2_albums():
    feed = parse_feed(SOURCE_APPLE_MUSIC, fixture(APPLE_V2_ALBUMS))
    assert [e.explicit for e in feed.entries] == [True, False, False, True]
    assert feed.entries[2].title == "雨音コレクション"
    assert feed.entries[0].genres == ("J-Pop", "Music")
    assert feed.entries[1].release_date == date(2024, 3, 13)


def test_apple_v1_fields():
    feed = parse_feed(SOURCE_APPLE_MUSIC_V1, fixture(APPLE_V1_ALBUMS))
    assert feed.country == "us"  # no "country" key in this feed: from its id
    by_position = {e.position: e for e in feed.entries}
    assert by_position[2].title == "봄의 기억 (Memory of Spring)"
    assert by_position[4].external_id == "77013"
    assert by_position[1].genres == ("Alternative", "Music")
    # v1 spells it "Explicit".
    assert [e.explicit for e in feed.entries] == [True, False, True, False]
    assert by_position[1].release_date == date(2019, 2, 22)
    assert by_position[1].artwork.endswith("/200x200bb.png")


def test_legacy_itunes_fields():
    feed = parse_feed(SOURCE_ITUNES_RSS, fixture(ITUNES_LEGACY))
    first = feed.entries[0]
    assert first.artist_external_id == "9800000001"
    assert first.url == "https://itunes.apple.com/us/album/fixture/id9700000000?i=9700000001&uo=2"
    assert first.artwork.endswith("/170x170bb-85.jpg")  # the largest image, not the last
    assert first.genres == ("Pop",)
    assert first.release_date == date(2017, 6, 30)
    assert first.explicit is None  # the legacy format has no explicit flag
    assert feed.entries[2].title == "Café Noir"
    assert feed.entries[3].artist_name == "Zed Moreno, Kaia Lune & Dex"
    assert feed.title == "iTunes Store: Top Songs"

    # The ax.itunes.apple.com mirror has no country in its id: it comes from `cc=us`. Its
    # only entry is an object, not a one-item list.
    mirror = parse_feed(SOURCE_ITUNES_RSS, fixture(ITUNES_MIRROR))
    assert mirror.country == "us"
    assert len(mirror.entries) == 1
    assert mirror.entries[0].artist_external_id == "115577"  # ".../id115577?uo=2"
    assert mirror.entries[0].genres == ("Singer/Songwriter",)


# ----------------------------------------------------------------------------- Spotify fixtures


def spotify_fixture(path, **kwargs):
    return parse_feed(SOURCE_SPOTIFY_CSV, path.read_bytes(), filename=path.name, **kwargs)


def test_spotify_old_format_with_notice_line_and_bom():
    files = global_daily_files()
    assert [date_from_filename(p.name) for p in files] == [
        date(2018, 2, 1),
        date(2018, 2, 2),
        date(2018, 2, 3),
        date(2018, 2, 4),
    ]
    assert files[0].read_bytes().startswith(b"\xef\xbb\xbf,,,")  # BOM, then the notice
    feed = spotify_fixture(files[0])
    validate_feed(feed, expected_country="global")
    assert (feed.country, feed.kind, feed.updated, feed.title) == (
        "global",
        KIND_SONGS,
        None,
        "regional-global-daily-2018-02-01.csv",
    )
    assert feed.entries[0] == ParsedEntry(
        position=1,
        title="Velvet Thunder",
        artist_name="Orla Finch",
        external_id="0fixtureVelvetThunder0",
        streams=900000,
        url="https://open.spotify.com/track/0fixtureVelvetThunder0",
    )
    assert [e.title for e in feed.entries][1:] == [
        "Gölge Dansı",
        "東京の雨 (Tokyo Rain)",
        "Saudade de Março",
        "Slow Burn, Fast Heart",  # a quoted comma
    ]
    assert feed.entries[1].artist_name == "Mert Karaağaç"
    for path in files[1:]:  # no BOM on the others
        day = spotify_fixture(path)
        assert [e.position for e in day.entries] == [1, 2, 3, 4, 5]
        assert all(e.url == f"https://open.spotify.com/track/{e.external_id}" for e in day.entries)
        assert all(e.streams and e.streams > 0 for e in day.entries)


def test_spotify_other_download_of_the_same_day_has_drifted_titles():
    first = spotify_fixture(global_daily_files()[0])
    drift = spotify_fixture(OTHER_DOWNLOAD)
    assert drift.entries[4].title == "Slow Burn, Fast Heart (feat. Lumi Vale)"
    assert drift.entries[4].external_id == first.entries[4].external_id
    assert [e.streams for e in drift.entries] == [e.streams for e in first.entries]


def test_spotify_latest_download_has_no_date():
    feed = spotify_fixture(LATEST)
    assert date_from_filename(LATEST.name) is None
    assert (feed.country, len(feed.entries), feed.entries[0].title) == ("global", 3, "Neon Koi")


def test_spotify_new_format_with_bom():
    raw = NEW_FORMAT_US.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    feed = parse_feed(SOURCE_SPOTIFY_CSV, raw, filename=NEW_FORMAT_US.name)
    validate_feed(feed, expected_country="us")
    assert (feed.country, date_from_filename(NEW_FORMAT_US.name)) == ("us", date(2023, 6, 10))
    assert feed.entries[0] == ParsedEntry(
        position=1,
        title="Harbor Glow",
        artist_name="Sable Ito",
        external_id="0fixtureHarborGlow0000",
        streams=2456789,
        url="https://open.spotify.com/track/0fixtureHarborGlow0000",
        extra={
            "source": "Driftwood Records",
            "peak_rank": "1",
            "previous_rank": "1",
            "days_on_chart": "12",
        },
    )
    assert feed.entries[1].artist_name == "Ivo Marchetti, Lena Brook, DJ Ostara"
    assert feed.entries[3].extra["previous_rank"] == "-1"
    assert feed.entries[4].title == "夜の光"
    # The same bytes as text (BOM kept) parse the same.
    assert parse_feed(SOURCE_SPOTIFY_CSV, raw.decode("utf-8")).entries == feed.entries


def test_spotify_new_format_weekly_with_weeks_on_chart():
    feed = spotify_fixture(NEW_FORMAT_WEEKLY)
    assert [e.streams for e in feed.entries] == [17197523, 14707070, 13135801]
    assert feed.entries[0].extra == {
        "source": "Driftwood Records",
        "peak_rank": "1",
        "previous_rank": "1",
        "weeks_on_chart": "1",
    }
    assert feed.entries[1].artist_name == "Ivo Marchetti, Lena Brook, DJ Ostara"


def test_spotify_multi_day_file():
    feed = spotify_fixture(MULTI_DAY, skip_incomplete=True)
    assert (len(feed.entries), feed.skipped) == (14, 1)  # one row has neither title nor artist
    days = feed.split_by_date()
    assert list(days) == [date(2018, 3, 1), date(2018, 3, 2), date(2018, 3, 4)]  # 3-03: a gap
    first = days[date(2018, 3, 1)]
    assert first.entries[0] == ParsedEntry(
        position=1,
        title="Rust & Roses",
        artist_name="Calla Wynn",
        streams=440000,
        chart_date=date(2018, 3, 1),
    )
    # Two songs of the same name by the same artist on one day stay two entries.
    assert [(e.title, e.position) for e in first.entries[1:3]] == [
        ("Paper Lanterns", 2),
        ("Paper Lanterns", 3),
    ]
    assert first.entries[3].artist_name == "Lucía Orbe"
    assert 4 not in {e.position for e in days[date(2018, 3, 2)].entries}
    for day_feed in days.values():
        assert day_feed.skipped == 0
        validate_feed(day_feed)

    with pytest.raises(FeedParseError, match="line 10: entry at position 4: missing track name"):
        spotify_fixture(MULTI_DAY)


def test_rows_without_a_date_cannot_be_split():
    feed = spotify_fixture(NEW_FORMAT_US)
    with pytest.raises(FeedParseError, match="rows without a date"):
        feed.split_by_date()


def test_filename_helpers():
    assert date_from_filename("regional-global-daily-2017-01-31.csv") == date(2017, 1, 31)
    assert date_from_filename("/x/y/2019-01-04--2019-01-11us.csv") == date(2019, 1, 4)
    assert date_from_filename("regional-global-daily-latest.csv") is None
    assert country_from_filename("regional-global-daily-2017-01-31.csv") == "global"
    assert country_from_filename("2019-01-04--2019-01-11us.csv") == "us"
    assert country_from_filename("2021-03-08_us.csv") == "us"
    assert country_from_filename("us_daily_top200_2017-01-01_to_2018-01-09.csv") == ""


# ----------------------------------------------------------------------------- real data

# file -> (source, items, country, kind, updated, first entry's (title, artist, id))
REAL_APPLE_SAMPLES = {
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


@pytest.mark.realdata(REAL_APPLE)
def test_every_real_apple_sample_is_covered():
    assert sorted(p.name for p in real(REAL_APPLE).glob("*.json")) == sorted(REAL_APPLE_SAMPLES)


@pytest.mark.realdata(REAL_APPLE)
@pytest.mark.parametrize("name", sorted(REAL_APPLE_SAMPLES))
def test_real_apple_samples(name):
    source, count, country, kind, updated, first = REAL_APPLE_SAMPLES[name]
    feed = parse_feed(source, real_apple(name), filename=name)
    validate_feed(feed, expected_country=country, expected_kind=kind)

    assert len(feed.entries) == count
    assert [e.position for e in feed.entries] == list(range(1, count + 1))
    assert (feed.country, feed.kind, feed.updated) == (country, kind, updated)
    assert feed.chart_date == date.fromisoformat(name[-15:-5])
    assert (feed.entries[0].title, feed.entries[0].artist_name, feed.entries[0].external_id) == (
        first
    )
    assert all(e.title and e.artist_name and e.external_id for e in feed.entries)
    assert all(e.url.startswith("http") and e.artwork.startswith("http") for e in feed.entries)


@pytest.mark.realdata(REAL_APPLE)
def test_real_apple_awkward_cases():
    tr = parse_feed(
        SOURCE_APPLE_MUSIC, real_apple("applemusic_v2_mostplayed_songs_tr_top10_2022-08-20.json")
    )
    assert [e.position for e in tr.entries if e.explicit] == [9]  # "Explict" (sic)
    assert "Suçlarımdan Biri" in [e.title for e in tr.entries]
    v1 = parse_feed(
        SOURCE_APPLE_MUSIC_V1,
        real_apple("itunes_rss_v1_topalbums_us_nonexplicit_2018-09-09.json"),
    )
    assert {e.position: e.title for e in v1.entries}[13] == "Love Yourself 結 'Answer'"
    mirror = parse_feed(
        SOURCE_ITUNES_RSS, real_apple("itunes_rss_topsongs_us_limit10_2018-06-01.json")
    )
    assert (mirror.country, mirror.entries[0].artist_external_id) == ("us", "115234")


@pytest.mark.realdata(REAL_SPOTIFY)
def test_every_real_spotify_file_parses():
    files = sorted(p for p in real(REAL_SPOTIFY).rglob("*.csv") if p != real_us_daily_2017())
    # 31 global daily + 114 US (113 weekly and 1 daily) + 12 monthly + 1 new format.
    assert len(files) == 158
    for path in files:
        feed = parse_feed(SOURCE_SPOTIFY_CSV, path.read_bytes(), filename=path.name)
        validate_feed(feed, expected_country=feed.country)
        assert [e.position for e in feed.entries] == list(range(1, 201)), path.name
        assert feed.kind == KIND_SONGS
        assert feed.country in {"global", "us"}, path.name
        assert all(len(e.external_id) == 22 for e in feed.entries), path.name
        assert all(
            e.url == f"https://open.spotify.com/track/{e.external_id}" for e in feed.entries
        ), path.name
        assert all(e.streams and e.streams > 0 for e in feed.entries), path.name
        assert all(e.title and e.artist_name for e in feed.entries), path.name
        assert path.name.endswith("latest.csv") or date_from_filename(path.name) is not None


@pytest.mark.realdata(REAL_GLOBAL_DAILY, REAL_MONTHLY)
def test_real_spotify_old_format_and_title_drift():
    name = "regional-global-daily-2017-01-01.csv"
    feed = parse_feed(SOURCE_SPOTIFY_CSV, real(REAL_GLOBAL_DAILY, name).read_bytes(), filename=name)
    assert feed.entries[0] == ParsedEntry(
        position=1,
        title="Starboy",
        artist_name="The Weeknd",
        external_id="5aAx2yezTd8zXrkmtKl66Z",
        streams=3135625,
        url="https://open.spotify.com/track/5aAx2yezTd8zXrkmtKl66Z",
    )
    drift = parse_feed(SOURCE_SPOTIFY_CSV, real(REAL_MONTHLY, name).read_bytes(), filename=name)
    assert (feed.entries[19].title, drift.entries[19].title) == (
        "Don't Let Me Down",
        "Don't Let Me Down (feat. Daya)",
    )


@pytest.mark.realdata(REAL_NEW_FORMAT)
def test_real_spotify_new_format_with_bom():
    path = real_new_format_us()
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    feed = parse_feed(SOURCE_SPOTIFY_CSV, raw, filename=path.name)
    assert (feed.country, len(feed.entries)) == ("us", 200)
    assert (feed.entries[0].title, feed.entries[0].streams) == ("Flowers", 3356361)
    assert feed.entries[0].extra["days_on_chart"] == "9"


@pytest.mark.realdata(REAL_US_DAILY)
def test_real_spotify_multi_day_file():
    raw = real_us_daily_2017().read_bytes()
    feed = parse_feed(SOURCE_SPOTIFY_CSV, raw, skip_incomplete=True)
    assert len(feed.entries) + feed.skipped == 74_200
    assert feed.skipped == 16  # rows with neither title nor artist in the source data
    days = feed.split_by_date()
    assert len(days) == 371
    assert min(days) == date(2017, 1, 1) and max(days) == date(2018, 1, 9)
    assert date(2017, 5, 30) not in days  # a gap in the source
    assert days[date(2017, 1, 1)].entries[0].title == "Bad and Boujee (feat. Lil Uzi Vert)"
    for day_feed in days.values():
        validate_feed(day_feed)
    with pytest.raises(FeedParseError, match="line 39409: entry at position 8: missing"):
        parse_feed(SOURCE_SPOTIFY_CSV, raw)


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
