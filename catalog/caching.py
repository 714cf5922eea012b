"""The catalog's cache generations and the audience of cached catalog reads.

The mechanism lives in ``common.cache``; this module says what the catalog's cached reads
depend on and who may share them:

- ``CATALOG``: every public representation of artists, albums, songs and genres (lists,
  details, search, and other apps' pages that embed songs: chart pages, trending). Bumped
  after commit by every save or delete of those models (receivers below, so the services,
  the admin and the shell are all covered) and, explicitly, by the writes that bypass
  ``save()``: ``Song.objects.update`` in the audio pipeline (audio becoming ready), the
  admin's bulk visibility actions and the bulk importers.
- ``album_likes_generation(user_id)``: the ``liked`` flags of one listener's album pages,
  bumped when that listener likes or unlikes.

Audience: anonymous callers and listeners see exactly the same catalog (public and visible
content), so they share one cached response; artists (their own private content) and staff
(everything) are never served from the shared cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from django.db.models.signals import m2m_changed, post_delete, post_save

from catalog import selectors
from catalog.models import Album, AlbumLike, Artist, Genre, Song
from common.cache import PUBLIC, CachedReadMixin, bump_generations

CATALOG = "catalog"


def sees_only_public(user) -> bool:
    """Whether ``user`` sees exactly what an anonymous caller sees (listeners do; artists see
    their own private content too, staff everything): the one visibility rule decides."""
    if user is None or not user.is_authenticated:
        return True  # what an anonymous caller sees, by definition (no rule to build twice)
    return selectors.song_visibility_q(user=user) == selectors.song_visibility_q(user=None)


def visibility_audience(user) -> str:
    """A name for what ``user`` may see of the catalog, for cache keys of responses that
    depend on it: the visibility rule itself (``selectors.song_visibility_q``) decides, so
    the name changes exactly when what the caller sees does (whatever field the rule reads:
    the role today, not ``is_staff``), and callers who see the same share it.
    ``"public"``: what anonymous callers see (listeners); ``"all"``: everything (staff);
    otherwise a digest of the caller's own rule (an artist: public plus their own)."""
    visibility = selectors.song_visibility_q(user=user)
    if visibility == selectors.song_visibility_q(user=None):
        return "public"
    if not visibility:
        return "all"
    return "q:" + hashlib.blake2b(str(visibility).encode(), digest_size=8).hexdigest()


def album_likes_generation(user_id: int) -> str:
    return f"album-likes:user:{user_id}"


def catalog_changed() -> None:
    """Call after a write that bypasses ``save()``/``delete()`` (``update``, bulk)."""
    bump_generations(CATALOG)


class CatalogCachedReadMixin(CachedReadMixin):
    """Cached reads shared by anonymous callers and listeners; depends on ``CATALOG``."""

    cache_generations: Sequence[str] = (CATALOG,)

    # Viewset actions served from the cache; others (likes counts...) have their own.
    cached_actions: Sequence[str] = ("list", "retrieve")

    def cache_audience(self, request) -> str | None:
        action = getattr(self, "action", None)
        if action is not None and action not in self.cached_actions:
            return None
        return PUBLIC if sees_only_public(request.user) else None


def _catalog_saved_or_deleted(sender, **kwargs) -> None:
    catalog_changed()


def _album_like_changed(sender, instance: AlbumLike, **kwargs) -> None:
    bump_generations(album_likes_generation(instance.user_id))


def connect_receivers() -> None:
    """Called once from ``CatalogConfig.ready``."""
    for model in (Artist, Album, Song, Genre):
        uid = f"catalog.caching.{model.__name__}"
        post_save.connect(_catalog_saved_or_deleted, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(_catalog_saved_or_deleted, sender=model, dispatch_uid=uid + ".delete")
    m2m_changed.connect(
        _catalog_saved_or_deleted,
        sender=Artist.genres.through,
        dispatch_uid="catalog.caching.artist_genres",
    )
    post_save.connect(_album_like_changed, sender=AlbumLike, dispatch_uid="catalog.caching.like")
    post_delete.connect(
        _album_like_changed, sender=AlbumLike, dispatch_uid="catalog.caching.unlike"
    )
