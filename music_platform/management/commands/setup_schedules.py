"""Create or update the Celery Beat periodic tasks, idempotently.

The apps' ``<app>/schedules.py`` modules, listed in ``SCHEDULES`` below, each have a
function ``schedules()`` returning a list of dicts: ``{"name", "task", "crontab":
{minute, hour, ...}`` or ``"every_seconds"``, optional ``"kwargs"``, ``"queue"``,
``"description"``}``. Running the command twice changes nothing the second time; staff
can still edit the tasks in the admin.
``schedules()`` only reads: the writes schedules depend on (the charts listed in
CHART_FEEDS) are made here first, in the same transaction as the periodic tasks.
"""

import json

from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from analytics import schedules as analytics_schedules
from charts import schedules as charts_schedules
from charts.services import chart_seed_from_settings
from music_platform import schedules as platform_schedules
from recommendations import schedules as recommendations_schedules
from users import schedules as users_schedules

# Every app that schedules periodic work; a new one is added here, explicitly.
SCHEDULES = (
    users_schedules,
    charts_schedules,
    analytics_schedules,
    recommendations_schedules,
    platform_schedules,
)


def collect_schedules() -> list[dict]:
    return [spec for module in SCHEDULES for spec in module.schedules()]


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
