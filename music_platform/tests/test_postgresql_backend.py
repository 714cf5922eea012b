"""The health check of persistent connections (music_platform/postgresql/base.py): a
connection the server closed is replaced before a request uses it, and a healthy one is
reused without a round trip."""

from __future__ import annotations

import select
import time

import pytest
from django.core.signals import request_finished, request_started
from django.db import connection, connections

from music_platform.postgresql.base import DatabaseWrapper

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def persistent(monkeypatch):
    """The default connection as a web worker has it: persistent, health-checked, and the
    request signals closing old connections (the test client disconnects them)."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)
    connection.close()
    connection.ensure_connection()
    assert connection.health_check_enabled
    yield connection
    connection.close()


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _request_boundary() -> None:
    """What Django does between two requests of a worker."""
    request_finished.send(sender=None)
    request_started.send(sender=None)


def test_the_project_uses_this_backend():
    assert isinstance(connections["default"], DatabaseWrapper)


def test_a_connection_the_server_closed_is_replaced_before_the_next_request_uses_it(
    persistent,
):
    old = _backend_pid()
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [old])
    finally:
        other.close()
    poller = select.poll()
    poller.register(connection.connection.fileno(), select.POLLIN)
    deadline = time.monotonic() + 5
    while not poller.poll(50) and time.monotonic() < deadline:
        pass  # the server's notice and end of stream arrive asynchronously

    _request_boundary()

    assert _backend_pid() != old  # replaced, and the query did not fail


def test_a_healthy_connection_is_reused_without_asking_the_server(persistent, monkeypatch):
    old = _backend_pid()

    def no_round_trip():
        raise AssertionError("the health check must not query the server")

    monkeypatch.setattr(connection, "is_usable", no_round_trip)
    _request_boundary()
    assert connection.health_check_done is False  # the next query checks it

    assert _backend_pid() == old
    assert connection.health_check_done is True


def test_a_connection_left_inside_a_transaction_is_not_trusted(persistent):
    old = _backend_pid()
    connection.connection.execute("BEGIN")  # behind Django's back
    connection.health_check_done = False

    connection.close_if_health_check_failed()

    assert connection.connection is None
    assert _backend_pid() != old
