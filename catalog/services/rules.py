"""Who may change what in the catalog (DESIGN.md §4 roles).

Artists create and edit only their own artist's albums and songs; editors and admins edit
everything and alone set ``is_visible`` and ``popularity``; listeners only read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from catalog.models import (
    Artist,
)
from common.errors import (
    PermissionDenied,
)
from users.models import Role
from users.permissions import is_editor_or_admin

STAFF_ONLY_ALBUM_FIELDS = ("is_visible",)
STAFF_ONLY_SONG_FIELDS = ("is_visible", "popularity")


def is_artist_user(user) -> bool:
    return bool(user and user.is_authenticated and user.role == Role.ARTIST)


def user_can_edit_artist(*, user, artist: Artist) -> bool:
    return is_editor_or_admin(user) or (is_artist_user(user) and artist.user_id == user.pk)


def require_artist_editor(user, artist: Artist) -> None:
    if not user_can_edit_artist(user=user, artist=artist):
        raise PermissionDenied("Only editors, admins and the artist's own account may change this.")


def require_staff_for(user, data: Mapping[str, Any], fields: Iterable[str]) -> None:
    if is_editor_or_admin(user):
        return
    forbidden = sorted(f for f in fields if f in data)
    if forbidden:
        raise PermissionDenied(f"Only editors and admins may set {', '.join(forbidden)}.")


def own_artist(user) -> Artist:
    artist = Artist.objects.filter(user_id=user.pk).first() if is_artist_user(user) else None
    if artist is None:
        raise PermissionDenied(
            "Only editors, admins and artists with an artist profile may add catalog content."
        )
    return artist


def require_catalog_author(user) -> None:
    if not (is_editor_or_admin(user) or is_artist_user(user)):
        raise PermissionDenied("Listeners cannot change the catalog.")
