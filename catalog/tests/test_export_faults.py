"""Nothing lost: a worker SIGKILLed in the middle of an export e-mail (real RabbitMQ, real
Celery worker processes, a real SMTP server) leaves the export to another worker, which
sends it exactly once."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from catalog.models import PlaylistExport
from catalog.tests.factories import PlaylistFactory
from common.tasks import queue_name
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


class StallFirstHandler:
    """Holds the first message's DATA (the worker is then killed); accepts the others."""

    def __init__(self):
        self.stalled = threading.Event()
        self.accepted: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        if not self.stalled.is_set():
            self.stalled.set()
            await asyncio.sleep(60)
            return "451 too late"
        self.accepted.append(envelope.content)
        return "250 OK"


def start_worker(smtp_port: int, broker_url: str) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "music_platform.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "TEST_CELERY_BROKER_URL": broker_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "music_platform", "worker", "--pool=solo",
         "-Q", queue_name("default"), "--loglevel=WARNING", "--without-heartbeat",
         "--without-gossip", "--without-mingle"],
        cwd=settings.BASE_DIR, env=env,
    )  # fmt: skip


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_worker_killed_mid_export_loses_nothing_and_sends_once(
    rabbitmq_broker, client_for, free_tcp_port_factory
):
    handler = StallFirstHandler()
    port = free_tcp_port_factory()
    smtp = Controller(handler, hostname="127.0.0.1", port=port)
    smtp.start()
    owner = UserFactory()
    playlist = PlaylistFactory(owner=owner, name="Late Night")
    first = start_worker(port, rabbitmq_broker)
    second = None
    try:
        response = client_for(owner).post(f"/api/v1/playlists/{playlist.pk}/export/")
        assert response.status_code == 202
        task_id = response.json()["task_id"]
        assert handler.stalled.wait(60), "the first worker never reached the SMTP server"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert PlaylistExport.objects.get(task_id=task_id).status == "queued"

        second = start_worker(port, rabbitmq_broker)
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
