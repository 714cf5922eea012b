"""Catalog content writes: artists, albums (covers, likes) and songs, with their side effects
(transactions, cache invalidation, stored files). Callers fetch objects through
``catalog.selectors`` first, so content the caller may not see is already a 404 here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.text import slugify

from catalog import selectors
from catalog.attributes import AUDIO_FEATURES
from catalog.images import check_image_upload, cover_file_names, save_cover
from catalog.models import (
    Album,
    AlbumLike,
    Artist,
    Genre,
    Song,
)
from catalog.services.rules import (
    STAFF_ONLY_ALBUM_FIELDS,
    STAFF_ONLY_SONG_FIELDS,
    own_artist,
    require_artist_editor,
    require_catalog_author,
    require_staff_for,
)
from common.errors import (
    PermissionDenied,
    ValidationFailed,
    field_error,
)
from users.permissions import is_editor_or_admin

logger = logging.getLogger(__name__)


# --- artists -------------------------------------------------------------------------------


def artist_unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(name, allow_unicode=False)[:200] or "artist"
    taken = Artist.objects.filter(slug__startswith=base)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    taken_slugs = set(taken.values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken_slugs:
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def artist_create(
    *, user, name: str, bio: str = "", genres: Iterable[Genre] | None = None
) -> Artist:
    """Editors create any artist; an artist account creates (once) the profile it manages."""
    require_catalog_author(user)
    owner = None
    if not is_editor_or_admin(user):
        if Artist.objects.filter(user_id=user.pk).exists():
            raise ValidationFailed(
                "You already manage an artist profile.", code="artist_profile_exists"
            )
        owner = user
    # Parallel requests can pick the same free slug (or, for one artist account, both pass
    # the check above); the database refuses the second insert, so try again with a fresh
    # slug inside a savepoint, and report a duplicate profile as the 400 it is. Each round
    # of a pile-up lets one request through; after a few, a random suffix ends it.
    from django.db import IntegrityError
    from django.utils.crypto import get_random_string

    for attempt in range(8):
        slug = artist_unique_slug(name)
        if attempt >= 3:
            slug = f"{slug[:205]}-{get_random_string(6, 'abcdefghijklmnopqrstuvwxyz0123456789')}"
        try:
            with transaction.atomic():
                artist = Artist.objects.create(name=name, slug=slug, bio=bio, user=owner)
            break
        except IntegrityError as exc:
            if owner is not None and Artist.objects.filter(user_id=owner.pk).exists():
                raise ValidationFailed(
                    "You already manage an artist profile.", code="artist_profile_exists"
                ) from exc
            if not Artist.objects.filter(slug=slug).exists():
                raise
    else:
        raise ValidationFailed(
            "Artists with this name are being created right now; try again.",
            code="conflict",
            attr="name",
        )
    if genres:
        artist.genres.set(genres)
    return artist


@transaction.atomic
def artist_update(*, user, artist: Artist, data: Mapping[str, Any]) -> Artist:
    require_artist_editor(user, artist)
    data = dict(data)
    genres = data.pop("genres", None)
    for field, value in data.items():
        setattr(artist, field, value)
    artist.save()
    if genres is not None:
        artist.genres.set(genres)
    return artist


@transaction.atomic
def artist_delete(*, user, artist: Artist) -> None:
    if not is_editor_or_admin(user):
        raise PermissionDenied("Only editors and admins may delete artists.")
    artist.delete()  # its image and its albums' covers go after commit (catalog.models)


def delete_stored_files(names: Iterable[str | None]) -> None:
    for name in filter(None, names):
        try:
            default_storage.delete(name)
        except Exception:  # a missing or locked file must not fail the request
            logger.warning("could not delete stored file %s", name, exc_info=True)


# --- albums --------------------------------------------------------------------------------


@transaction.atomic
def album_create(*, user, data: Mapping[str, Any]) -> Album:
    require_catalog_author(user)
    require_staff_for(user, data, STAFF_ONLY_ALBUM_FIELDS)
    data = dict(data)
    artist = data.pop("artist", None)
    if artist is None:
        if is_editor_or_admin(user):
            # A rule by role, which the schema states in words only: its own code.
            raise field_error(
                "artist", "Editors and admins name the album's artist.", "artist_required"
            )
        artist = own_artist(user)
    require_artist_editor(user, artist)
    if data.get("year") is None and data.get("release_date"):
        data["year"] = data["release_date"].year
    return Album.objects.create(artist=artist, created_by=user, **data)


@transaction.atomic
def album_update(*, user, album: Album, data: Mapping[str, Any]) -> Album:
    require_artist_editor(user, album.artist)
    require_staff_for(user, data, STAFF_ONLY_ALBUM_FIELDS)
    if "artist" in data:
        require_artist_editor(user, data["artist"])
    for field, value in data.items():
        setattr(album, field, value)
    if "release_date" in data and "year" not in data and album.release_date:
        album.year = album.release_date.year
    album.save()
    return album


@transaction.atomic
def album_delete(*, user, album: Album) -> None:
    require_artist_editor(user, album.artist)
    album.delete()  # its cover files go after commit (catalog.models)


@transaction.atomic
def album_cover_set(*, user, album: Album, upload) -> Album:
    """Validate, re-encode and store a cover under a random name with its renditions
    (``COVER_SIZES``); the old files go after commit."""
    require_artist_editor(user, album.artist)
    checked = check_image_upload(upload, field="cover")
    album = (
        Album.objects.select_for_update(of=("self",))
        .select_related("artist", "genre")
        .get(pk=album.pk)
    )
    old_name = album.cover.name
    written = save_cover(album.cover, checked)
    try:
        album.save(update_fields=["cover", "updated_at"])
    except Exception:
        delete_stored_files(written)
        raise
    if old_name and old_name != album.cover.name:
        old_files = cover_file_names([old_name])
        transaction.on_commit(lambda: delete_stored_files(old_files))
    return album


def _invalidate_album_likes(album_id: int) -> None:
    """Drop the cached count now and again after commit: a reader between the two could
    otherwise cache the count from before this transaction."""
    key = selectors.album_likes_cache_key(album_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


@transaction.atomic
def album_like(*, user, album: Album) -> bool:
    """Like an album; liking twice changes nothing. Returns whether a like was added."""
    _, created = AlbumLike.objects.get_or_create(user=user, album=album)
    if created:
        _invalidate_album_likes(album.pk)
    return created


@transaction.atomic
def album_unlike(*, user, album: Album) -> bool:
    deleted, _ = AlbumLike.objects.filter(user=user, album=album).delete()
    if deleted:
        _invalidate_album_likes(album.pk)
    return bool(deleted)


# --- songs ---------------------------------------------------------------------------------


def _apply_song_data(song: Song, data: Mapping[str, Any]) -> None:
    data = dict(data)
    features = data.pop("audio_features", None) or {}
    for field, value in data.items():
        setattr(song, field, value)
    for name in AUDIO_FEATURES:
        if name in features:
            setattr(song, name, features[name])


@transaction.atomic
def song_create(*, user, data: Mapping[str, Any]) -> Song:
    require_catalog_author(user)
    require_staff_for(user, data, STAFF_ONLY_SONG_FIELDS)
    data = dict(data)
    album = data.get("album")
    artist = data.get("artist")
    if artist is None:
        if album is not None:
            artist = album.artist
        elif is_editor_or_admin(user):
            # A rule across fields (and by role): reported for the request, with its own code.
            raise ValidationFailed("Give an artist or an album.", code="artist_or_album")
        else:
            artist = own_artist(user)
        data["artist"] = artist
    require_artist_editor(user, artist)
    if album is not None:
        require_artist_editor(user, album.artist)
        data.setdefault("year", album.year)
        data.setdefault("genre", album.genre)
    song = Song()
    _apply_song_data(song, data)
    song.save()
    return song


@transaction.atomic
def song_update(*, user, song: Song, data: Mapping[str, Any]) -> Song:
    require_artist_editor(user, song.artist)
    require_staff_for(user, data, STAFF_ONLY_SONG_FIELDS)
    if data.get("artist") is not None:
        require_artist_editor(user, data["artist"])
    if data.get("album") is not None:
        require_artist_editor(user, data["album"].artist)
    _apply_song_data(song, data)
    song.save()
    return song


@transaction.atomic
def song_delete(*, user, song: Song) -> None:
    require_artist_editor(user, song.artist)
    song.delete()
