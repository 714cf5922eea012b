"""Import Spotify track CSVs (artists, albums, songs with audio features and genres).

The format is the Kaggle "Spotify Music Data" pull (see ``shared/data/README.md`` §4):
columns are read by name, so their order does not matter. The import is idempotent on
Spotify ids (``track_id`` for songs, ``track_album_id`` for albums); artists, which the
files carry only as a credit string, are matched by name. Everything is written with
``bulk_create``/``bulk_update`` in batches inside one transaction.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import connection, transaction
from django.utils.text import slugify

from catalog.attributes import AUDIO_FEATURES, SONG_ATTRIBUTES
from catalog.caching import catalog_changed
from catalog.models import Album, Artist, Genre, Song

SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")
REQUIRED_COLUMNS = {"track_id", "track_name", "track_artist", "track_album_id", "track_album_name"}

Progress = Callable[[str], None]


class RowError(ValueError):
    """A row that cannot be imported; the message is the reason shown in the summary."""


@dataclass
class EntityCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportReport:
    rows: int = 0
    tracks: int = 0
    skipped: Counter = field(default_factory=Counter)
    genres: EntityCounts = field(default_factory=EntityCounts)
    artists: EntityCounts = field(default_factory=EntityCounts)
    albums: EntityCounts = field(default_factory=EntityCounts)
    songs: EntityCounts = field(default_factory=EntityCounts)
    seconds: float = 0.0

    @property
    def skipped_rows(self) -> int:
        return sum(self.skipped.values())

    def lines(self) -> list[str]:
        out = [
            f"Read {self.rows} rows ({self.tracks} distinct valid tracks) in {self.seconds:.2f} s.",
        ]
        for name in ("genres", "artists", "albums", "songs"):
            counts: EntityCounts = getattr(self, name)
            out.append(
                f"  {name:8} created {counts.created:6}  updated {counts.updated:6}  "
                f"unchanged {counts.unchanged:6}"
            )
        out.append(f"  skipped rows: {self.skipped_rows}")
        for reason, n in self.skipped.most_common():
            out.append(f"    {n:6}  {reason}")
        return out


@dataclass(frozen=True)
class TrackRow:
    track_id: str
    title: str
    credit: str
    album_id: str
    album_title: str
    release_date: date | None
    year: int | None
    genre_label: str
    popularity: int
    duration_ms: int | None
    features: dict


# --- parsing -------------------------------------------------------------------------------


def _float(row: dict, name: str, low: float, high: float) -> float | None:
    raw = (row.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise RowError(f"invalid {name}") from exc
    if not math.isfinite(value) or not low <= value <= high:
        raise RowError(f"{name} out of range")
    return value


def _ranged(row: dict, name: str, *, column: str | None = None) -> float | int | None:
    """The row's value of song attribute ``name``, checked against its range in the table."""
    attribute = SONG_ATTRIBUTES[name]
    if attribute.integer:
        return _int(row, column or name, int(attribute.low), int(attribute.high))
    return _float(row, column or name, attribute.low, attribute.high)


def _int(row: dict, name: str, low: int, high: int) -> int | None:
    value = _float(row, name, low, high)
    if value is None:
        return None
    if value != int(value):
        raise RowError(f"invalid {name}")
    return int(value)


def parse_release(raw: str) -> tuple[date | None, int | None]:
    """``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` (Spotify's release date precisions)."""
    raw = (raw or "").strip()
    if not raw:
        return None, None
    parts = raw.split("-")
    try:
        year = int(parts[0])
        day = date(year, int(parts[1]), int(parts[2])) if len(parts) == 3 else None
    except ValueError as exc:
        raise RowError("invalid track_album_release_date") from exc
    if not 1900 <= year <= 2100:
        raise RowError("track_album_release_date out of range")
    return day, year


def parse_row(row: dict) -> TrackRow:
    track_id = (row.get("track_id") or "").strip()
    if not track_id:
        raise RowError("missing track_id")
    if not SPOTIFY_ID.match(track_id):
        raise RowError("invalid track_id")
    title = (row.get("track_name") or "").strip()
    credit = (row.get("track_artist") or "").strip()
    album_id = (row.get("track_album_id") or "").strip()
    album_title = (row.get("track_album_name") or "").strip()
    if not title:
        raise RowError("missing track_name")
    if not credit:
        raise RowError("missing track_artist")
    if not SPOTIFY_ID.match(album_id):
        raise RowError("missing or invalid track_album_id")
    if len(title) > 300 or len(album_title) > 300 or len(credit) > 2000:
        raise RowError("text too long")
    release_date, year = parse_release(row.get("track_album_release_date", ""))
    features = {name: _ranged(row, name) for name in AUDIO_FEATURES}
    return TrackRow(
        track_id=track_id,
        title=title,
        credit=credit,
        album_id=album_id,
        album_title=album_title or title,
        release_date=release_date,
        year=year,
        genre_label=(row.get("playlist_genre") or "").strip(),
        popularity=_ranged(row, "popularity", column="track_popularity") or 0,
        duration_ms=_ranged(row, "duration_ms"),
        features=features,
    )


