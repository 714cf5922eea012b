"""Celery Beat entries of the charts app, collected by `manage.py setup_schedules`."""

from charts.models import Chart

# Apple refreshes its feeds during the (US) night; pull after that, spread over the hour.
PULL_HOUR_UTC = 9


def schedules() -> list[dict]:
    """One daily pull per active chart with a feed URL. A pure read: setup_schedules creates
    the CHART_FEEDS charts (services.chart_seed_from_settings) before collecting.

    The periodic tasks stay editable in the admin; running setup_schedules again resets
    them to these values.
    """
    pulls = [
        {
            "name": f"charts.pull {chart.slug}",
            "task": "charts.pull",
            "crontab": {"minute": str(chart.pk * 7 % 60), "hour": str(PULL_HOUR_UTC)},
            "kwargs": {"chart_id": chart.pk, "trigger": "schedule"},
            "description": f"Daily pull of {chart.name} ({chart.feed_url})",
        }
        for chart in Chart.objects.filter(active=True).exclude(feed_url="").order_by("slug")
    ]
    link = {
        "name": "charts.link_tracks",
        "task": "charts.link_tracks",
        # Before the pulls: entries of songs a catalog import added yesterday get linked.
        "crontab": {"minute": "40", "hour": str(PULL_HOUR_UTC - 1)},
        "description": "Link unmatched chart tracks to songs the catalog has gained since",
    }
    return [*pulls, link]
