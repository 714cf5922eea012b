"""Nothing lost: a worker SIGKILLed in the middle of an export e-mail (real RabbitMQ, real
Celery worker processes, a real SMTP server) leaves the export to another worker, which
sends it exactly once."""

import signal
import time

import pytest
from aiosmtpd.controller import Controller

from catalog.models import PlaylistExport
from catalog.tests.factories import PlaylistFactory
from catalog.tests.worker_faults import StallFirstHandler, start_worker, wait_for
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_worker_killed_mid_export_loses_nothing_and_sends_once(
    rabbitmq_broker, client_for, free_tcp_port_factory
):
    handler = StallFirstHandler()
    port = free_tcp_port_factory()
    smtp = Controller(handler, hostname="127.0.0.1", port=port)
    smtp.start()
    owner = UserFactory()
    playlist = PlaylistFactory(owner=owner, name="Late Night")
    first = start_worker(broker_url=rabbitmq_broker, smtp_port=port)
    second = None
    try:
        response = client_for(owner).post(f"/api/v1/playlists/{playlist.pk}/export/")
        assert response.status_code == 202
        task_id = response.json()["task_id"]
        assert handler.stalled.wait(60), "the first worker never reached the SMTP server"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert PlaylistExport.objects.get(task_id=task_id).status == "queued"

        second = start_worker(broker_url=rabbitmq_broker, smtp_port=port)
        assert wait_for(
            lambda: PlaylistExport.objects.get(task_id=task_id).status == "sent", timeout=60
        ), "the export was not redelivered"
        time.sleep(2)  # a duplicate delivery would land now
        assert len(handler.accepted) == 1
        assert b"Late Night" in handler.accepted[0]
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.terminate()
                worker.wait(20)
        smtp.stop()
