"""Celery application. Tasks are named "<app>.<action>" and discovered in each app's tasks.py."""

import os
import tempfile
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_platform.settings")

if os.environ.get("CELERY_METRICS_PORT"):
    # A worker that exports metrics (music_platform.worker_metrics): prometheus_client's
    # multiprocess mode must be chosen before prometheus_client is first imported. The
    # worker's main process clears what earlier runs left there (worker_init).
    _metrics_dir = Path(
        os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="celery-metrics-")
    )
    _metrics_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_metrics_dir)

app = Celery("music_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Signal handlers: the workers' Prometheus metrics (idle unless CELERY_METRICS_PORT is set)
# and the replica router's pin of every task to the primary.
import music_platform.db_router  # noqa: E402,F401
import music_platform.worker_metrics  # noqa: E402,F401