def read_rows(paths: Iterable[Path | str]) -> Iterator[tuple[str, int, dict]]:
    for path in paths:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = REQUIRED_COLUMNS - set(reader.fieldnames or [])
            if missing:
                raise ValueError(f"{path}: missing columns {', '.join(sorted(missing))}")
            for line, row in enumerate(reader, start=2):
                yield str(path), line, row


# --- names -----------------------------------------------------------------------------------


def genre_slug(label: str) -> str:
    return slugify(label.replace("&", " and "))[:64]


def genre_name(label: str) -> str:
    return label if label != label.lower() else label.title()


def known_single_names(credits: Iterable[str]) -> set[str]:
    """Credits that name one act: those without ", ", and those (like "Tyler, The Creator")
    that also lead a longer credit ("Tyler, The Creator, Kali Uchis") while none of their
    pieces is an act of its own (so "21 Savage, Metro Boomin" stays a collaboration)."""
    credits = set(credits)
    plain = {c for c in credits if ", " not in c}
    single = set(plain)
    for credit in credits:
        parts = credit.split(", ")
        for k in range(2, len(parts)):
            lead = ", ".join(parts[:k])
            if lead in credits and not any(part in plain for part in parts[:k]):
                single.add(lead)
    return single


def primary_artist(credit: str, known: set[str]) -> str:
    """The lead act of a credit such as "Lady Gaga, Bruno Mars" (names may hold commas)."""
    parts = [p.strip() for p in credit.split(", ") if p.strip()]
    for k in range(len(parts), 0, -1):
        candidate = ", ".join(parts[:k])
        if candidate in known:
            return candidate
    return parts[0] if parts else credit


def artist_slug_base(name: str) -> str:
    base = slugify(name)[:200]
    if not base:  # names in non-Latin scripts: a stable, readable-enough fallback
        base = "artist-" + hashlib.sha1(name.encode()).hexdigest()[:8]
    return base


# --- the import ------------------------------------------------------------------------------


def _batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _upsert_genres(tracks: list[TrackRow], report: ImportReport) -> dict[str, Genre]:
    labels = {t.genre_label for t in tracks if t.genre_label and genre_slug(t.genre_label)}
    by_slug = {genre_slug(label): label for label in sorted(labels)}
    existing = {g.slug: g for g in Genre.objects.filter(slug__in=by_slug)}
    new = [
        Genre(slug=slug, name=genre_name(label))
        for slug, label in by_slug.items()
        if slug not in existing
    ]
    Genre.objects.bulk_create(new, ignore_conflicts=True)
    report.genres.created += len(new)
    report.genres.unchanged += len(existing)
    return {g.slug: g for g in Genre.objects.filter(slug__in=by_slug)}


def _upsert_artists(
    names: set[str], genres_by_artist: dict[str, set[int]], report: ImportReport, batch_size: int
) -> dict[str, Artist]:
    existing: dict[str, Artist] = {}
    for artist in Artist.objects.filter(name__in=names).order_by("id"):
        existing.setdefault(artist.name, artist)
    missing = sorted(names - set(existing))
    bases = {name: artist_slug_base(name) for name in missing}
    # One read of every slug is cheaper than a query per name, even for a large catalog.
    taken = set(Artist.objects.values_list("slug", flat=True)) if bases else set()
    new = []
    for name in missing:
        slug, n = bases[name], 2
        while slug in taken:
            slug, n = f"{bases[name]}-{n}", n + 1
        taken.add(slug)
        new.append(Artist(name=name, slug=slug))
    for batch in _batches(new, batch_size):
        Artist.objects.bulk_create(batch)
    report.artists.created += len(new)
    report.artists.unchanged += len(existing)
    by_name = {**existing, **{a.name: a for a in new}}
    through = Artist.genres.through
    links = [
        through(artist_id=by_name[name].pk, genre_id=genre_id)
        for name, genre_ids in genres_by_artist.items()
        for genre_id in genre_ids
    ]
    for batch in _batches(links, batch_size):
        through.objects.bulk_create(batch, ignore_conflicts=True)
    return by_name


