"""enqueue_after_commit: by name, after commit; a stopped broker is a quick 503, not a 500."""

import time

import pytest
from django.db import transaction

from catalog.tests.factories import PlaylistFactory
from charts.tests.factories import FeedChartFactory
from common.errors import ServiceUnavailable
from common.tasks import enqueue_after_commit
from users.tests.factories import EditorFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_task_is_sent_by_name_with_its_id_once_the_transaction_commits(
    queued_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        task_id = enqueue_after_commit("catalog.playlist_export", kwargs={"playlist_id": 7})
        assert queued_tasks() == []  # not before the commit
    assert queued_tasks() == [("catalog.playlist_export", {"playlist_id": 7}, task_id)]


def test_a_rolled_back_transaction_sends_nothing(queued_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                enqueue_after_commit("catalog.playlist_export", kwargs={"playlist_id": 7})
                raise RuntimeError("the request failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert queued_tasks() == []


def test_routing_sends_heavy_tasks_to_their_queue(queued_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_after_commit("recommendations.build_model")
    assert [name for name, _, _ in queued_tasks("heavy")] == ["recommendations.build_model"]
    assert queued_tasks("default") == []


def test_feed_pulls_have_their_own_queue(queued_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_after_commit("charts.pull", kwargs={"chart_id": 1})
    assert [name for name, _, _ in queued_tasks("feeds")] == ["charts.pull"]
    assert queued_tasks("default") == []


@pytest.mark.django_db(transaction=True)  # no transaction around: sent at once
def test_a_broker_outage_is_service_unavailable_quickly(broker_down):
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        enqueue_after_commit("catalog.playlist_export", kwargs={"playlist_id": 1})
    assert time.monotonic() - started < 2


@pytest.fixture
def enqueueing_requests(client_for):
    owner, editor = UserFactory(), EditorFactory()
    playlist, chart = PlaylistFactory(owner=owner), FeedChartFactory()
    return [
        (client_for(owner), f"/api/v1/playlists/{playlist.pk}/export/", {}),
        (client_for(editor), f"/api/v1/charts/{chart.slug}/ingest/", {}),
        (client_for(owner), "/api/v1/recommendations/me/refresh/", {}),
    ]


@pytest.mark.django_db(transaction=True)  # real commits, as in production
def test_the_enqueueing_endpoints_answer_202_with_the_id_of_the_queued_task(
    enqueueing_requests, queued_tasks
):
    for client, url, body in enqueueing_requests:
        response = client.post(url, body)
        assert response.status_code == 202, (url, response.json())
        queued = queued_tasks() + queued_tasks("feeds")
        assert response.json()["task_id"] in {task_id for _, _, task_id in queued}


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_stopped_they_answer_503_in_under_2_s_and_reads_still_work(
    enqueueing_requests, broker_down
):
    for client, url, body in enqueueing_requests:
        client.raise_request_exception = False  # a 503 is reported like a 500; answer it
        started = time.monotonic()
        response = client.post(url, body)
        elapsed = time.monotonic() - started
        assert response.status_code == 503, (url, response.content)
        assert response.json() == {
            "type": "server_error",
            "errors": [
                {
                    "code": "service_unavailable",
                    "detail": "The task queue is unavailable; try again later.",
                    "attr": None,
                }
            ],
        }
        assert elapsed < 2, (url, elapsed)
    client = enqueueing_requests[0][0]
    assert client.get("/api/v1/songs/").status_code == 200


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_export_travels_through_rabbitmq_to_a_real_worker(
    rabbitmq_broker, client_for, mailoutbox
):
    from celery import current_app
    from celery.contrib.testing.worker import start_worker

    from common.tasks import queue_name

    owner = UserFactory()
    playlist = PlaylistFactory(owner=owner, name="Night Drive")
    with start_worker(
        current_app,
        pool="solo",
        perform_ping_check=False,
        queues=[queue_name("default")],
        loglevel="WARNING",
    ):
        response = client_for(owner).post(f"/api/v1/playlists/{playlist.pk}/export/")
        assert response.status_code == 202
        deadline = time.monotonic() + 20
        while not mailoutbox and time.monotonic() < deadline:
            time.sleep(0.1)
    assert [message.to for message in mailoutbox] == [[owner.email]]
    assert "Night Drive" in mailoutbox[0].subject
