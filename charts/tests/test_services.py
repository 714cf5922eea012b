"""Ingestion, trend fields, catalog matching: charts.services against the real database."""

import csv
import random
from datetime import date, timedelta

import pytest

from catalog.tests.factories import ArtistFactory, SongFactory
from charts import services
from charts.models import Chart, ChartEntry, ChartSnapshot, ChartTrack, IngestionRun
from charts.parsers import (
    KIND_ALBUMS,
    SOURCE_SPOTIFY_CSV,
    FeedValidationError,
    ParsedFeed,
    date_from_filename,
    parse_feed,
)

from .factories import ChartFactory, entry, feed, ingest
from .samples import REAL_GLOBAL_DAILY, global_daily_files, real_global_daily_files

pytestmark = pytest.mark.django_db

D1 = date(2024, 3, 1)


def trend_rows(chart, day):
    return list(
        ChartEntry.objects.filter(snapshot__chart=chart, snapshot__date=day)
        .order_by("position")
        .values_list(
            "position", "track__key", "title", "streams", "song_id", *ChartEntry.TREND_FIELDS
        )
    )


def all_trend_rows(chart):
    return {
        snapshot.date: trend_rows(chart, snapshot.date)
        for snapshot in ChartSnapshot.objects.filter(chart=chart)
    }


# ----------------------------------------------------------------------------- chart files


def parse_files(files):
    return {
        date_from_filename(path.name): parse_feed(
            SOURCE_SPOTIFY_CSV, path.read_bytes(), filename=path.name
        )
        for path in files
    }


def independent_trends(files):
    """Trend fields straight from the raw CSV rows, by brute force, per date and track id."""
    days = []
    for path in files:
        with path.open(encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))[2:]  # the notice line, then the header
        days.append({row[4].rsplit("/", 1)[-1]: int(row[0]) for row in rows})
    expected = []
    for index, day in enumerate(days):
        fields = {}
        for track, position in day.items():
            before = [d[track] for d in days[:index] if track in d]
            previous = days[index - 1].get(track) if index else None
            fields[track] = {
                "previous_position": previous,
                "movement": None if previous is None else previous - position,
                "is_new": not before,
                "is_reentry": bool(before) and previous is None,
                "peak_position": min([*before, position]),
                "days_on_chart": len(before) + 1,
            }
        expected.append(fields)
    return expected


def stored_trends(chart):
    return {
        (e["snapshot__date"], e["external_id"]): {k: e[k] for k in ChartEntry.TREND_FIELDS}
        for e in ChartEntry.objects.filter(snapshot__chart=chart).values(
            "snapshot__date", "external_id", *ChartEntry.TREND_FIELDS
        )
    }


def expected_trends(files):
    return {
        (date_from_filename(path.name), track): fields
        for path, day in zip(files, independent_trends(files), strict=True)
        for track, fields in day.items()
    }


def test_fixture_chart_files_match_an_independent_computation():
    files = global_daily_files()
    chart = ChartFactory(slug="global-daily", country="global")
    run = services.chart_import(chart=chart, feeds=parse_files(files))
    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert (run.snapshots_written, run.entries_written, run.tracks_created) == (4, 20, 7)
    assert stored_trends(chart) == expected_trends(files)
    last_day = trend_rows(chart, date(2018, 2, 4))
    assert [(row[0], row[2], row[3]) for row in last_day][::4] == [
        (1, "Saudade de Março", 879000),
        (5, "東京の雨 (Tokyo Rain)", 439000),
    ]
    # C re-enters at 5th on the last day; its best was 3rd.
    assert last_day[4][5:] == (None, None, False, True, 3, 3)


def test_day_by_day_in_any_order_gives_the_same_trends():
    """Backfilling in a random order (each earlier date recomputing the later ones) ends
    where a single in-order import ends."""
    feeds = parse_files(global_daily_files())
    in_order = ChartFactory(country="global")
    services.chart_import(chart=in_order, feeds=feeds)
    expected = all_trend_rows(in_order)
    for seed in range(3):
        shuffled = ChartFactory(country="global")
        days = sorted(feeds)
        random.Random(seed).shuffle(days)
        for day in days:
            services.chart_ingest(chart=shuffled, feeds={day: feeds[day]})
        assert all_trend_rows(shuffled) == expected


