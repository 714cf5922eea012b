"""What the cached staff summary depends on (the mechanism is ``common.cache``).

``GET /analytics/summary/`` is stored per caller (audience ``user:<id>:<role>:<UTC day>``,
never shared; the day because the default range ends today) while these are current:

- ``ANALYTICS``: the listening figures. Bumped by every write that changes them: events
  stored (``events_ingest``, ``events_copy``, a save of an event: the admin, fixtures), a
  rollup run or reset (the figures move from the tail to the rollups and the freshness
  fields change) and accounts created or deleted (the user count; a deleted account takes
  its events along).
- ``catalog.caching.CATALOG``: the top songs show titles and artist names.

Only the clock moves figures without a write (listeners leaving the 24-hour window): a
stored summary lives ``SUMMARY_CACHE_SECONDS`` at most, and ``generated_at`` says when it
was computed.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from catalog.caching import CATALOG
from common.cache import CachedReadMixin, bump_generations

ANALYTICS = "analytics"
SUMMARY_CACHE_SECONDS = 60


def analytics_changed() -> None:
    bump_generations(ANALYTICS)


class SummaryCachedReadMixin(CachedReadMixin):
    """The staff summary, stored for the caller alone for at most a minute."""

    cache_generations: Sequence[str] = (ANALYTICS, CATALOG)
    cache_timeout = SUMMARY_CACHE_SECONDS

    def cache_audience(self, request) -> str | None:
        user = request.user
        if not user.is_authenticated:
            return None
        day = timezone.now().date().isoformat()
        return f"user:{user.pk}:{getattr(user, 'role', '')}:{day}"


def _event_saved(sender, **kwargs) -> None:
    analytics_changed()


def _account_created(sender, created: bool = False, **kwargs) -> None:
    if created:
        analytics_changed()


def _account_deleted(sender, **kwargs) -> None:
    analytics_changed()


def connect_receivers() -> None:
    """Called once from ``AnalyticsConfig.ready``. No ``post_delete`` on events: a receiver
    would make every cascade delete of an account's events load them one by one; the
    account's own ``post_delete`` covers that."""
    from analytics.models import ListeningEvent

    user_model = get_user_model()
    post_save.connect(_event_saved, sender=ListeningEvent, dispatch_uid="analytics.caching.event")
    post_save.connect(_account_created, sender=user_model, dispatch_uid="analytics.caching.user")
    post_delete.connect(
        _account_deleted, sender=user_model, dispatch_uid="analytics.caching.user_delete"
    )
