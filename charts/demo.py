"""A demo chart computed from the demo's own listening, for `load_demo` without real data.

`load_demo` backfills a Spotify chart from the real CSVs when `settings.MUSIC_DATA_DIR`
has them. A fresh clone has none, yet the charts endpoints should still have something to
show: this builds a clearly labelled chart of the most listened demo songs, one snapshot
a day, written through `services.chart_import` like any backfill, so trend fields, movers,
history and the artists ranking all work on it.

Charts do not import analytics (`catalog <- {charts, analytics}`): the caller passes the
daily per-song listening counts (from the analytics rollups).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from catalog.models import Song
from charts import services
from charts.models import Chart, ChartKind, ChartTrack, IngestionRun
from charts.parsers import SOURCE_SPOTIFY_CSV, ParsedEntry, ParsedFeed

DEMO_CHART_SLUG = "demo-daily-songs"
DEMO_CHART_NAME = "Demo chart (computed from demo listening)"
DEMO_CHART_SIZE = 20
DEMO_CHART_DAYS = 30
# There is no chart source for our own listening yet; the snapshots are written the way a
# Spotify CSV backfill writes them (streams = plays), so that is the source the chart names.
DEMO_CHART_SOURCE = SOURCE_SPOTIFY_CSV
# Entries carry this per-song id, so each demo song is one chart track whatever its title.
DEMO_ID_PREFIX = "demo-song-"


def demo_chart_feeds(
    *, daily_listening: Iterable[tuple[date, int, int, int]], songs: dict[int, Song]
) -> dict[date, ParsedFeed]:
    """One feed per day from `(day, song id, listeners, plays)` rows: the top
    DEMO_CHART_SIZE songs of the last DEMO_CHART_DAYS days that have listening.

    Songs rank by unique listeners, then by plays (so one listener's repeats only break
    ties), then by song id, for a deterministic order. Rows of songs not in `songs` are
    left out.
    """
    by_day: dict[date, list[tuple[int, int, int]]] = defaultdict(list)
    for day, song_id, listeners, plays in daily_listening:
        if song_id in songs and plays > 0:
            by_day[day].append((song_id, listeners, plays))
    days = sorted(by_day)[-DEMO_CHART_DAYS:]
    feeds = {}
    for day in days:
        ranked = sorted(by_day[day], key=lambda row: (-row[1], -row[2], row[0]))
        entries = [
            ParsedEntry(
                position=position,
                title=songs[song_id].title,
                artist_name=songs[song_id].artist.name,
                external_id=f"{DEMO_ID_PREFIX}{song_id}",
                streams=plays,
                explicit=songs[song_id].explicit,
            )
            for position, (song_id, _listeners, plays) in enumerate(
                ranked[:DEMO_CHART_SIZE], start=1
            )
        ]
        feeds[day] = ParsedFeed(
            source=DEMO_CHART_SOURCE,
            entries=entries,
            country="global",
            kind=ChartKind.SONGS,
            title=DEMO_CHART_NAME,
        )
    return feeds


def seed_demo_chart(*, daily_listening: Iterable[tuple[date, int, int, int]]) -> dict:
    """Create the demo chart from `(day, song id, listeners, plays)` rows. Idempotent: a
    demo chart that already has snapshots is left as it is."""
    chart = Chart.objects.filter(slug=DEMO_CHART_SLUG).first()
    if chart is not None and chart.snapshots.exists():
        return {"chart": DEMO_CHART_SLUG, "created": False, "snapshots": 0, "entries": 0}
    rows = list(daily_listening)
    songs = Song.objects.select_related("artist").in_bulk({row[1] for row in rows})
    feeds = demo_chart_feeds(daily_listening=rows, songs=songs)
    if not feeds:
        return {"chart": DEMO_CHART_SLUG, "created": False, "snapshots": 0, "entries": 0}
    if chart is None:
        chart = services.chart_create(
            slug=DEMO_CHART_SLUG,
            name=DEMO_CHART_NAME,
            source=DEMO_CHART_SOURCE,
            country="global",
            kind=ChartKind.SONGS,
            size=DEMO_CHART_SIZE,
            active=False,  # nothing to pull: it has no feed
        )
    run = services.chart_import(chart=chart, feeds=feeds)
    if run.status != IngestionRun.Status.SUCCEEDED:
        raise RuntimeError(f"the demo chart could not be written: {run.error}")
    _link_tracks_to_their_songs(songs)
    return {
        "chart": DEMO_CHART_SLUG,
        "created": True,
        "snapshots": run.snapshots_written,
        "entries": run.entries_written,
    }


def _link_tracks_to_their_songs(songs: dict[int, Song]) -> None:
    """Each demo track is one catalog song by construction; name matching may have missed
    it (or picked a namesake), so set the link where it differs."""
    tracks = ChartTrack.objects.filter(external_id__startswith=DEMO_ID_PREFIX)
    for track in tracks:
        song = songs.get(int(track.external_id.removeprefix(DEMO_ID_PREFIX)))
        if song is not None and (track.song_id, track.artist_id) != (song.pk, song.artist_id):
            services.chart_track_resolve(track=track, song=song)