@pytest.mark.realdata(REAL_GLOBAL_DAILY)
def test_thirty_one_real_days_of_the_global_chart_match_an_independent_computation():
    files = real_global_daily_files()
    feeds = parse_files(files)
    chart = ChartFactory(slug="global-daily", country="global")
    run = services.chart_import(chart=chart, feeds=feeds)
    assert run.status == IngestionRun.Status.SUCCEEDED, run.error
    assert (run.snapshots_written, run.entries_written, run.tracks_created) == (31, 6200, 305)
    assert stored_trends(chart) == expected_trends(files)

    # Backfilling twelve days in a random order ends where the in-order import ends.
    shuffled = ChartFactory(country="global")
    days = sorted(feeds)[:12]
    random.Random(4).shuffle(days)
    for day in days:
        services.chart_ingest(chart=shuffled, feeds={day: feeds[day]})
    expected = all_trend_rows(chart)
    assert all_trend_rows(shuffled) == {day: expected[day] for day in days}


# ----------------------------------------------------------------------------- idempotency


def test_ingesting_the_same_day_twice_leaves_one_identical_snapshot():
    chart = ChartFactory()
    ingest(chart, {D1: ["a", "b", "c"]})
    first = trend_rows(chart, D1)
    summary = ingest(chart, {D1: ["a", "b", "c"]})
    assert summary.snapshots_written == 1
    assert ChartSnapshot.objects.filter(chart=chart).count() == 1
    assert ChartEntry.objects.filter(snapshot__chart=chart).count() == 3
    assert trend_rows(chart, D1) == first
    assert ChartTrack.objects.count() == 3


def test_skip_unchanged_writes_nothing_for_the_same_content():
    chart = ChartFactory()
    ingest(chart, {D1: ["a", "b"]})
    snapshot_id = ChartSnapshot.objects.get(chart=chart).pk
    summary = services.chart_ingest(chart=chart, feeds={D1: feed(["a", "b"])}, skip_unchanged=True)
    assert summary.unchanged
    assert ChartSnapshot.objects.get(chart=chart).pk == snapshot_id
    summary = services.chart_ingest(chart=chart, feeds={D1: feed(["b", "a"])}, skip_unchanged=True)
    assert summary.snapshots_written == 1
    assert [r[1] for r in trend_rows(chart, D1)] == ["spotify:id-b", "spotify:id-a"]


def test_replacing_a_day_updates_the_later_days():
    chart = ChartFactory()
    ingest(chart, {D1: ["a", "b"], D1 + timedelta(1): ["a", "b"]})
    ingest(chart, {D1: ["b", "c"]})  # a correction of the first day
    day2 = {r[1]: r for r in trend_rows(chart, D1 + timedelta(1))}
    # a: not on day 1 any more -> new on day 2; b: was 1st, now 2nd -> movement -1.
    assert day2["spotify:id-a"][5:] == (None, None, True, False, 1, 1)
    assert day2["spotify:id-b"][5:] == (1, -1, False, False, 1, 2)


def test_backfilling_a_missing_middle_day_fixes_the_later_days():
    days = {
        D1: ["a", "b", "c"],
        D1 + timedelta(1): ["b", "a", "d"],
        D1 + timedelta(2): ["d", "c", "a"],
        D1 + timedelta(3): ["c", "d", "b"],
    }
    complete = ChartFactory()
    ingest(complete, days)

    gappy = ChartFactory()
    ingest(gappy, {d: t for d, t in days.items() if d != D1 + timedelta(1)})
    before = trend_rows(gappy, D1 + timedelta(2))
    # Without day 2, day 3's "a" came from 1st (day 1) and "d" looked new.
    assert {r[1]: r[5:] for r in before}["spotify:id-d"] == (None, None, True, False, 1, 1)

    summary = ingest(gappy, {D1 + timedelta(1): days[D1 + timedelta(1)]})
    assert summary.entries_updated > 0
    assert all_trend_rows(gappy) == all_trend_rows(complete)


