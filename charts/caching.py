"""The charts' cache generation (the mechanism is ``common.cache``).

``CHARTS``: the cached chart pages (a snapshot's entries). Chart pages also show catalog
songs and artists the caller may see, so they depend on ``catalog.caching.CATALOG`` too.
Bumped by every chart write: explicitly by the services that write in bulk (ingest with
COPY, trend recomputation, track matching and staff's resolutions, which update entries in
one statement) and by the receivers below for saves and deletes of charts and snapshots
(the admin). No receiver on ChartEntry: it would turn every cascade delete of a snapshot's
entries into one signal per row; entries are only written by the services above.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from common.cache import bump_generations

CHARTS = "charts"


def charts_changed() -> None:
    bump_generations(CHARTS)


def _saved_or_deleted(sender, **kwargs) -> None:
    charts_changed()


def connect_receivers() -> None:
    """Called once from ``ChartsConfig.ready``."""
    from charts.models import Chart, ChartSnapshot, ChartTrack

    for model in (Chart, ChartSnapshot, ChartTrack):
        uid = f"charts.caching.{model.__name__}"
        post_save.connect(_saved_or_deleted, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(_saved_or_deleted, sender=model, dispatch_uid=uid + ".delete")
