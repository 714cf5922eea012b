"""Periodic tasks of the composition root (collected by ``setup_schedules``)."""

# After midnight UTC, once the day is over; the rollups run every minute and the ranking
# reads the not yet rolled-up tail too, so the day is complete whatever the rollup lag.
PLATFORM_CHARTS_AT = {"minute": "20", "hour": "0"}


def schedules() -> list[dict]:
    return [
        {
            "name": "platform charts: compute yesterday",
            "task": "music_platform.compute_platform_charts",
            "crontab": PLATFORM_CHARTS_AT,
            "description": "Daily (and, on Mondays, last week's) platform charts from our own "
            "listening: unique listeners, repeat plays damped, flagged plays left out.",
        }
    ]