def test_deleting_a_snapshot_recomputes_the_later_days():
    chart = ChartFactory()
    ingest(chart, {D1: ["a"], D1 + timedelta(1): ["b"], D1 + timedelta(2): ["a", "b"]})
    services.chart_snapshot_delete(snapshot=ChartSnapshot.objects.get(chart=chart, date=D1))
    day3 = {r[1]: r[5:] for r in trend_rows(chart, D1 + timedelta(2))}
    assert day3 == {
        "spotify:id-a": (None, None, True, False, 1, 1),  # was a re-entry before
        "spotify:id-b": (1, -1, False, False, 1, 2),
    }


def test_recompute_trends_repairs_tampered_fields():
    chart = ChartFactory()
    ingest(chart, {D1: ["a", "b"], D1 + timedelta(1): ["b", "a"]})
    expected = all_trend_rows(chart)
    ChartEntry.objects.filter(snapshot__chart=chart).update(days_on_chart=9, is_new=False)
    assert services.chart_recompute_trends(chart=chart) == 4
    assert all_trend_rows(chart) == expected


def test_charts_share_tracks_but_not_trends():
    one, two = ChartFactory(), ChartFactory()
    ingest(one, {D1: ["a", "b"], D1 + timedelta(1): ["a"]})
    ingest(two, {D1 + timedelta(1): ["b", "a"]})
    assert ChartTrack.objects.count() == 2
    assert trend_rows(two, D1 + timedelta(1))[1][5:] == (None, None, True, False, 2, 1)


def test_two_tracks_with_the_same_name_on_one_day_stay_apart():
    """The 2017 US chart (no track ids) lists two "All Time Low" by Jon Bellion a day."""
    chart = ChartFactory()
    same = {"artist": "Jon Bellion", "external_id": ""}
    ingest(
        chart,
        {
            D1: [entry(1, "All Time Low", **same), entry(2, "All Time Low", **same)],
            D1 + timedelta(1): [entry(1, "All Time Low", **same), entry(2, "x")],
        },
    )
    rows = trend_rows(chart, D1 + timedelta(1))
    assert rows[0][1] == "name:all time low|jon bellion"
    assert rows[0][5:] == (1, 0, False, False, 1, 2)
    keys = set(ChartTrack.objects.values_list("key", flat=True))
    assert "name:all time low|jon bellion#2" in keys


def test_name_keyed_tracks_survive_spelling_drift():
    chart = ChartFactory()
    ingest(
        chart,
        {
            D1: [
                entry(
                    1, "Don't Let Me Down (feat. Daya)", artist="The Chainsmokers", external_id=""
                )
            ],
            D1 + timedelta(1): [
                entry(1, "Don’t Let Me Down", artist="The Chainsmokers & Daya", external_id="")
            ],
        },
    )
    assert ChartTrack.objects.count() == 1
    assert trend_rows(chart, D1 + timedelta(1))[0][5:] == (1, 0, False, False, 1, 2)


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("bad_feed", "message"),
    [
        (feed([]), "the feed has no entries"),
        (feed([entry(1, "a"), entry(1, "b")]), "duplicate positions: 1"),
        (feed(["a"], country="gb"), "the feed is for country 'gb', the chart is for 'us'"),
    ],
)
def test_invalid_feed_writes_nothing(bad_feed, message):
    chart = ChartFactory()
    ingest(chart, {D1: ["old"]})
    before = all_trend_rows(chart)
    with pytest.raises(FeedValidationError, match=message):
        services.chart_ingest(chart=chart, feeds={D1: bad_feed, D1 + timedelta(1): feed(["x"])})
    assert all_trend_rows(chart) == before
    assert not ChartTrack.objects.filter(key="spotify:id-x").exists()


def test_import_records_a_failed_run_with_every_bad_date():
    chart = ChartFactory()
    run = services.chart_import(
        chart=chart, feeds={D1: feed([]), D1 + timedelta(1): feed(["a", "b"], country="gb")}
    )
    assert run.status == IngestionRun.Status.FAILED
    assert run.error == (
        "2024-03-01: the feed has no entries; "
        "2024-03-02: the feed is for country 'gb', the chart is for 'us'"
    )
    assert run.finished_at is not None
    assert not ChartSnapshot.objects.exists()


