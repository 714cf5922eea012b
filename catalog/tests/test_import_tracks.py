"""``import_tracks`` on small invented files in both Kaggle column orders, edge cases on
tiny files, and (marked ``realdata``) on the real Spotify CSVs under ``MUSIC_DATA_DIR``."""

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalog.importers import import_tracks, known_single_names, parse_release, primary_artist
from catalog.models import Album, Artist, Genre, Song

# Invented rows in the shapes of the Kaggle "Spotify Music Data" files (see fixtures/README.md).
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_CSVS = [
    FIXTURES / "high_popularity_spotify_data.csv",
    FIXTURES / "low_popularity_spotify_data.csv",
]
REAL_FOLDER = "spotify_tracks_audio_features"

pytestmark = pytest.mark.django_db


def distinct(paths: list[Path], column: str) -> set[str]:
    values = set()
    for path in paths:
        with open(path, newline="", encoding="utf-8") as handle:
            values |= {row[column] for row in csv.DictReader(handle) if row[column]}
    return values


def track(n: int) -> str:
    return f"fxTrack{n:02d}" + "Q" * 13


def test_fixture_files_have_the_two_real_column_orders():
    headers = [path.read_text(encoding="utf-8").splitlines()[0].split(",") for path in FIXTURE_CSVS]
    assert headers[0] != headers[1] and sorted(headers[0]) == sorted(headers[1])
    assert len(headers[0]) == 29
    assert all(b"\r\n" in path.read_bytes() for path in FIXTURE_CSVS)


def test_fixture_files_import_once_and_only_once():
    out = StringIO()
    call_command("import_tracks", *FIXTURE_CSVS, stdout=out)
    text = out.getvalue()
    assert "Read 13 rows (10 distinct valid tracks)" in text
    assert f"songs    created {10:6}" in text
    assert "songs 10/10" in text  # progress
    assert f"{2:6}  duplicate track_id (the first row with it wins)" in text
    assert f"{1:6}  missing track_name" in text
    assert set(Song.objects.values_list("spotify_id", flat=True)) == {
        track(n) for n in (1, 2, 3, 4, 5, 7, 8, 9, 10, 11)
    }
    assert Album.objects.count() == 9  # two tracks share "Coastlines"; the skipped row's is absent
    assert not Album.objects.filter(title="Unreleased").exists()
    assert set(Genre.objects.values_list("slug", "name")) == {
        ("pop", "Pop"),
        ("hip-hop", "Hip-Hop"),
        ("j-pop", "J-Pop"),
        ("r-and-b", "R&B"),
        ("rock", "Rock"),
        ("electronic", "Electronic"),
        ("latin", "Latin"),
    }
    assert set(Artist.objects.values_list("name", flat=True)) == {
        "Mira Vale",
        "Smith, The Elder",
        "星野 ミナト",
        "Сны Полярной Ночи",
        "The Gravel Saints",
        "Nova Lane",
        "Ilse Marr",
    }

    # The first row of a duplicate wins, across files too (pop, popularity 85, not 60).
    song = Song.objects.select_related("artist", "album", "genre").get(spotify_id=track(2))
    assert (song.title, song.artist.name, song.album.title, song.genre.slug) == (
        "Hello, Goodbye (Live)",
        "Mira Vale",
        "Live at the Harbour",
        "pop",
    )
    assert (song.popularity, song.year, song.duration_ms) == (85, 2023, 245800)
    assert song.instrumentalness == pytest.approx(0.000012)
    assert Song.objects.get(spotify_id=track(1)).genre.slug == "pop"
    assert set(Artist.objects.get(name="Mira Vale").genres.values_list("slug", flat=True)) == {
        "pop",
        "latin",
    }

    # Non-Latin text is kept as is; such artists get a stable fallback slug.
    song = Song.objects.select_related("artist", "album").get(spotify_id=track(5))
    assert (song.title, song.album.title) == ("夜明けの歌", "夜明け")
    assert song.artist.slug.startswith("artist-")
    assert Song.objects.get(spotify_id=track(10)).title == "Café Olé"

    # Release dates of every precision: a day, a month ("2019-05") or a year ("2019").
    coastlines = Album.objects.get(title="Coastlines")
    assert (coastlines.release_date, coastlines.year) == (None, 2019)
    assert coastlines.songs.count() == 2 and coastlines.artist.name == "Smith, The Elder"
    north = Album.objects.get(title="Север")
    assert (north.release_date, north.year) == (None, 2019)
    leap = Song.objects.select_related("album").get(spotify_id=track(9))
    assert str(leap.album.release_date) == "2016-02-29"
    assert (leap.tempo, leap.instrumentalness, leap.artist.name) == (None, 0.912, "Nova Lane")
    demo = Song.objects.get(spotify_id=track(11))
    assert (demo.key, demo.mode, demo.year) == (-1, 0, 2007)

    counts = (Artist.objects.count(), Album.objects.count(), Song.objects.count())
    out = StringIO()
    call_command("import_tracks", *FIXTURE_CSVS, stdout=out)
    assert (Artist.objects.count(), Album.objects.count(), Song.objects.count()) == counts
    assert f"songs    created      0  updated      0  unchanged {10:6}" in out.getvalue()


