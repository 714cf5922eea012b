"""The demo chart: `load_demo` without the real chart files computes one from the demo's
own listening (charts.demo), idempotently, and every charts endpoint works on it."""

from datetime import date, timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from charts.demo import DEMO_CHART_NAME, DEMO_CHART_SIZE, DEMO_CHART_SLUG, demo_chart_feeds
from charts.models import Chart, ChartEntry, ChartSnapshot, ChartTrack, IngestionRun

D1 = date(2024, 5, 1)


def song(pk, title):
    return SimpleNamespace(pk=pk, title=title, artist=SimpleNamespace(name=f"Artist {pk}"))


def test_demo_feeds_rank_by_listeners_then_plays():
    songs = {pk: song(pk, f"Song {pk}") for pk in (1, 2, 3)}
    for value in songs.values():
        value.explicit = value.pk == 3
    rows = [
        (D1, 1, 2, 9),  # day, song, listeners, plays
        (D1, 2, 3, 3),
        (D1, 3, 2, 10),
        (D1, 99, 50, 50),  # not a known (visible) song: left out
        (D1 + timedelta(1), 1, 1, 0),  # no plays: left out
        (D1 + timedelta(1), 2, 1, 1),
    ]
    feeds = demo_chart_feeds(daily_listening=rows, songs=songs)
    assert list(feeds) == [D1, D1 + timedelta(1)]
    assert [(e.position, e.title, e.streams, e.explicit) for e in feeds[D1].entries] == [
        (1, "Song 2", 3, False),
        (2, "Song 3", 10, True),
        (3, "Song 1", 9, False),
    ]
    assert feeds[D1].entries[0].external_id == "demo-song-2"
    assert [e.title for e in feeds[D1 + timedelta(1)].entries] == ["Song 2"]


def test_demo_feeds_keep_the_last_thirty_days_and_the_top_entries():
    songs = {pk: song(pk, f"Song {pk}") for pk in range(1, 31)}
    for value in songs.values():
        value.explicit = False
    rows = [(D1 + timedelta(d), pk, pk, pk) for d in range(40) for pk in songs]
    feeds = demo_chart_feeds(daily_listening=rows, songs=songs)
    assert len(feeds) == 30 and min(feeds) == D1 + timedelta(10)
    assert all(len(f.entries) == DEMO_CHART_SIZE for f in feeds.values())


def chart_state():
    return {
        "snapshots": list(
            ChartSnapshot.objects.filter(chart__slug=DEMO_CHART_SLUG)
            .order_by("date")
            .values_list("pk", "date", "checksum")
        ),
        "entries": ChartEntry.objects.count(),
        "tracks": ChartTrack.objects.count(),
        "runs": IngestionRun.objects.count(),
        "charts": list(Chart.objects.values_list("slug", flat=True)),
    }


@pytest.mark.django_db
def test_load_demo_without_real_data_computes_a_demo_chart(settings, tmp_path, api_client):
    settings.MUSIC_DATA_DIR = tmp_path / "empty"
    (tmp_path / "empty").mkdir()
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert f"No chart CSVs at {tmp_path / 'empty'}" in out.getvalue()
    assert "charts.demo: chart=demo-daily-songs, created=True" in out.getvalue()

    chart = Chart.objects.get()
    assert (chart.slug, chart.name, chart.country, chart.kind, chart.feed_url) == (
        DEMO_CHART_SLUG,
        DEMO_CHART_NAME,
        "global",
        "songs",
        "",
    )
    snapshots = list(chart.snapshots.order_by("date"))
    assert len(snapshots) == 30  # about a month, one a day
    assert all(
        later.date - earlier.date == timedelta(days=1)
        for earlier, later in zip(snapshots, snapshots[1:], strict=False)
    )
    entries = ChartEntry.objects.filter(snapshot__chart=chart)
    assert entries.count() == sum(s.entry_count for s in snapshots)
    assert all(0 < s.entry_count <= DEMO_CHART_SIZE for s in snapshots)
    # Every entry is a catalog song (its own), with the song's title and artist.
    assert not entries.filter(song__isnull=True).exists()
    for row in entries.select_related("song__artist")[:50]:
        assert (row.title, row.artist_name, row.artist_id) == (
            row.song.title,
            row.song.artist.name,
            row.song.artist_id,
        )
    # Trend fields over a month: moves, new entries and more than one day on the chart.
    assert entries.exclude(movement__in=[0, None]).exists()
    assert entries.filter(days_on_chart__gt=1).exists()
    assert entries.filter(snapshot=snapshots[-1], is_new=False).exists()

    # The charts endpoints work on it.
    listed = api_client.get("/api/v1/charts/").json()["results"]
    assert [(c["slug"], c["latest_date"]) for c in listed] == [
        (DEMO_CHART_SLUG, snapshots[-1].date.isoformat())
    ]
    latest = api_client.get(f"/api/v1/charts/{DEMO_CHART_SLUG}/").json()
    assert latest["date"] == snapshots[-1].date.isoformat()
    assert latest["results"][0]["position"] == 1 and latest["results"][0]["song"] is not None
    top_song = latest["results"][0]["song"]
    history = api_client.get(f"/api/v1/charts/{DEMO_CHART_SLUG}/history/", {"song": top_song})
    assert history.status_code == 200 and history.json()[-1]["position"] == 1
    for path in ("movers/", "artists/", f"{snapshots[-1].date}/dropped/"):
        assert api_client.get(f"/api/v1/charts/{DEMO_CHART_SLUG}/{path}").status_code == 200

    # Running it again changes nothing.
    before = chart_state()
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "charts.demo: chart=demo-daily-songs, created=False" in out.getvalue()
    assert chart_state() == before
