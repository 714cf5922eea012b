"""Chart tracks: the identity of an entry's track, and its link to catalog songs and artists
(matched in bulk at ingestion, or set by staff)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.db.models import Q

from catalog.models import Artist, Song
from charts.models import Chart, ChartEntry, ChartTrack
from charts.normalization import (
    fold_text,
    name_key,
    normalize_artist,
    primary_artist,
    strip_credits,
)
from charts.parsers import KIND_ALBUMS, SOURCE_SPOTIFY_CSV, ParsedEntry
from charts.trends import dedupe_keys

# Sources whose external ids live in the same id space (and catalog column).
_ID_NAMESPACE = {SOURCE_SPOTIFY_CSV: "spotify"}
_DEFAULT_NAMESPACE = "apple"
_CATALOG_ID_FIELD = {"spotify": "spotify_id", "apple": "apple_id"}
_MAX_KEY = 255
_NAME_MATCH_CHUNK = 50
TEXT_MAX = 500  # titles, artist credits and URLs of tracks and entries
BATCH_SIZE = 2000


def _namespace(chart: Chart) -> str:
    namespace = _ID_NAMESPACE.get(chart.source, _DEFAULT_NAMESPACE)
    return f"{namespace}-album" if chart.kind == KIND_ALBUMS else namespace


def track_key(chart: Chart, entry: ParsedEntry) -> str:
    """The identity of an entry's track: its external id, or its normalised name."""
    if entry.external_id:
        key = f"{_namespace(chart)}:{entry.external_id}"
    else:
        prefix = "name-album" if chart.kind == KIND_ALBUMS else "name"
        key = f"{prefix}:{name_key(entry.title, entry.artist_name)}"
    if len(key) > _MAX_KEY - 8:  # leave room for a "#n" suffix
        key = f"{key[:180]}~{hashlib.sha256(key.encode()).hexdigest()[:40]}"
    return key


def entry_keys(chart: Chart, entries: Sequence[ParsedEntry]) -> list[tuple[str, ParsedEntry]]:
    ordered = sorted(entries, key=lambda e: e.position)
    keys = dedupe_keys([track_key(chart, entry) for entry in ordered])
    return list(zip(keys, ordered, strict=True))


def tracks_for(
    chart: Chart, keyed_entries: Iterable[tuple[str, ParsedEntry]]
) -> tuple[dict[str, ChartTrack], int, int]:
    """The ChartTrack of every key, creating (and matching) the missing ones.

    Returns the tracks by key, how many were created, and how many of those were matched
    to the catalog.
    """
    first_seen: dict[str, ParsedEntry] = {}
    for key, entry in keyed_entries:
        first_seen.setdefault(key, entry)
    keys = list(first_seen)
    tracks = _load_tracks(keys)
    missing = [key for key in keys if key not in tracks]
    if not missing:
        return tracks, 0, 0

    new_tracks = [
        ChartTrack(
            key=key,
            kind=chart.kind,
            title=first_seen[key].title[:TEXT_MAX],
            artist_name=first_seen[key].artist_name[:TEXT_MAX],
            name_key=name_key(first_seen[key].title, first_seen[key].artist_name)[:1000],
            artist_key=normalize_artist(first_seen[key].artist_name)[:TEXT_MAX],
            external_id=first_seen[key].external_id[:64],
            artist_external_id=first_seen[key].artist_external_id[:64],
            genres=list(first_seen[key].genres),
            release_date=first_seen[key].release_date,
        )
        for key in missing
    ]
    matched = match_tracks(tracks=new_tracks, namespace=_namespace(chart).split("-")[0])
    # Another chart's ingest may create the same track meanwhile: keep whichever came first.
    ChartTrack.objects.bulk_create(new_tracks, batch_size=BATCH_SIZE, ignore_conflicts=True)
    tracks.update(_load_tracks(missing))
    return tracks, len(new_tracks), matched


def _load_tracks(keys: Sequence[str]) -> dict[str, ChartTrack]:
    tracks: dict[str, ChartTrack] = {}
    for start in range(0, len(keys), 5000):
        for track in ChartTrack.objects.filter(key__in=keys[start : start + 5000]).only(
            "id", "key", "song_id", "artist_id"
        ):
            tracks[track.key] = track
    return tracks


