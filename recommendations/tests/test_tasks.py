"""Celery tasks on a real worker (Redis broker), schedules and the demo step."""

import threading
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.management import call_command
from django.db import connection
from django_celery_beat.models import PeriodicTask

from analytics.models import Action
from analytics.tests.factories import ListeningEventFactory
from catalog.tests.factories import SongFactory
from common.tasks import queue_name
from music_platform.celery import app
from recommendations import services, tasks
from recommendations.demo import seed_recommendations_demo
from recommendations.models import RecommendationLog, RecommendationModel, UserPicks
from users.tests.factories import UserFactory


@pytest.fixture
def worker():
    # This test run's own queue names (suffixed per xdist worker by the test settings).
    queues = [queue_name("default"), queue_name("heavy")]
    with start_worker(
        app, pool="solo", perform_ping_check=False, queues=queues, loglevel="WARNING"
    ):
        yield


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.django_db(transaction=True)
def test_refresh_endpoint_runs_the_task(worker, client_for):
    SongFactory.create_batch(3)
    user = UserFactory()

    response = client_for(user).post("/api/v1/recommendations/me/refresh/")

    assert response.status_code == 202
    assert response.json()["task_id"]
    # Enqueued by name without a result (enqueue_after_commit): wait for its effect.
    assert wait_for(lambda: UserPicks.objects.filter(user=user).exists())
    picks = UserPicks.objects.get(user=user)
    assert len(picks.items) == 3
    assert RecommendationLog.objects.filter(kind="refresh", user=user, status="success").exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_nightly_build_then_refreshes_active_listeners(worker):
    songs = SongFactory.create_batch(4)
    listeners = UserFactory.create_batch(4)
    idle = UserFactory()
    for index, user in enumerate(listeners):
        for song in songs[:3]:
            if (index + song.pk) % 4:
                ListeningEventFactory(user=user, song=song, action=Action.COMPLETE)

    model_id = tasks.build_model.delay().get(timeout=30)

    assert RecommendationModel.objects.get(is_active=True).pk == model_id
    assert wait_for(lambda: UserPicks.objects.count() == 4)
    assert set(UserPicks.objects.values_list("user_id", flat=True)) == {u.pk for u in listeners}
    assert not UserPicks.objects.filter(user=idle).exists()


@pytest.mark.django_db(transaction=True)
def test_a_build_already_running_makes_the_task_a_no_op():
    """The lock is PostgreSQL's (not the cache's): another connection holds it here."""
    holding, release = threading.Event(), threading.Event()

    def running_build():
        try:
            with services.model_build_lock() as acquired:
                assert acquired
                holding.set()
                release.wait(timeout=20)
        finally:
            connection.close()

    other = threading.Thread(target=running_build)
    other.start()
    try:
        assert holding.wait(timeout=10)
        with services.model_build_lock() as acquired:
            assert not acquired
        assert tasks.build_model.apply().get() is None
        assert not RecommendationLog.objects.exists()
    finally:
        release.set()
        other.join()
    # Released with the build: the next one runs (and logs, here that data is short).
    assert tasks.build_model.apply().get() is None
    assert RecommendationLog.objects.get().status == RecommendationLog.Status.SKIPPED


@pytest.mark.django_db
def test_the_build_lock_does_not_need_the_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with services.model_build_lock() as acquired:
        assert acquired


@pytest.mark.django_db
def test_refresh_of_a_deleted_user_is_a_no_op():
    assert tasks.refresh_user.apply(args=[999999]).get() == 0


@pytest.mark.django_db
def test_schedules_are_installed_and_routed_to_the_heavy_queue():
    call_command("setup_schedules", stdout=None)

    build = PeriodicTask.objects.get(task="recommendations.build_model")
    hourly = PeriodicTask.objects.get(task="recommendations.refresh_active_users")
    # No queue on the schedule: the one routing table (CELERY_TASK_ROUTES) decides.
    assert (build.queue, build.crontab.hour, build.crontab.minute) == (None, "3", "30")
    assert (hourly.queue, hourly.crontab.hour, hourly.crontab.minute) == (None, "*", "10")
    for task in (build.task, hourly.task):
        assert app.amqp.router.route({}, task)["queue"].name == queue_name("heavy")


@pytest.mark.django_db
def test_demo_builds_and_gives_every_user_picks():
    songs = SongFactory.create_batch(4)
    users = UserFactory.create_batch(4)
    for i, user in enumerate(users):
        for j, song in enumerate(songs):
            if (i + j) % 4:  # each listener misses one song the three others play
                ListeningEventFactory(user=user, song=song, action=Action.PLAY)
    newcomer = UserFactory()

    summary = seed_recommendations_demo()

    assert summary["model_id"] == RecommendationModel.objects.get(is_active=True).pk
    assert summary["users_refreshed"] == 5
    for i, user in enumerate(users):
        first = UserPicks.objects.get(user=user).items[0]
        assert first["song"] == songs[-i % 4].pk
        assert first["reason"].startswith("Because you played Song")
    # The newcomer's cold start: this week's plays (not rolled up yet) are trending.
    reason = UserPicks.objects.get(user=newcomer).items[0]["reason"]
    assert reason.startswith("Popular in ") and reason.endswith(" this week")