def _upsert_albums(
    tracks: list[TrackRow],
    artists: dict[str, Artist],
    lead_of: dict[str, str],
    genres: dict[str, Genre],
    report: ImportReport,
    batch_size: int,
) -> dict[str, Album]:
    first_track: dict[str, TrackRow] = {}
    for track in tracks:
        first_track.setdefault(track.album_id, track)
    existing = {a.spotify_id: a for a in Album.objects.filter(spotify_id__in=first_track)}
    new, changed = [], []
    for album_id, track in first_track.items():
        values = {
            "title": track.album_title,
            "release_date": track.release_date,
            "year": track.year,
        }
        album = existing.get(album_id)
        if album is None:
            new.append(
                Album(
                    spotify_id=album_id,
                    artist=artists[lead_of[track.credit]],
                    genre=genres.get(genre_slug(track.genre_label)),
                    **values,
                )
            )
        elif any(getattr(album, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(album, k, v)
            changed.append(album)
    for batch in _batches(new, batch_size):
        Album.objects.bulk_create(batch)
    for batch in _batches(changed, batch_size):
        Album.objects.bulk_update(batch, ["title", "release_date", "year"])
    report.albums.created += len(new)
    report.albums.updated += len(changed)
    report.albums.unchanged += len(existing) - len(changed)
    return {**existing, **{a.spotify_id: a for a in new}}


SONG_FIELDS = ["title", "artist_id", "album_id", "genre_id", "year", "duration_ms", "popularity"]


def _song_values(track, artists, lead_of, albums, genres) -> dict:
    genre = genres.get(genre_slug(track.genre_label))
    return {
        "title": track.title,
        "artist_id": artists[lead_of[track.credit]].pk,
        "album_id": albums[track.album_id].pk,
        "genre_id": genre.pk if genre else None,
        "year": track.year,
        "duration_ms": track.duration_ms,
        "popularity": track.popularity,
        **track.features,
    }


def _upsert_songs(tracks, artists, lead_of, albums, genres, report, batch_size, progress):
    fields = [*SONG_FIELDS, *tracks[0].features] if tracks else SONG_FIELDS
    done = 0
    for batch in _batches(tracks, batch_size):
        existing = {
            s.spotify_id: s for s in Song.objects.filter(spotify_id__in=[t.track_id for t in batch])
        }
        new, changed = [], []
        for track in batch:
            values = _song_values(track, artists, lead_of, albums, genres)
            song = existing.get(track.track_id)
            if song is None:
                new.append(Song(spotify_id=track.track_id, **values))
            elif any(getattr(song, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(song, k, v)
                changed.append(song)
        Song.objects.bulk_create(new)
        if changed:
            Song.objects.bulk_update(changed, fields)
        report.songs.created += len(new)
        report.songs.updated += len(changed)
        report.songs.unchanged += len(existing) - len(changed)
        done += len(batch)
        if progress:
            progress(
                f"songs {done}/{len(tracks)}: +{report.songs.created} created, "
                f"{report.songs.updated} updated"
            )


def import_tracks(
    paths: Iterable[Path | str], *, batch_size: int = 1000, progress: Progress | None = None
) -> ImportReport:
    """Import track CSVs; safe to run again (nothing new is created the second time)."""
    started = time.monotonic()
    report = ImportReport()
    tracks: list[TrackRow] = []
    seen: set[str] = set()
    for path, line, row in read_rows(paths):
        report.rows += 1
        try:
            track = parse_row(row)
        except RowError as exc:
            report.skipped[str(exc)] += 1
            continue
        if track.track_id in seen:
            report.skipped["duplicate track_id (the first row with it wins)"] += 1
            continue
        seen.add(track.track_id)
        tracks.append(track)
        if progress and report.rows % (batch_size * 2) == 0:
            progress(f"read {report.rows} rows from {Path(path).name} (line {line})")
    report.tracks = len(tracks)
    if progress:
        progress(f"read {report.rows} rows, {len(tracks)} distinct tracks")

    with transaction.atomic():
        genres = _upsert_genres(tracks, report)
        credits = {t.credit for t in tracks}
        known = known_single_names(credits) | set(
            Artist.objects.filter(name__in=credits).values_list("name", flat=True)
        )
        lead_of = {credit: primary_artist(credit, known) for credit in credits}
        genres_by_artist: dict[str, set[int]] = {}
        for track in tracks:
            genre = genres.get(genre_slug(track.genre_label))
            if genre is not None:
                genres_by_artist.setdefault(lead_of[track.credit], set()).add(genre.pk)
        artists = _upsert_artists(set(lead_of.values()), genres_by_artist, report, batch_size)
        if progress:
            progress(
                f"artists: {report.artists.created} created, {report.artists.unchanged} existing"
            )
        albums = _upsert_albums(tracks, artists, lead_of, genres, report, batch_size)
        if progress:
            progress(
                f"albums: {report.albums.created} created, {report.albums.updated} updated, "
                f"{report.albums.unchanged} unchanged"
            )
        _upsert_songs(tracks, artists, lead_of, albums, genres, report, batch_size, progress)
        catalog_changed()  # bulk writes send no model signals
    if report.artists.created or report.albums.created or report.songs.created:
        # Fresh planner statistics, so search uses the trigram indexes on a grown catalog.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE catalog_artist, catalog_album, catalog_song")
    report.seconds = time.monotonic() - started
    return report
