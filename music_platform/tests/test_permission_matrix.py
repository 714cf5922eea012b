"""One role-by-endpoint permission matrix over every app (pretix style).

Each row is a request and the status each role gets. Roles: anonymous, a listener (who owns a
private playlist), the artist account owning the content (``owner``), another artist, an
editor and an admin. Content comes in every visibility state (root conftest ``content``):
whatever a caller may not see is a 404 everywhere, never a 403 or a 200 that leaks it.
Each row and role runs on the same world, built once per module and worker inside a
transaction that is rolled back at the end; each test runs in a savepoint rolled back after it,
so writes do not affect each other (the database is as fresh for each test as if it had built
the world itself).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction

from catalog.tests.factories import PlaylistFactory
from charts.tests.factories import FeedChartFactory
from conftest import ROLES, make_cast, make_content

pytestmark = pytest.mark.django_db


@dataclass
class World:
    cast: Any
    content: Any
    playlist: Any  # private, owned by the listener
    chart: Any


@dataclass
class Row:
    method: str
    path: Callable[[World], str]
    expected: tuple[
        int, int, int, int, int, int
    ]  # anonymous, listener, owner, other, editor, admin
    body: Callable[[World], dict] | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.path.__doc__ or ''}"


def row(method: str, path: str, expected, body: Callable[[World], dict] | None = None) -> Row:
    """``path`` formats over ``w`` (the World): ``/songs/{w.content.public_song.pk}/``."""

    def build(w: World) -> str:
        return "/api/v1" + path.format(w=w)

    build.__doc__ = path
    return Row(method, build, tuple(expected), body)


EVERYONE = (200,) * 6
INSIDERS_ONLY = (404, 404, 200, 404, 200, 200)  # hidden or private content
USERS = (401, 200, 200, 200, 200, 200)
STAFF = (401, 403, 403, 403, 200, 200)
HIDDEN = ["private_song", "hidden_song", "song_in_hidden_album", "song_in_private_album"]

ROWS = [
    # --- users
    row("GET", "/users/me/", USERS),
    row("GET", "/users/me/preferences/", USERS),
    row("GET", "/users/me/library/albums/", USERS),
    row("GET", "/users/me/recently-played/", USERS),
    row("GET", "/users/", (401, 403, 403, 403, 403, 200)),
    row("GET", "/users/{w.cast.listener.pk}/", EVERYONE),
    row("PATCH", "/users/{w.cast.listener.pk}/", (401, 403, 403, 403, 403, 200),
        lambda w: {"role": "artist"}),
    # --- catalog reads
    row("GET", "/genres/", EVERYONE),
    row("GET", "/artists/", EVERYONE),
    row("GET", "/albums/", EVERYONE),
    row("GET", "/songs/", EVERYONE),
    row("GET", "/songs/{w.content.public_song.pk}/", EVERYONE),
    *[row("GET", f"/songs/{{w.content.{name}.pk}}/", INSIDERS_ONLY) for name in HIDDEN],
    # Batch by ids: hidden ones are left out, never a 404 or 403 (catalog/tests/test_reads.py).
    row("GET", "/songs/?ids={w.content.hidden_song.pk},{w.content.public_song.pk}", EVERYONE),
    row("GET", "/albums/{w.content.public_album.pk}/", EVERYONE),
    row("GET", "/albums/{w.content.hidden_album.pk}/", INSIDERS_ONLY),
    row("GET", "/albums/{w.content.private_album.pk}/", INSIDERS_ONLY),
    row("GET", "/albums/{w.content.hidden_album.pk}/likes/", INSIDERS_ONLY),
    # --- catalog writes
    row("POST", "/albums/{w.content.public_album.pk}/like/", USERS),
    row("POST", "/albums/{w.content.hidden_album.pk}/like/", (401, 404, 200, 404, 200, 200)),
    row("PATCH", "/songs/{w.content.public_song.pk}/", (401, 403, 200, 403, 200, 200),
        lambda w: {"title": "Renamed"}),
    row("PATCH", "/songs/{w.content.hidden_song.pk}/", (401, 404, 200, 404, 200, 200),
        lambda w: {"title": "Renamed"}),
    row("DELETE", "/songs/{w.content.public_song.pk}/", (401, 403, 204, 403, 204, 204)),
    row("DELETE", "/songs/{w.content.song_in_private_album.pk}/", (401, 404, 204, 404, 204, 204)),
    row("PATCH", "/albums/{w.content.public_album.pk}/", (401, 403, 200, 403, 200, 200),
        lambda w: {"title": "Renamed"}),
    row("DELETE", "/artists/{w.cast.artist.pk}/", (401, 403, 403, 403, 204, 204)),
    row("POST", "/albums/", (401, 403, 201, 403, 201, 201),
        lambda w: {"title": "New", "artist": w.cast.artist.pk}),
    # --- playlists (private, owned by the listener)
    row("GET", "/playlists/{w.playlist.pk}/", (404, 200, 404, 404, 200, 200)),
    row("GET", "/playlists/{w.playlist.pk}/songs/", (404, 200, 404, 404, 200, 200)),
    row("GET", "/playlists/{w.playlist.pk}/activities/", (401, 200, 404, 404, 200, 200)),
    row("PATCH", "/playlists/{w.playlist.pk}/", (401, 200, 404, 404, 200, 200),
        lambda w: {"name": "Renamed"}),
    row("POST", "/playlists/{w.playlist.pk}/songs/", (401, 201, 404, 404, 403, 403),
        lambda w: {"song_id": w.content.public_song.pk}),
    row("POST", "/playlists/{w.playlist.pk}/collaborators/", (401, 201, 404, 404, 403, 403),
        lambda w: {"user_id": w.cast.other_artist_user.pk}),
    row("POST", "/playlists/{w.playlist.pk}/export/", (401, 202, 404, 404, 202, 202),
        lambda w: {}),
    row("DELETE", "/playlists/{w.playlist.pk}/", (401, 204, 404, 404, 204, 204)),
    # --- charts
    row("GET", "/charts/", EVERYONE),
    row("POST", "/charts/{w.chart.slug}/ingest/", (401, 403, 403, 403, 202, 202)),
    # --- analytics
    row("POST", "/analytics/events/", (401, 201, 201, 201, 201, 201),
        lambda w: {"song": w.content.public_song.pk, "action": "play"}),
    row("GET", "/analytics/summary/", STAFF),
    row("GET", "/analytics/trends/", USERS),
    row("GET", "/analytics/events/", STAFF),
    row("GET", "/analytics/users/{w.cast.listener.pk}/", (401, 200, 403, 403, 200, 200)),
    row("GET", "/analytics/artists/{w.cast.artist.pk}/", (401, 403, 200, 403, 200, 200)),
    # --- recommendations
    row("GET", "/recommendations/genre-seeds/", EVERYONE),
    row("GET", "/recommendations/me/", USERS),
    row("POST", "/recommendations/me/refresh/", (401, 202, 202, 202, 202, 202)),
    row("GET", "/songs/trending/", EVERYONE),
    row("GET", "/songs/{w.content.public_song.pk}/similar/", EVERYONE),
    *[row("GET", f"/songs/{{w.content.{name}.pk}}/similar/", INSIDERS_ONLY) for name in HIDDEN],
    # --- accounts (issue 11)
    row("PATCH", "/users/me/", USERS, lambda w: {"bio": "hello"}),
    row("DELETE", "/users/me/", (401, 204, 204, 204, 204, 204)),
    row("DELETE", "/users/{w.cast.listener.pk}/", (401, 204, 403, 403, 403, 204)),
    row("POST", "/users/me/password/", USERS,
        lambda w: {"old_password": "correct-horse-battery", "new_password": "A-new-passphrase-42"}),
    row("POST", "/auth/password-reset/", (202,) * 6, lambda w: {"email": w.cast.listener.email}),
    row("POST", "/auth/password-reset/confirm/", (400,) * 6,
        lambda w: {"uid": "MQ", "token": "not-a-token", "new_password": "A-new-passphrase-42"}),
    row("POST", "/auth/email/confirm/", (400,) * 6, lambda w: {"token": "not-a-token"}),
]  # fmt: skip


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module's ~370 tests (building it took more time than most requests):
    the module's transaction holds it and is rolled back at the end; each test's own
    transaction is a savepoint inside it (pytest-django), rolled back after the test."""
    with django_db_blocker.unblock(), transaction.atomic():
        cast = make_cast()
        content = make_content(cast)
        yield World(
            cast=cast,
            content=content,
            playlist=PlaylistFactory(owner=cast.listener, is_public=False, name="Mine"),
            chart=FeedChartFactory(),
        )
        transaction.set_rollback(True)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", ROWS, ids=str)
def test_permission_matrix(case: Row, role: str, world: World, client_for):
    body = case.body(world) if case.body else None
    response = client_for(world.cast.by_role(role)).generic(
        case.method,
        case.path(world),
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
    )
    assert response.status_code == case.expected[ROLES.index(role)], response.content[:300]
