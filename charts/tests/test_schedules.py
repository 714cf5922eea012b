"""Celery Beat entries: one daily pull per active chart with a feed, via setup_schedules."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from charts.schedules import schedules

from .factories import ChartFactory, FeedChartFactory

pytestmark = pytest.mark.django_db


def test_one_daily_pull_per_active_chart_with_a_feed(settings):
    settings.CHART_FEEDS = "apple-gb|Apple GB|apple_music|gb|songs|https://rss.example.com/gb.json"
    us = FeedChartFactory(slug="apple-us")
    FeedChartFactory(slug="off", active=False)
    ChartFactory(slug="csv-only", feed_url="")

    specs = schedules()
    gb_id = next(s["kwargs"]["chart_id"] for s in specs if s["name"] == "charts.pull apple-gb")
    assert [s["name"] for s in specs] == ["charts.pull apple-gb", "charts.pull apple-us"]
    assert specs[1] == {
        "name": "charts.pull apple-us",
        "task": "charts.pull",
        "crontab": {"minute": str(us.pk * 7 % 60), "hour": "9"},
        "kwargs": {"chart_id": us.pk, "trigger": "schedule"},
        "description": f"Daily pull of {us.name} ({us.feed_url})",
    }
    assert gb_id != us.pk


def test_setup_schedules_creates_the_periodic_tasks_idempotently(settings):
    settings.CHART_FEEDS = ""
    chart = FeedChartFactory(slug="apple-us")
    call_command("setup_schedules", stdout=StringIO())
    call_command("setup_schedules", stdout=StringIO())
    task = PeriodicTask.objects.get(name="charts.pull apple-us")
    assert task.task == "charts.pull"
    assert task.crontab.hour == "9" and task.crontab.minute == str(chart.pk * 7 % 60)
    assert task.kwargs == f'{{"chart_id": {chart.pk}, "trigger": "schedule"}}'
