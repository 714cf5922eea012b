"""Celery application. Tasks are named "<app>.<action>" and discovered in each app's tasks.py."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_platform.settings")

app = Celery("music_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
