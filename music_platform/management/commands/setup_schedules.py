"""Create or update the Celery Beat periodic tasks, idempotently.

Each app may provide ``<app>/schedules.py`` with a function ``schedules()`` returning a
list of dicts: ``{"name", "task", "crontab": {minute, hour, ...}`` or ``"every_seconds"``,
optional ``"kwargs"``, ``"queue"``, ``"description"``}``. Running the command twice
changes nothing the second time; staff can still edit the tasks in the admin.
``schedules()`` only reads: the writes schedules depend on (the charts listed in
CHART_FEEDS) are made here first, in the same transaction as the periodic tasks.
"""

import json
from importlib import import_module
from importlib.util import find_spec

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from charts.services import chart_seed_from_settings


def collect_schedules() -> list[dict]:
    found = []
    for app in settings.LOCAL_APPS:
        if find_spec(f"{app}.schedules"):
            found.extend(import_module(f"{app}.schedules").schedules())
    return found


def upsert_periodic_task(spec: dict) -> bool:
    """Create or update one periodic task; return True when something changed."""
    fields = {
        "task": spec["task"],
        "kwargs": json.dumps(spec.get("kwargs", {}), sort_keys=True),
        "queue": spec.get("queue"),
        "description": spec.get("description", ""),
        "crontab": None,
        "interval": None,
    }
    if "crontab" in spec:
        cron = {"minute": "0", "hour": "*", "day_of_week": "*", "day_of_month": "*"}
        cron.update({k: str(v) for k, v in spec["crontab"].items()})
        fields["crontab"], _ = CrontabSchedule.objects.get_or_create(
            month_of_year="*", timezone="UTC", **cron
        )
    else:
        fields["interval"], _ = IntervalSchedule.objects.get_or_create(
            every=spec["every_seconds"], period=IntervalSchedule.SECONDS
        )
    task = PeriodicTask.objects.filter(name=spec["name"]).first()
    if task is None:
        PeriodicTask.objects.create(name=spec["name"], **fields)
        return True
    changed = [k for k, v in fields.items() if getattr(task, k) != v]
    if changed:
        for key in changed:
            setattr(task, key, fields[key])
        task.save()
    return bool(changed)


class Command(BaseCommand):
    help = "Create or update the periodic tasks run by Celery Beat (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            # The writes that schedules depend on come first; collecting them is a pure read.
            seeded = chart_seed_from_settings()
            specs = collect_schedules()
            changed = sum(upsert_periodic_task(spec) for spec in specs)
        if seeded:
            self.stdout.write(f"{len(seeded)} charts created from CHART_FEEDS.")
        self.stdout.write(f"{len(specs)} periodic tasks checked, {changed} created or updated.")
