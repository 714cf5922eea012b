"""Reads that scale out: analytics and chart reads go to a replica when one is configured.

With ``DATABASE_REPLICA_URL`` set, settings add a ``replica`` database (a streaming replica
of the primary, e.g. CloudNativePG's ``-ro`` service) and this router sends the ORM reads of
the read-heavy, lag-tolerant apps (``REPLICA_APPS``) there. Everything else stays on the
primary (``default``):

- every write, and every read of any other app (accounts, catalog, playlists: a listener
  expects to see the change just made);
- read-your-writes: once a request has written anything, its later reads go to the primary
  until it ends (``PrimaryPinMiddleware`` resets the pin per request), so an ingest that reads
  back what it stored never sees a lagging replica;
- Celery tasks: a task is enqueued after the commit of the rows it works on, and a replica
  may not have them yet, so tasks read the primary throughout (``task_prerun`` pins);
- reads inside a transaction on the primary (``transaction.atomic``): a transaction reads its
  own snapshot, and a replica's would be a different one;
- reads of an object loaded from a database follow that object (``instance`` hint).

The replica is never migrated: it replays the primary's WAL. Without a replica the router
answers ``None`` everywhere and Django's defaults apply.

Raw SQL through ``django.db.connection`` is always the primary; a selector that wants the
replica for raw SQL asks Django's ``router.db_for_read(model)`` for the alias (apps cannot
import this module) and uses ``connections[alias]``: analytics' selectors do, through
``analytics.sql.read_cursor``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from celery import signals
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
REPLICA_APPS = frozenset({"analytics", "charts"})

_pinned_to_primary: ContextVar[bool] = ContextVar("pinned_to_primary", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def pin_to_primary() -> None:
    _pinned_to_primary.set(True)


def unpin() -> None:
    _pinned_to_primary.set(False)


def read_alias(model: type[Any]) -> str:
    """The database a read of ``model`` goes to now (for raw SQL that wants the replica)."""
    return PrimaryReplicaRouter().db_for_read(model) or DEFAULT_DB_ALIAS


class PrimaryReplicaRouter:
    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        if not replica_configured():
            return None
        instance = hints.get("instance")
        if instance is not None and getattr(instance._state, "db", None):
            return instance._state.db
        if model._meta.app_label not in REPLICA_APPS:
            return DEFAULT_DB_ALIAS
        if _pinned_to_primary.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model: type[Any], **hints: Any) -> str | None:
        if not replica_configured():
            return None
        pin_to_primary()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # Both aliases hold the same data: relations between their objects are fine.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if db == REPLICA:
            return False
        return None


class PrimaryPinMiddleware:
    """Each request starts unpinned and leaves nothing pinned for the next one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _pinned_to_primary.set(False)
        try:
            return self.get_response(request)
        finally:
            _pinned_to_primary.reset(token)


@signals.task_prerun.connect
def _tasks_read_the_primary(**_: Any) -> None:
    pin_to_primary()
