"""Chart entries link to catalog songs: by Spotify id, ISRC, catalog id (platform charts), or
normalised title and artist; songs the catalog gains later link earlier entries; staff
matches are kept; imports report their match rates."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from catalog.tests.factories import ArtistFactory, SongFactory
from charts import selectors, services
from charts.models import ChartEntry, ChartTrack
from charts.parsers import KIND_ARTISTS, SOURCE_APPLE_MUSIC, SOURCE_PLATFORM, ParsedFeed
from charts.tasks import chart_tracks_link_task

from .factories import ChartFactory, entry, ingest
from .samples import global_daily_files

pytestmark = pytest.mark.django_db

D1 = date(2024, 3, 1)


def links():
    return list(
        ChartEntry.objects.order_by("snapshot__date", "position").values_list(
            "position", "song_id", "artist_id", "track__match_method"
        )
    )


def test_each_key_links_an_entry():
    by_spotify = SongFactory(title="Other Title", spotify_id="sp-1")
    by_isrc = SongFactory(title="Yet Another", isrc="USRC17607839")
    by_name = SongFactory(title="Don't Start Now", artist=ArtistFactory(name="Dua Lipa"))
    chart = ChartFactory()
    ingest(
        chart,
        {
            D1: [
                entry(1, "x", external_id="sp-1"),
                entry(2, "y", external_id="no-such-id", isrc="usrc17607839"),
                entry(3, "Dont Start Now (feat. Nobody)", artist="DUA LIPA, Someone"),
                entry(4, "Nowhere", artist="Nobody"),
            ]
        },
    )
    assert links() == [
        (1, by_spotify.pk, by_spotify.artist_id, "external_id"),
        (2, by_isrc.pk, by_isrc.artist_id, "isrc"),
        (3, by_name.pk, by_name.artist_id, "name"),
        (4, None, None, ""),
    ]
    assert ChartTrack.objects.get(key="spotify:no-such-id").isrc == "USRC17607839"


def test_platform_charts_link_by_catalog_id():
    song = SongFactory(title="Same Name")
    namesake = SongFactory(title="Same Name", artist=song.artist)  # a name match could pick it
    artist = ArtistFactory()
    songs_chart = ChartFactory(slug="p-songs", source=SOURCE_PLATFORM, country="global")
    services.chart_ingest(
        chart=songs_chart,
        feeds={
            D1: ParsedFeed(
                source=SOURCE_PLATFORM,
                entries=[entry(1, "Same Name", external_id=str(namesake.pk))],
                country="global",
                kind="songs",
            )
        },
    )
    artists_chart = ChartFactory(
        slug="p-artists", source=SOURCE_PLATFORM, country="global", kind=KIND_ARTISTS
    )
    services.chart_ingest(
        chart=artists_chart,
        feeds={
            D1: ParsedFeed(
                source=SOURCE_PLATFORM,
                entries=[entry(1, artist.name, artist=artist.name, external_id=str(artist.pk))],
                country="global",
                kind=KIND_ARTISTS,
            )
        },
    )
    assert {t.key: (t.song_id, t.artist_id, t.match_method) for t in ChartTrack.objects.all()} == {
        f"song:{namesake.pk}": (namesake.pk, song.artist_id, "catalog_id"),
        f"artist:{artist.pk}": (None, artist.pk, "catalog_id"),
    }


def test_songs_the_catalog_gains_later_link_earlier_entries_and_staff_matches_stay():
    chart = ChartFactory()
    ingest(
        chart,
        {
            D1: [entry(1, "Late Song", external_id="sp-late"), entry(2, "Staff Pick")],
            D1 + timedelta(1): [entry(1, "Late Song", external_id="sp-late")],
        },
    )
    staff_choice = SongFactory(title="Something else")
    picked = ChartTrack.objects.get(title="Staff Pick")
    services.chart_track_resolve(track=picked, song=staff_choice)
    assert selectors.chart_link_rates(chart=chart) == {
        "tracks": 2,
        "tracks_linked": 1,
        "entries": 3,
        "entries_linked": 1,
    }
    # The catalog import comes later; a namesake of the staff pick too.
    late = SongFactory(title="Completely renamed", spotify_id="sp-late")
    SongFactory(title="Staff Pick", artist=ArtistFactory(name="Artist of Staff Pick"))
    assert chart_tracks_link_task.apply().get() == {"looked_at": 1, "matched": 1}
    assert links() == [
        (1, late.pk, late.artist_id, "external_id"),
        (2, staff_choice.pk, staff_choice.artist_id, "manual"),
        (1, late.pk, late.artist_id, "external_id"),
    ]
    out = StringIO()
    call_command("link_chart_tracks", stdout=out)
    assert "0 unmatched tracks looked at, 0 now matched" in out.getvalue()
    assert "All charts linked to the catalog: 2 of 2 (100.0%) tracks, 3 of 3 (100.0%)" in (
        out.getvalue()
    )


def test_linking_is_bulk(django_assert_num_queries):
    chart = ChartFactory()
    ingest(chart, {D1: [entry(n, f"Song {n}", external_id=f"sp-{n}") for n in range(1, 41)]})
    for n in range(1, 41):
        SongFactory(spotify_id=f"sp-{n}")
    with django_assert_num_queries(7):  # batch, ids, ISRCs skipped, artists; update + links
        assert services.chart_tracks_link()[1] == 40
    assert ChartEntry.objects.filter(song__isnull=True).count() == 0


def test_an_import_reports_its_match_rates():
    files = global_daily_files()
    ids = []
    for line in files[0].read_text().splitlines()[2:5]:
        ids.append(line.rsplit("/", 1)[-1].strip())
    for spotify_id in ids:
        SongFactory(spotify_id=spotify_id)
    out = StringIO()
    call_command("import_chart_csv", str(files[0]), chart="global-test", stdout=out)
    entries = ChartEntry.objects.count()
    assert f"linked to the catalog: 3 of {entries} (" in out.getvalue()


def test_apple_feeds_can_carry_isrcs_too():
    song = SongFactory(isrc="GBAYE0601498")
    chart = ChartFactory(source=SOURCE_APPLE_MUSIC)
    feeds = {
        D1: ParsedFeed(
            source=SOURCE_APPLE_MUSIC,
            entries=[entry(1, "Different", isrc="GBAYE0601498")],
            country="us",
            kind="songs",
        )
    }
    services.chart_ingest(chart=chart, feeds=feeds)
    assert links() == [(1, song.pk, song.artist_id, "isrc")]


@pytest.mark.parametrize(
    ("catalog", "charted"),
    [
        (("Señorita", "Shawn Mendes"), ("Senorita", "Shawn Mendes, Camila Cabello")),
        (("Senorita", "Shawn Mendes"), ("SEÑORITA", "Shawn Mendes")),
        (("Déjà Vu", "Beyoncé"), ("Deja Vu (feat. Jay-Z)", "Beyonce")),
        (("Işıklar", "Zeynep Bastık"), ("ISIKLAR", "ZEYNEP BASTIK")),  # Turkish dotless i
        (("Işık", "İlyas Yalçıntaş"), ("Isik", "Ilyas Yalcintas")),
        (("Ça Va Aller", "Jérémy Frérot"), ("Ca va aller", "Jeremy Frerot")),
    ],
)
def test_accent_only_differences_link_by_name(catalog, charted):
    song = SongFactory(title=catalog[0], artist=ArtistFactory(name=catalog[1]))
    ingest(ChartFactory(), {D1: [entry(1, charted[0], artist=charted[1], external_id="")]})
    assert links() == [(1, song.pk, song.artist_id, "name")]


def test_accent_only_differences_link_artists_and_later_imports():
    beyonce = ArtistFactory(name="Beyoncé")
    chart = ChartFactory()
    ingest(
        chart,
        {
            D1: [
                entry(1, "Not In The Catalog", artist="Beyonce", external_id=""),
                entry(2, "Senorita", artist="Shawn Mendes", external_id=""),
            ]
        },
    )
    assert links() == [(1, None, beyonce.pk, ""), (2, None, None, "")]
    # The catalog gains the song later, spelt with its accent: the nightly link finds it.
    song = SongFactory(title="Señorita", artist=ArtistFactory(name="Shawn Mendes"))
    assert services.chart_tracks_link()[1] == 1
    assert links() == [(1, None, beyonce.pk, ""), (2, song.pk, song.artist_id, "name")]


@pytest.mark.parametrize(
    ("catalog", "charted"),
    [
        (("カゲ", "Aimer"), ("カケ", "Aimer")),  # a dakuten changes the word: kept
        (("사랑", "IU"), ("사람", "IU")),
        (("Мой", "Artist"), ("Мои", "Artist")),  # й is its own letter
    ],
)
def test_marks_that_change_meaning_do_not_link(catalog, charted):
    SongFactory(title=catalog[0], artist=ArtistFactory(name=catalog[1]))
    ingest(ChartFactory(), {D1: [entry(1, charted[0], artist=charted[1], external_id="")]})
    assert links()[0][1] is None
