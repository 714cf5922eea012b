"""Channel names and who may subscribe to them (DESIGN.md §4, "Realtime").

Every rule is the platform's own: playlists through ``catalog.selectors`` (the one visibility
rule), staff through ``users.permissions``. Functions here touch the database and are called
from the consumer through ``database_sync_to_async``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser

from catalog import selectors as catalog_selectors
from charts.models import Chart
from users.permissions import is_editor_or_admin

PLAYLIST = "playlist"
CHART = "chart"
USER = "user"
ANALYTICS = "analytics"

MAX_CHANNEL_LENGTH = 120
_PLAYLIST_ID = re.compile(r"^[1-9][0-9]{0,18}$")
_CHART_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,80}$")
MAX_ID = 2**63 - 1

INVALID = "invalid"
NOT_FOUND = "not_found"
FORBIDDEN = "forbidden"


class Refused(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Channel:
    name: str  # as clients write it: playlist:12, chart:top-50, user:me, analytics:live
    kind: str
    key: str
    published_as: str  # the name publishers use: user:me is user:<id>


def parse(name: object, *, user) -> Channel:
    """The channel a client named, or ``Refused("invalid")``; no database access."""
    if not isinstance(name, str) or not name or len(name) > MAX_CHANNEL_LENGTH:
        raise Refused(INVALID, "channel must be a name such as playlist:12.")
    kind, _, key = name.partition(":")
    if kind == PLAYLIST and _PLAYLIST_ID.match(key) and int(key) <= MAX_ID:
        return Channel(name, kind, key, name)
    if kind == CHART and _CHART_SLUG.match(key):
        return Channel(name, kind, key, name)
    if name == "user:me":
        if not _authenticated(user):
            raise Refused(FORBIDDEN, "user:me needs a token.")
        return Channel(name, USER, "me", f"user:{user.pk}")
    if name == "analytics:live":
        return Channel(name, ANALYTICS, "live", name)
    raise Refused(
        INVALID, "Unknown channel: playlist:<id>, chart:<slug>, user:me or analytics:live."
    )


def check_access(channel: Channel, *, user) -> None:
    """Raise ``Refused`` unless ``user`` (None: anonymous) may receive ``channel`` now."""
    viewer = user if user is not None else AnonymousUser()
    if channel.kind == PLAYLIST:
        # A playlist the caller may not see looks like a missing one (as in the API).
        if not catalog_selectors.playlists_visible_to(user=viewer).filter(pk=channel.key).exists():
            raise Refused(NOT_FOUND, "No such playlist.")
    elif channel.kind == CHART:
        if not Chart.objects.filter(slug=channel.key).exists():
            raise Refused(NOT_FOUND, "No such chart.")
    elif channel.kind == USER:
        if not _authenticated(user) or channel.published_as != f"user:{user.pk}":
            raise Refused(FORBIDDEN, "Only your own notifications.")
    elif channel.kind == ANALYTICS and not is_editor_or_admin(viewer):
        raise Refused(FORBIDDEN, "Staff only.")


def has_access(channel: Channel, *, user) -> bool:
    try:
        check_access(channel, user=user)
    except Refused:
        return False
    return True


def audience(user) -> str:
    """Which rendering of a playlist event ``user`` (None: anonymous) gets: callers in one
    audience see the same songs (``catalog.selectors.song_audience``; no query)."""
    return catalog_selectors.song_audience(user if user is not None else AnonymousUser())


def _authenticated(user) -> bool:
    return bool(user is not None and user.is_authenticated)
