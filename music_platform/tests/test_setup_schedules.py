import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from music_platform.management.commands.setup_schedules import collect_schedules

pytestmark = pytest.mark.django_db


def test_setup_schedules_is_idempotent_and_repairs_edits(capsys):
    specs = collect_schedules()
    assert any(s["task"] == "users.flush_expired_tokens" for s in specs)

    call_command("setup_schedules")
    first = capsys.readouterr().out
    assert f"{len(specs)} periodic tasks checked, {len(specs)} created or updated." in first
    count = PeriodicTask.objects.count()

    call_command("setup_schedules")
    assert "0 created or updated" in capsys.readouterr().out
    assert PeriodicTask.objects.count() == count

    task = PeriodicTask.objects.get(name="users: flush expired refresh tokens")
    task.task = "something.else"
    task.save()
    call_command("setup_schedules")
    assert "1 created or updated" in capsys.readouterr().out
    task.refresh_from_db()
    assert task.task == "users.flush_expired_tokens"
    assert (task.crontab.minute, task.crontab.hour) == ("17", "3")


def test_every_scheduled_task_is_registered_with_celery():
    from music_platform.celery import app

    app.loader.import_default_modules()
    for spec in collect_schedules():
        assert spec["task"] in app.tasks, spec["task"]
