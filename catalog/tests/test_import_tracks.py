"""``import_tracks`` on the real Spotify CSVs, plus edge cases on small files."""

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from catalog.importers import import_tracks, known_single_names, parse_release, primary_artist
from catalog.models import Album, Artist, Genre, Song

DATA_DIR = Path(settings.BASE_DIR).parent / "shared" / "data" / "spotify_tracks_audio_features"
CSV_FILES = sorted(DATA_DIR.glob("*.csv"))

pytestmark = pytest.mark.django_db


def distinct(column: str) -> set[str]:
    values = set()
    for path in CSV_FILES:
        with open(path, newline="", encoding="utf-8") as handle:
            values |= {row[column] for row in csv.DictReader(handle) if row[column]}
    return values


@pytest.mark.slow
@pytest.mark.skipif(not CSV_FILES, reason=f"no CSVs in {DATA_DIR}")
def test_real_files_import_once_and_only_once():
    out = StringIO()
    call_command("import_tracks", *CSV_FILES, stdout=out)
    tracks, albums = distinct("track_id"), distinct("track_album_id")
    assert Song.objects.count() == len(tracks)
    assert set(Song.objects.values_list("spotify_id", flat=True)) == tracks
    assert Album.objects.count() == len(albums)
    assert Genre.objects.count() == len(distinct("playlist_genre"))
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
    call_command("import_tracks", *CSV_FILES, stdout=out)
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
