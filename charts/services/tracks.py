"""Chart tracks: the identity of an entry's track, and its link to catalog songs and artists
(matched in bulk at ingestion, or set by staff)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from django.db import connection, transaction

from catalog.models import Artist, Song
from charts.caching import charts_changed
from charts.models import Chart, ChartEntry, ChartTrack
from charts.normalization import (
    fold_text,
    name_key,
    normalize_artist,
    primary_artist,
    strip_credits,
)
from charts.parsers import (
    KIND_ALBUMS,
    KIND_ARTISTS,
    SOURCE_PLATFORM,
    SOURCE_SPOTIFY_CSV,
    ParsedEntry,
)
from charts.trends import dedupe_keys

# Sources whose external ids live in the same id space (and catalog column).
_ID_NAMESPACE = {SOURCE_SPOTIFY_CSV: "spotify"}
_DEFAULT_NAMESPACE = "apple"
_CATALOG_ID_FIELD = {"spotify": "spotify_id", "apple": "apple_id"}
_MAX_KEY = 255
_NAME_MATCH_CHUNK = 500
TEXT_MAX = 500  # titles, artist credits and URLs of tracks and entries
BATCH_SIZE = 2000


# Platform charts list catalog rows by their own primary key: "song:<id>", "artist:<id>".
_CATALOG_NAMESPACES = ("song", "artist")


def _namespace(chart: Chart) -> str:
    if chart.source == SOURCE_PLATFORM:
        return "artist" if chart.kind == KIND_ARTISTS else "song"
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
            isrc=first_seen[key].isrc.strip().upper()[:12],
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
    """Link tracks to catalog songs and artists, in bulk (the instances are changed, not
    saved); the number matched.

    Songs, first key that finds one: the catalog id (platform charts), the external id
    (Spotify or Apple id), the ISRC, then the normalised title + primary artist. Artists:
    the matched song's artist, else the catalog id (platform artist charts), else the
    external artist id, else the normalised primary artist name. Albums are matched to
    their artist only.
    """
    id_field = _CATALOG_ID_FIELD.get(namespace)
    songs_wanted = [t for t in tracks if t.kind not in (KIND_ALBUMS, KIND_ARTISTS)]
    if namespace == "song":
        _match_by_id(songs_wanted, Song, ChartTrack.MatchMethod.CATALOG_ID)
    elif id_field:
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

    _match_songs_by_isrc([t for t in songs_wanted if t.song_id is None and t.isrc])
    unmatched = [t for t in songs_wanted if t.song_id is None and t.title]
    for start in range(0, len(unmatched), _NAME_MATCH_CHUNK):
        _match_songs_by_name(unmatched[start : start + _NAME_MATCH_CHUNK])

    artistless = [t for t in tracks if t.artist_id is None]
    if namespace == "artist":
        _match_by_id(artistless, Artist, ChartTrack.MatchMethod.CATALOG_ID)
        artistless = [t for t in artistless if t.artist_id is None]
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
    return sum(1 for t in tracks if _is_matched(t))


def _is_matched(track: ChartTrack) -> bool:
    if track.kind in (KIND_ALBUMS, KIND_ARTISTS):
        return track.artist_id is not None
    return track.song_id is not None


def _match_by_id(tracks: Sequence[ChartTrack], model: type[Song] | type[Artist], method) -> None:
    """Platform charts: the external id is the catalog row's primary key."""
    ids = {int(t.external_id) for t in tracks if t.external_id.isdigit()}
    if not ids:
        return
    if model is Song:
        found = {
            str(song_id): (song_id, artist_id)
            for song_id, artist_id in Song.objects.filter(id__in=ids).values_list("id", "artist_id")
        }
        for track in tracks:
            if track.external_id in found:
                track.song_id, track.artist_id = found[track.external_id]
                track.match_method = method
    else:
        artists = {str(pk) for pk in Artist.objects.filter(id__in=ids).values_list("id", flat=True)}
        for track in tracks:
            if track.external_id in artists:
                track.artist_id = int(track.external_id)
                track.match_method = method


def _match_songs_by_isrc(tracks: Sequence[ChartTrack]) -> None:
    isrcs = {t.isrc for t in tracks}
    if not isrcs:
        return
    by_isrc: dict[str | None, tuple[int, int]] = {}
    for isrc, song_id, artist_id in (
        Song.objects.filter(isrc__in=isrcs)
        .order_by("-is_visible", "-is_public", "id")
        .values_list("isrc", "id", "artist_id")
    ):
        by_isrc.setdefault(isrc, (song_id, artist_id))
    for track in tracks:
        if track.isrc in by_isrc:
            track.song_id, track.artist_id = by_isrc[track.isrc]
            track.match_method = ChartTrack.MatchMethod.ISRC


