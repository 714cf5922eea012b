"""Celery Beat entries: one daily pull per active chart with a feed, via setup_schedules."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from charts.models import Chart
from charts.schedules import schedules
from charts.services import chart_seed_from_settings

from .factories import ChartFactory, FeedChartFactory

pytestmark = pytest.mark.django_db


def test_one_daily_pull_per_active_chart_with_a_feed(settings):
    settings.CHART_FEEDS = "apple-gb|Apple GB|apple_music|gb|songs|https://rss.example.com/gb.json"
    us = FeedChartFactory(slug="apple-us")
    FeedChartFactory(slug="off", active=False)
    ChartFactory(slug="csv-only", feed_url="")
    chart_seed_from_settings()

    specs = schedules()
    gb_id = next(s["kwargs"]["chart_id"] for s in specs if s["name"] == "charts.pull apple-gb")
    assert [s["name"] for s in specs] == [
        "charts.pull apple-gb",
        "charts.pull apple-us",
        "charts.link_tracks",
    ]
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


def test_collecting_schedules_writes_nothing(settings, django_assert_num_queries):
    settings.CHART_FEEDS = "apple-gb|Apple GB|apple_music|gb|songs|https://rss.example.com/gb.json"
    FeedChartFactory(slug="apple-us")
    with django_assert_num_queries(1):
        specs = schedules()
    assert [s["name"] for s in specs] == ["charts.pull apple-us", "charts.link_tracks"]
    assert not Chart.objects.filter(slug="apple-gb").exists()


def test_setup_schedules_creates_the_chart_feeds_charts_first(settings):
    settings.CHART_FEEDS = "apple-gb|Apple GB|apple_music|gb|songs|https://rss.example.com/gb.json"
    out = StringIO()
    call_command("setup_schedules", stdout=out)
    chart = Chart.objects.get(slug="apple-gb")
    assert "1 charts created from CHART_FEEDS." in out.getvalue()
    task = PeriodicTask.objects.get(name="charts.pull apple-gb")
    assert task.kwargs == f'{{"chart_id": {chart.pk}, "trigger": "schedule"}}'
    again = StringIO()
    call_command("setup_schedules", stdout=again)
    assert "CHART_FEEDS" not in again.getvalue()
    assert Chart.objects.filter(slug="apple-gb").count() == 1
