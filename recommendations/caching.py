"""What a listener's cached picks page depends on (the mechanism is ``common.cache``).

``GET /recommendations/me/`` is stored per caller (audience ``user:<id>``, never shared) and
served while these generations are current:

- ``catalog.caching.CATALOG``: the songs shown (a song hidden, renamed, its audio ready...).
- ``picks_generation(user_id)``: that listener's picks, bumped by ``picks_changed`` wherever
  the services replace them (a refresh writes them with one SQL upsert, no signal) and by the
  receivers below for saves and deletes of ``UserPicks`` (new preferences drop them, the
  admin, an account deleted).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models.signals import post_delete, post_save

from catalog.caching import CATALOG, visibility_audience
from common.cache import CachedReadMixin, bump_generations


def picks_generation(user_id: int) -> str:
    return f"picks:user:{user_id}"


def picks_changed(user_ids: Iterable[int]) -> None:
    """Call after the stored picks of these users were written or deleted."""
    names = tuple(picks_generation(user_id) for user_id in user_ids)
    if names:
        bump_generations(*names)


def user_audience(request) -> str | None:
    """The caller alone (``None``: anonymous, not stored), with what the page depends on
    besides the caller's picks: which songs the caller may see. That is the catalog's
    visibility rule applied to the caller (``visibility_audience``), not one field of the
    account: an account whose visibility changes (promoted, demoted, by the API, the admin or
    an ``update()`` behind the model's back) never gets its old page, and a change that does
    not alter what it sees (``is_staff`` set directly) does not matter to the page."""
    user = request.user
    if not user.is_authenticated:
        return None
    return f"user:{user.pk}:{visibility_audience(user)}"


class PicksCachedReadMixin(CachedReadMixin):
    """The caller's own picks page: stored for that caller alone."""

    def cache_audience(self, request) -> str | None:
        return user_audience(request)

    def cache_generation_names(self, request) -> Sequence[str]:
        return (CATALOG, picks_generation(request.user.pk))


def _picks_saved_or_deleted(sender, instance, **kwargs) -> None:
    picks_changed([instance.user_id])


def connect_receivers() -> None:
    """Called once from ``RecommendationsConfig.ready``."""
    from recommendations.models import UserPicks

    uid = "recommendations.caching.UserPicks"
    post_save.connect(_picks_saved_or_deleted, sender=UserPicks, dispatch_uid=uid + ".save")
    post_delete.connect(_picks_saved_or_deleted, sender=UserPicks, dispatch_uid=uid + ".delete")