def _match_songs_by_name(tracks: Sequence[ChartTrack]) -> None:
    # Trigram word similarity (GIN-indexed on the catalog) narrows the candidates; the exact
    # decision is the normalised-key comparison in Python. One query with a LATERAL probe
    # per track: the same conditions OR-ed together made PostgreSQL test every song against
    # every track (2.2 s per 50 tracks with a 4,500-song catalog; 0.36 s this way).
    # Both sides of the probe are folded (charts_fold: accents stripped, migration 0003, with
    # trigram indexes on the folded catalog columns): "Senorita" and "Señorita" share only
    # half their trigrams, too few for the probe to find the song the keys then match.
    song, artist = Song._meta.db_table, Artist._meta.db_table
    sql = f"""
        SELECT id, title, artist_id, artist_name FROM (
            SELECT DISTINCT s.id, s.title, s.artist_id, a.name AS artist_name,
                   s.is_visible, s.is_public
            FROM unnest(%s::text[], %s::text[]) AS q(title, artist)
            JOIN LATERAL (
                SELECT id, title, artist_id, is_visible, is_public FROM {song}
                WHERE charts_fold(title) %%> charts_fold(q.title)
            ) s ON true
            JOIN {artist} a
              ON a.id = s.artist_id AND charts_fold(a.name) %%> charts_fold(q.artist)
        ) found
        ORDER BY is_visible DESC, is_public DESC, id"""
    titles = [strip_credits(track.title) for track in tracks]
    artists = [primary_artist(track.artist_name) for track in tracks]
    candidates: dict[str, tuple[int, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [titles, artists])
        for song_id, title, artist_id, artist_name in cursor.fetchall():
            candidates.setdefault(name_key(title, artist_name), (song_id, artist_id))
    for track in tracks:
        if track.name_key in candidates:
            track.song_id, track.artist_id = candidates[track.name_key]
            track.match_method = ChartTrack.MatchMethod.NAME


def _match_artists_by_name(tracks: Sequence[ChartTrack]) -> None:
    sql = f"""
        SELECT DISTINCT a.id, a.name FROM unnest(%s::text[]) AS q(name)
        JOIN LATERAL (
            SELECT id, name FROM {Artist._meta.db_table}
            WHERE charts_fold(name) %%> charts_fold(q.name)
        ) a ON true
        ORDER BY a.id"""
    candidates: dict[str, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [[primary_artist(track.artist_name) for track in tracks]])
        for artist_id, name in cursor.fetchall():
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
        charts_changed()
        return ChartEntry.objects.filter(track=track).update(song=song, artist=artist)


def _key_namespace(track: ChartTrack) -> str:
    """The id space of a stored track, from its key ("spotify:..", "apple-album:..", "name:..")."""
    return track.key.split(":", 1)[0].split("-", 1)[0]


def chart_tracks_link(*, batch_size: int = BATCH_SIZE) -> tuple[int, int]:
    """Match the stored tracks that have no catalog link yet (a catalog import since their
    chart was imported may now hold them), and point their entries at the match.

    Staff matches are never undone: only unmatched tracks are looked at. Returns (tracks
    looked at, tracks newly matched). Bulk: a few queries per `batch_size` tracks.
    """
    from charts.models import UnmatchedTrack  # the proxy that knows what "unmatched" is

    looked_at = matched = 0
    last_id = 0
    while True:
        batch = list(
            ChartTrack.objects.filter(UnmatchedTrack.UNMATCHED, id__gt=last_id).order_by("id")[
                :batch_size
            ]
        )
        if not batch:
            return looked_at, matched
        last_id = batch[-1].pk
        looked_at += len(batch)
        by_namespace: dict[str, list[ChartTrack]] = {}
        for track in batch:
            by_namespace.setdefault(_key_namespace(track), []).append(track)
        for namespace, tracks in by_namespace.items():
            match_tracks(tracks=tracks, namespace=namespace)
        linked = [t for t in batch if t.song_id is not None or t.artist_id is not None]
        if not linked:
            continue
        matched += sum(1 for t in linked if _is_matched(t))
        with transaction.atomic():
            ChartTrack.objects.bulk_update(linked, ["song", "artist", "match_method"])
            _copy_links_to_entries([t.pk for t in linked])


def _copy_links_to_entries(track_ids: Sequence[int]) -> None:
    """Entries carry their track's song and artist (for direct joins): one UPDATE."""
    entries = connection.ops.quote_name(ChartEntry._meta.db_table)
    tracks = connection.ops.quote_name(ChartTrack._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {entries} AS e SET song_id = t.song_id, artist_id = t.artist_id "
            f"FROM {tracks} AS t WHERE e.track_id = t.id AND t.id = ANY(%s)",
            [list(track_ids)],
        )
    charts_changed()
