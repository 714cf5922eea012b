import pytest
from django.conf import settings

from analytics.demo import seed_analytics_demo
from analytics.models import DailyStats, ListeningEvent, RollupWatermark
from analytics.schedules import schedules
from analytics.tasks import rollup
from catalog.tests.factories import SongFactory
from common.tasks import TEMPORARY_ERRORS, queue_name
from music_platform.celery import app
from users.tests.factories import UserFactory


def test_rollup_runs_on_the_heavy_queue_every_minute():
    (spec,) = schedules()
    assert spec["task"] == rollup.name == "analytics.rollup"
    assert spec["every_seconds"] == 60
    # The one routing table decides the queue; the schedule does not carry one.
    assert "queue" not in spec
    assert settings.CELERY_TASK_ROUTES["analytics.rollup"] == {"queue": queue_name("heavy")}
    assert app.amqp.router.route({}, "analytics.rollup")["queue"].name == queue_name("heavy")
    assert "analytics.rollup" in app.tasks
    assert rollup.acks_late and rollup.time_limit
    # The one retry policy: temporary errors only, with backoff.
    assert rollup.autoretry_for == TEMPORARY_ERRORS and rollup.retry_backoff


@pytest.mark.django_db
def test_rollup_task_is_a_noop_without_events():
    assert rollup.apply().get() == {
        "events": 0,
        "chunks": 0,
        "last_event_id": 0,
        "through_day": None,
    }


@pytest.mark.django_db
def test_demo_seed_creates_events_for_visible_songs_once():
    users = UserFactory.create_batch(3)
    visible = SongFactory.create_batch(4)
    hidden = SongFactory(is_visible=False)
    created = seed_analytics_demo(days=7)
    assert created > 50
    assert ListeningEvent.objects.count() == created
    assert not ListeningEvent.objects.filter(song=hidden).exists()
    assert set(ListeningEvent.objects.values_list("song_id", flat=True)) <= {s.id for s in visible}
    assert set(ListeningEvent.objects.values_list("user_id", flat=True)) <= {u.id for u in users}
    # Rolled up straight away, so the dashboard has data.
    assert RollupWatermark.objects.get().last_event_id == ListeningEvent.objects.latest("id").id
    assert sum(DailyStats.objects.values_list("plays", flat=True)) == (
        ListeningEvent.objects.filter(action="play").count()
    )
    assert seed_analytics_demo(days=7) == 0  # idempotent
    assert ListeningEvent.objects.count() == created


@pytest.mark.django_db
def test_demo_seed_without_songs_does_nothing():
    UserFactory()
    assert seed_analytics_demo() == 0
