"""What the worker-fault tests share (catalog/tests/test_export_faults.py on RabbitMQ,
music_platform/tests/test_faults.py on Redis): an SMTP server that stalls the first export
e-mail, a real Celery worker process on the test queue, and polling."""

import asyncio
import os
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.db import connection

from common.tasks import queue_name


class StallFirstHandler:
    """An SMTP handler that holds the first message's DATA (its worker is then killed) and
    accepts the others."""

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


def start_worker(*, broker_url: str, smtp_port: int, **env_extra: str) -> subprocess.Popen:
    """A solo-pool worker on the test ``default`` queue, on this test's database, sending mail
    to ``smtp_port``; ``env_extra`` adds settings (e.g. CELERY_VISIBILITY_TIMEOUT)."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "music_platform.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "TEST_CELERY_BROKER_URL": broker_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        **env_extra,
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