def match_tracks(*, tracks: Sequence[ChartTrack], namespace: str) -> int:
    """Link unsaved tracks to catalog songs and artists, in bulk; the number matched.

    Songs: by external id, then by normalised title + primary artist. Artists: the matched
    song's artist, else by external artist id, else by normalised primary artist name.
    Albums are matched to their artist only.
    """
    id_field = _CATALOG_ID_FIELD.get(namespace)
    songs_wanted = [t for t in tracks if t.kind != KIND_ALBUMS]
    if id_field:
        ids = {t.external_id for t in songs_wanted if t.external_id}
        by_id = (
            {
                external: (song_id, artist_id)
                for external, song_id, artist_id in Song.objects.filter(
                    **{f"{id_field}__in": ids}
                ).values_list(id_field, "id", "artist_id")
            }
            if ids
            else {}
        )
        for track in songs_wanted:
            if track.external_id in by_id:
                track.song_id, track.artist_id = by_id[track.external_id]
                track.match_method = ChartTrack.MatchMethod.EXTERNAL_ID

    unmatched = [t for t in songs_wanted if t.song_id is None and t.title]
    for start in range(0, len(unmatched), _NAME_MATCH_CHUNK):
        _match_songs_by_name(unmatched[start : start + _NAME_MATCH_CHUNK])

    artistless = [t for t in tracks if t.artist_id is None]
    if id_field:
        artist_ids = {t.artist_external_id for t in artistless if t.artist_external_id}
        by_artist_id = (
            dict(
                Artist.objects.filter(**{f"{id_field}__in": artist_ids}).values_list(id_field, "id")
            )
            if artist_ids
            else {}
        )
        for track in artistless:
            track.artist_id = by_artist_id.get(track.artist_external_id)
    artistless = [t for t in artistless if t.artist_id is None and t.artist_key]
    for start in range(0, len(artistless), _NAME_MATCH_CHUNK):
        _match_artists_by_name(artistless[start : start + _NAME_MATCH_CHUNK])
    return sum(1 for t in tracks if t.song_id or (t.kind == KIND_ALBUMS and t.artist_id))


def _match_songs_by_name(tracks: Sequence[ChartTrack]) -> None:
    # Trigram word similarity (GIN-indexed on the catalog) narrows the candidates in one
    # query; the exact decision is the normalised-key comparison in Python.
    condition = Q()
    for track in tracks:
        condition |= Q(
            title__trigram_word_similar=strip_credits(track.title),
            artist__name__trigram_word_similar=primary_artist(track.artist_name),
        )
    candidates: dict[str, tuple[int, int]] = {}
    for song_id, title, artist_id, artist_name in (
        Song.objects.filter(condition)
        .order_by("-is_visible", "-is_public", "id")
        .values_list("id", "title", "artist_id", "artist__name")
    ):
        candidates.setdefault(name_key(title, artist_name), (song_id, artist_id))
    for track in tracks:
        if track.name_key in candidates:
            track.song_id, track.artist_id = candidates[track.name_key]
            track.match_method = ChartTrack.MatchMethod.NAME


def _match_artists_by_name(tracks: Sequence[ChartTrack]) -> None:
    condition = Q()
    for track in tracks:
        condition |= Q(name__trigram_word_similar=primary_artist(track.artist_name))
    candidates: dict[str, int] = {}
    for artist_id, name in (
        Artist.objects.filter(condition).order_by("id").values_list("id", "name")
    ):
        candidates.setdefault(normalize_artist(name), artist_id)
        candidates.setdefault(fold_text(name), artist_id)
    for track in tracks:
        track.artist_id = candidates.get(track.artist_key) or candidates.get(
            fold_text(track.artist_name)
        )


def chart_track_resolve(
    *, track: ChartTrack, song: Song | None, artist: Artist | None = None
) -> int:
    """Staff's match of a track to the catalog, applied to all its entries; rows updated."""
    if song is not None and artist is None:
        artist = song.artist
    with transaction.atomic():
        track.song = song
        track.artist = artist
        track.match_method = (
            ChartTrack.MatchMethod.MANUAL if song or artist else ChartTrack.MatchMethod.NONE
        )
        track.save(update_fields=["song", "artist", "match_method"])
        return ChartEntry.objects.filter(track=track).update(song=song, artist=artist)