def test_long_values_are_cut_to_fit():
    chart = ChartFactory()
    ingest(chart, {D1: [entry(1, "t" * 700, url="https://x.example/" + "u" * 600)]})
    stored = ChartEntry.objects.get()
    assert len(stored.title) == 500 and stored.url == ""


# ----------------------------------------------------------------------------- matching


def test_matching_by_external_id_then_by_name():
    by_id = SongFactory(title="Completely Different", spotify_id="id-a")
    artist = ArtistFactory(name="Beyoncé")
    by_name = SongFactory(title="Cuff It", artist=artist)
    feat = SongFactory(title="Closer", artist=ArtistFactory(name="The Chainsmokers"))
    only_artist = ArtistFactory(name="Zedd")
    chart = ChartFactory()
    summary = ingest(
        chart,
        {
            D1: [
                entry(1, "a"),
                entry(2, "CUFF IT", artist="Beyonce", external_id="nope"),
                entry(3, "Closer (feat. Halsey)", artist="The Chainsmokers", external_id=""),
                entry(4, "The Middle", artist="Zedd, Maren Morris & Grey"),
                entry(5, "Unknown", artist="Nobody"),
            ]
        },
    )
    assert summary.tracks_created == 5 and summary.tracks_matched == 3
    rows = list(
        ChartEntry.objects.order_by("position").values_list(
            "song_id", "artist_id", "track__match_method"
        )
    )
    assert rows == [
        (by_id.pk, by_id.artist_id, "external_id"),
        (by_name.pk, artist.pk, "name"),
        (feat.pk, feat.artist_id, "name"),
        (None, only_artist.pk, ""),
        (None, None, ""),
    ]


def test_album_charts_match_artists_by_apple_id():
    artist = ArtistFactory(name="Someone Else", apple_id="1419227")
    chart = ChartFactory(kind=KIND_ALBUMS, source="apple_music")
    album_feed = ParsedFeed(
        source="apple_music",
        entries=[entry(1, "RENAISSANCE", artist="Beyoncé", artist_external_id="1419227")],
        country="us",
        kind=KIND_ALBUMS,
    )
    services.chart_ingest(chart=chart, feeds={D1: album_feed})
    track = ChartTrack.objects.get()
    assert (track.key, track.song_id, track.artist_id) == (
        "apple-album:id-RENAISSANCE",
        None,
        artist.pk,
    )


def test_resolving_a_track_relinks_all_its_entries():
    chart = ChartFactory()
    ingest(chart, {D1: ["a"], D1 + timedelta(1): ["a"]})
    song = SongFactory()
    track = ChartTrack.objects.get()
    assert services.chart_track_resolve(track=track, song=song) == 2
    assert set(ChartEntry.objects.values_list("song_id", "artist_id")) == {
        (song.pk, song.artist_id)
    }
    track.refresh_from_db()
    assert track.match_method == ChartTrack.MatchMethod.MANUAL
    # A track matched once is reused as is by later ingests.
    ingest(chart, {D1 + timedelta(2): ["a"]})
    assert ChartEntry.objects.filter(song=song).count() == 3


# ----------------------------------------------------------------------------- charts


def test_seed_from_settings_creates_missing_charts_only(settings):
    ChartFactory(slug="apple-us", name="Kept")
    created = services.chart_seed_from_settings(
        spec=(
            "apple-us|Apple US|apple_music|us|songs|https://rss.example.com/us.json; "
            "apple-gb|Apple GB|apple_music|GB|albums|https://rss.example.com/gb.json"
        )
    )
    assert [c.slug for c in created] == ["apple-gb"]
    gb = Chart.objects.get(slug="apple-gb")
    assert (gb.country, gb.kind, gb.feed_url) == ("gb", "albums", "https://rss.example.com/gb.json")
    assert Chart.objects.get(slug="apple-us").name == "Kept"
    with pytest.raises(ValueError, match="expected slug"):
        services.chart_seed_from_settings(spec="only|three|fields")
