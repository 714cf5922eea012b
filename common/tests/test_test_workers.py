"""The guard of Celery's in-thread test workers (root conftest): a run never hangs on one."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.worker import state

import conftest
from music_platform.celery import app


def _worker(**options):
    return start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING", **options)


def test_a_worker_left_terminating_by_an_earlier_test_fails_instead_of_hanging(monkeypatch):
    # What a worker thread that failed to stop in time leaves behind: celery raises before
    # resetting this flag, and every later worker of the process stops as it starts.
    state.should_terminate = 0
    monkeypatch.setattr(conftest, "TEST_WORKER_START_SECONDS", 3)

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="not ready within 3 s"), _worker(shutdown_timeout=5):
        pass  # pragma: no cover - never ready
    assert time.monotonic() - started < 15
    state.should_terminate = None


def test_each_test_starts_with_the_flag_clear_and_its_worker_ready():
    assert state.should_terminate is None  # cleared by the guard, whatever ran before
    started = time.monotonic()
    with _worker():
        assert time.monotonic() - started < conftest.TEST_WORKER_START_SECONDS
