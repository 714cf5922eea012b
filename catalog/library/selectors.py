"""Reads for the library: what the caller liked, filtered by the one visibility rule."""

from __future__ import annotations

from django.db.models import F, FilteredRelation, Q, QuerySet

from catalog.models import Album
from catalog.selectors import album_list
from common.viewer import Viewer


def library_albums(*, user: Viewer) -> QuerySet[Album]:
    """Albums ``user`` liked and may still see, newest like first, each with ``liked_at``.

    Built on ``album_list`` (visibility, artist and genre joins, visible song count), so an
    album that was hidden or made private after the like is left out, as everywhere else.
    The caller's like is joined once (``FilteredRelation``): one row per album, no query per
    row.
    """
    assert user is not None and user.is_authenticated, "the library is a logged-in read"
    return (
        album_list(user=user)
        .annotate(my_like=FilteredRelation("likes", condition=Q(likes__user_id=user.pk)))
        .filter(my_like__isnull=False)
        .annotate(liked_at=F("my_like__created_at"))
        .order_by("-liked_at", "-id")
    )
