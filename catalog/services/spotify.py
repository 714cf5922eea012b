"""Catalog enrichment from Spotify: ids, popularity and album artwork onto our songs,
albums and artists (``manage.py spotify_enrich``; optional, needs SPOTIFY_CLIENT_ID/SECRET).

Writes only where the value is free: an id already used by another row, or an album that
already has a cover, is left alone, so re-running is safe.
"""

from __future__ import annotations

import io
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.db import models, transaction
from rest_framework import serializers

from catalog.images import check_image_upload, save_cover
from catalog.models import Album, Artist, Song
from catalog.spotify import SpotifyClient, SpotifyError

logger = logging.getLogger(__name__)

ARTWORK_MAX_PIXELS = 640
ARTWORK_MAX_BYTES = 5 * 1024 * 1024
# Spotify's /tracks endpoint takes at most this many ids.
TRACKS_PER_REQUEST = 50


def _free_spotify_id(model: type[models.Model], spotify_id: str, *, exclude_pk: int) -> bool:
    return not model._default_manager.filter(spotify_id=spotify_id).exclude(pk=exclude_pk).exists()


def _artwork(client: SpotifyClient, album: Album, images: list[dict[str, Any]]) -> bool:
    """Store the album's Spotify artwork as its cover when it has none. True if stored."""
    fitting = [i for i in images if (i.get("width") or 0) <= ARTWORK_MAX_PIXELS] or images
    if not fitting or album.cover:
        return False
    best = max(fitting, key=lambda i: i.get("width") or 0)
    try:
        data = client.download(best["url"], max_bytes=ARTWORK_MAX_BYTES)
        checked = check_image_upload(io.BytesIO(data), field="cover")
    except (SpotifyError, serializers.ValidationError) as exc:  # the image checker's refusal
        logger.warning("Artwork for album %s refused: %s", album.pk, exc)
        return False
    save_cover(album.cover, checked)
    return True


@transaction.atomic
def song_apply_spotify_track(
    *, song: Song, track: dict[str, Any], client: SpotifyClient | None = None
) -> list[str]:
    """Copy a matched Spotify track onto the song (and its album and artist where free).

    Returns what changed. A Spotify id already used by another row is left alone.
    """
    changed: list[str] = []
    song = (
        Song.objects.select_for_update(of=("self",))
        .select_related("album", "artist")
        .get(pk=song.pk)
    )
    if not song.spotify_id and _free_spotify_id(Song, track["id"], exclude_pk=song.pk):
        song.spotify_id = track["id"]
        changed.append("spotify_id")
    popularity = track.get("popularity")
    if isinstance(popularity, int) and 0 <= popularity <= 100 and song.popularity != popularity:
        song.popularity = popularity
        changed.append("popularity")
    if changed:
        song.save(update_fields=[*changed, "updated_at"])

    album, album_data = song.album, track.get("album") or {}
    if album is not None:
        album_fields = []
        album_id = album_data.get("id")
        if (
            album_id
            and not album.spotify_id
            and _free_spotify_id(Album, album_id, exclude_pk=album.pk)
        ):
            album.spotify_id = album_id
            album_fields.append("spotify_id")
        if client is not None and _artwork(client, album, album_data.get("images") or []):
            album_fields.append("cover")
        if album_fields:
            album.save(update_fields=[*album_fields, "updated_at"])
            changed += [f"album.{f}" for f in album_fields]

    artist, artist_id = song.artist, ((track.get("artists") or [{}])[0]).get("id")
    if (
        artist_id
        and not artist.spotify_id
        and _free_spotify_id(Artist, artist_id, exclude_pk=artist.pk)
    ):
        artist.spotify_id = artist_id
        artist.save(update_fields=["spotify_id", "updated_at"])
        changed.append("artist.spotify_id")
    return changed


def catalog_spotify_enrich(
    *,
    client: SpotifyClient,
    limit: int,
    refresh: bool = False,
    artwork: bool = True,
    progress: Callable[[str], None] = lambda message: None,
) -> Counter[str]:
    """Match songs without a Spotify id by ISRC or title and artist; with ``refresh``,
    also re-read popularity of already matched songs (50 per request)."""
    counts: Counter[str] = Counter()
    unmatched = (
        Song.objects.filter(spotify_id__isnull=True)
        .select_related("artist")
        .order_by("-popularity", "id")[:limit]
    )
    for index, song in enumerate(unmatched, start=1):
        track = client.search_track(title=song.title, artist=song.artist.name, isrc=song.isrc)
        if track is None:
            counts["unmatched"] += 1
        else:
            changed = song_apply_spotify_track(
                song=song, track=track, client=client if artwork else None
            )
            counts["matched"] += 1
            counts["artwork"] += "album.cover" in changed
        if index % 50 == 0:
            progress(f"{index} songs searched")
    if refresh:
        linked = list(Song.objects.filter(spotify_id__isnull=False).order_by("id")[:limit])
        for start in range(0, len(linked), TRACKS_PER_REQUEST):
            chunk = {
                s.spotify_id: s for s in linked[start : start + TRACKS_PER_REQUEST] if s.spotify_id
            }
            for track in client.tracks(list(chunk)):
                if track.get("id") in chunk:
                    changed = song_apply_spotify_track(song=chunk[track["id"]], track=track)
                    counts["refreshed"] += "popularity" in changed
            progress(f"{min(start + TRACKS_PER_REQUEST, len(linked))} linked songs re-read")
    return counts
