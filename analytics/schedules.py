"""Periodic tasks (installed by ``python manage.py setup_schedules``)."""


def schedules() -> list[dict]:
    return [
        {
            "name": "analytics: roll up listening events",
            "task": "analytics.rollup",
            "every_seconds": 60,
            "description": "Adds events above the watermark to the daily rollups; a run with "
            "nothing new changes nothing. Reads add the rest from the raw table.",
        }
    ]
