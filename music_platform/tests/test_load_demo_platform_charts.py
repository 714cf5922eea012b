"""`load_demo` on a fresh clone (no real chart files): the platform charts get a month of
history computed from the demo listening, idempotently, and every charts endpoint works on
them, and the songs at the top of the latest daily chart play (issue 14: "make run shows
platform charts with history, linked entries that play")."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from charts.models import Chart, ChartEntry, ChartSnapshot, ChartTrack, IngestionRun
from charts.services.platform import PLATFORM_CHARTS
from music_platform.management.commands.load_demo import CHART_AUDIO_SONGS

SONGS = "platform-daily-songs"


def chart_state():
    return {
        "snapshots": list(
            ChartSnapshot.objects.order_by("chart__slug", "date").values_list(
                "pk", "date", "checksum"
            )
        ),
        "entries": ChartEntry.objects.count(),
        "tracks": ChartTrack.objects.count(),
        "runs": IngestionRun.objects.count(),
    }


@pytest.mark.slow
# Transactional, as `make run` is: the demo audio is made by a pool of processes.
@pytest.mark.django_db(transaction=True)
def test_load_demo_computes_a_month_of_platform_charts(settings, tmp_path, api_client):
    settings.MUSIC_DATA_DIR = tmp_path / "empty"
    (tmp_path / "empty").mkdir()
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert f"No chart CSVs at {tmp_path / 'empty'}" in out.getvalue()
    assert f"platform charts: {SONGS}=30 snapshots, platform-daily-artists=30 snapshots" in (
        out.getvalue()
    )
    assert set(Chart.objects.values_list("slug", "source")) == {
        (spec.slug, "platform") for spec in PLATFORM_CHARTS
    }
    chart = Chart.objects.get(slug=SONGS)
    snapshots = list(chart.snapshots.order_by("date"))
    yesterday = timezone.now().date() - timedelta(days=1)
    assert [s.date for s in snapshots] == [yesterday - timedelta(days=n) for n in range(29, -1, -1)]
    assert ChartSnapshot.objects.filter(chart__slug="platform-weekly-songs").count() in (4, 5)
    entries = ChartEntry.objects.filter(snapshot__chart=chart)
    assert all(0 < s.entry_count <= 200 for s in snapshots)
    # Every entry is its catalog song, with the song's title and artist: it can be played.
    assert not entries.filter(song__isnull=True).exists()
    for row in entries.select_related("song__artist")[:50]:
        assert (row.title, row.artist_name, row.artist_id) == (
            row.song.title,
            row.song.artist.name,
            row.song.artist_id,
        )
    assert not ChartEntry.objects.filter(
        snapshot__chart__slug="platform-daily-artists", artist__isnull=True
    ).exists()
    # Trend fields over a month: moves, new entries and more than one day on the chart.
    assert entries.exclude(movement__in=[0, None]).exists()
    assert entries.filter(days_on_chart__gt=1).exists()
    assert entries.filter(snapshot=snapshots[-1], is_new=False).exists()

    # The charts endpoints work on it, and its top song plays.
    listed = api_client.get("/api/v1/charts/").json()["results"]
    assert (SONGS, snapshots[-1].date.isoformat()) in [
        (c["slug"], c["latest_date"]) for c in listed
    ]
    latest = api_client.get(f"/api/v1/charts/{SONGS}/").json()
    assert latest["date"] == snapshots[-1].date.isoformat()
    top_song = latest["results"][0]["song"]
    assert latest["results"][0]["position"] == 1 and top_song is not None
    assert api_client.get(f"/api/v1/songs/{top_song}/").status_code == 200
    history = api_client.get(f"/api/v1/charts/{SONGS}/history/", {"song": top_song})
    assert history.status_code == 200 and history.json()[-1]["position"] == 1
    for path in ("movers/", "artists/", f"{snapshots[-1].date}/dropped/"):
        assert api_client.get(f"/api/v1/charts/{SONGS}/{path}").status_code == 200

    # Every song at the top of the latest chart has audio of its own, and its stream answers.
    top = latest["results"][:CHART_AUDIO_SONGS]
    assert len(top) >= 10
    assert "platform chart songs given audio" in out.getvalue()
    tails = set()
    for row in top:
        audio = api_client.get(f"/api/v1/songs/{row['song']}/").json()["audio"]
        assert audio["status"] == "ready", row
        response = api_client.get(audio["streams"]["medium"])
        assert response.status_code == 200 and response["Content-Type"] == "audio/mpeg"
        body = b"".join(response.streaming_content)
        assert body[:3] == b"ID3" and len(body) > 100_000
        tails.add(body[-50_000:])
    assert len(tails) == len(top)  # each its own music

    # Running it again changes nothing.
    before = chart_state()
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "Platform charts already computed." in out.getvalue()
    assert chart_state() == before
