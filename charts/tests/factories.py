"""Factories for chart rows, and helpers that build feeds and ingest them like the real code.

Snapshots with entries are best made through `ingest` (the real service), so trend
fields are always consistent; the model factories are for the odd row a test needs.
"""

from collections.abc import Mapping, Sequence
from datetime import date

import factory

from charts import services
from charts.models import Chart, ChartKind, ChartTrack, IngestionRun
from charts.parsers import SOURCE_APPLE_MUSIC, SOURCE_SPOTIFY_CSV, ParsedEntry, ParsedFeed


class ChartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Chart

    slug = factory.Sequence(lambda n: f"chart-{n}")
    name = factory.Sequence(lambda n: f"Chart {n}")
    source = SOURCE_SPOTIFY_CSV
    country = "us"
    kind = ChartKind.SONGS
    size = 200


class FeedChartFactory(ChartFactory):
    source = SOURCE_APPLE_MUSIC
    feed_url = factory.LazyAttribute(
        lambda o: f"https://rss.example.com/api/v2/{o.country}/music/most-played/10/songs.json"
    )
    size = 10


class ChartTrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChartTrack

    key = factory.Sequence(lambda n: f"spotify:track{n}")
    title = factory.Sequence(lambda n: f"Track {n}")
    artist_name = "Someone"
    name_key = factory.LazyAttribute(lambda o: f"{o.title.lower()}|someone")
    artist_key = "someone"


class IngestionRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IngestionRun

    chart = factory.SubFactory(ChartFactory)
    status = IngestionRun.Status.SUCCEEDED


def entry(position: int, track: str, *, artist: str = "", external_id: str | None = None, **kw):
    """A parsed entry for track `track`: its title, and (by default) an id derived from it."""
    return ParsedEntry(
        position=position,
        title=track,
        artist_name=artist or f"Artist of {track}",
        external_id=f"id-{track}" if external_id is None else external_id,
        **kw,
    )


def feed(tracks: Sequence[str | ParsedEntry], *, country: str = "us", **kw) -> ParsedFeed:
    """A feed listing `tracks` in rank order (names, or ready-made entries)."""
    entries = [
        item if isinstance(item, ParsedEntry) else entry(position, item)
        for position, item in enumerate(tracks, start=1)
    ]
    return ParsedFeed(
        source=SOURCE_SPOTIFY_CSV, entries=entries, country=country, kind="songs", **kw
    )


def ingest(chart: Chart, days: Mapping[date, Sequence[str | ParsedEntry]]):
    """Ingest one feed per date through the real service."""
    return services.chart_ingest(chart=chart, feeds={d: feed(t) for d, t in days.items()})