@pytest.mark.slow
@pytest.mark.realdata(REAL_FOLDER)
def test_real_files_import_once_and_only_once(music_data_dir):
    csv_files = sorted((music_data_dir / REAL_FOLDER).glob("*.csv"))
    assert len(csv_files) == 2
    out = StringIO()
    call_command("import_tracks", *csv_files, stdout=out)
    tracks, albums = distinct(csv_files, "track_id"), distinct(csv_files, "track_album_id")
    assert Song.objects.count() == len(tracks)
    assert set(Song.objects.values_list("spotify_id", flat=True)) == tracks
    assert Album.objects.count() == len(albums)
    assert Genre.objects.count() == len(distinct(csv_files, "playlist_genre"))
    text = out.getvalue()
    assert f"songs    created {len(tracks):6}" in text
    assert "duplicate track_id" in text
    assert "songs 1000/" in text  # progress

    # A known track, with its audio features and genre.
    song = Song.objects.select_related("artist", "album", "genre").get(
        spotify_id="2plbrEY59IikOBgBGLjaoe"
    )
    assert (song.title, song.artist.name, song.album.title) == (
        "Die With A Smile",
        "Lady Gaga",
        "Die With A Smile",
    )
    assert (song.genre.slug, song.year, song.popularity, song.duration_ms) == (
        "pop",
        2024,
        100,
        251668,
    )
    assert (song.energy, song.tempo, song.key, song.mode) == (0.592, 157.969, 6, 0)
    assert Artist.objects.filter(name="Tyler, The Creator").exists()
    assert not Artist.objects.filter(name="Tyler").exists()

    counts = (Artist.objects.count(), Album.objects.count(), Song.objects.count())
    out = StringIO()
    call_command("import_tracks", *csv_files, stdout=out)
    assert (Artist.objects.count(), Album.objects.count(), Song.objects.count()) == counts
    assert f"songs    created      0  updated      0  unchanged {len(tracks):6}" in out.getvalue()


HEADER = (
    "track_id,track_name,track_artist,track_popularity,track_album_id,track_album_name,"
    "track_album_release_date,playlist_genre,danceability,energy,key,loudness,mode,speechiness,"
    "acousticness,instrumentalness,liveness,valence,tempo,duration_ms"
)


def write_csv(tmp_path, rows: list[str], name="tracks.csv") -> Path:
    path = tmp_path / name
    path.write_text("\r\n".join([HEADER, *rows]) + "\r\n", encoding="utf-8")
    return path


GOOD = (
    "{id},Song {n},Artist {n},50,{album},Album {n},2020-01-0{n},r&b,"
    "0.5,0.5,5,-6,1,0.05,0.1,0,0.1,0.5,120,200000"
)


def good(n: int, track_id: str | None = None, album: str | None = None) -> str:
    return GOOD.format(id=track_id or f"{n:022d}", n=n, album=album or f"A{n:021d}")


def test_bad_rows_are_skipped_with_reasons(tmp_path):
    path = write_csv(
        tmp_path,
        [
            good(1),
            good(1),  # duplicate
            good(2).replace("0.5,0.5,5", "1.5,0.5,5"),  # danceability out of range
            good(3).replace(",Song 3,", ",,"),  # no title
            "short,Song,Artist,50," + f"A{4:021d}" + ",Album,2020,pop,,,,,,,,,,,,",  # bad id
            good(5).replace("2020-01-05", "20x0"),
            good(6).replace(",120,", ",,"),  # a missing feature is fine
        ],
    )
    report = import_tracks([path])
    assert report.rows == 7
    assert report.songs.created == 2
    assert dict(report.skipped) == {
        "duplicate track_id (the first row with it wins)": 1,
        "danceability out of range": 1,
        "missing track_name": 1,
        "invalid track_id": 1,
        "invalid track_album_release_date": 1,
    }
    assert Song.objects.get(spotify_id=f"{6:022d}").tempo is None
    assert Genre.objects.get().slug == "r-and-b"
    assert Genre.objects.get().name == "R&B"


def test_changed_rows_are_updated(tmp_path):
    import_tracks([write_csv(tmp_path, [good(1), good(2)])])
    changed = write_csv(tmp_path, [good(1).replace(",50,", ",77,"), good(2)], name="v2.csv")
    report = import_tracks([changed])
    assert (report.songs.created, report.songs.updated, report.songs.unchanged) == (0, 1, 1)
    assert Song.objects.get(spotify_id=f"{1:022d}").popularity == 77


def test_missing_columns_and_files_are_command_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(CommandError, match="missing columns"):
        call_command("import_tracks", bad, stdout=StringIO())
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_tracks", tmp_path / "nope.csv", stdout=StringIO())


def test_primary_artist_keeps_names_with_commas():
    credits = [
        "Tyler, The Creator",
        "Tyler, The Creator, Kali Uchis",
        "Lady Gaga, Bruno Mars",
        "Bruno Mars",
        "21 Savage, Metro Boomin",
        "21 Savage, Metro Boomin, Drake",
        "21 Savage",
    ]
    known = known_single_names(credits)
    assert primary_artist("Tyler, The Creator, Kali Uchis", known) == "Tyler, The Creator"
    assert primary_artist("Lady Gaga, Bruno Mars", known) == "Lady Gaga"
    assert primary_artist("21 Savage, Metro Boomin, Drake", known) == "21 Savage"
    assert primary_artist("Solo", known) == "Solo"


def test_release_dates_of_every_precision():
    assert parse_release("2024-08-16")[1] == 2024
    assert parse_release("1977") == (None, 1977)
    assert parse_release("2001-05") == (None, 2001)
    assert parse_release("") == (None, None)
