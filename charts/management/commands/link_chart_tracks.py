"""``link_chart_tracks``: link chart entries imported before their songs were in the catalog.

Run it after a catalog import (Celery Beat also runs it nightly). Only tracks without a
catalog link are looked at, so staff matches stay as they are.
"""

import time

from django.core.management.base import BaseCommand

from charts import selectors, services


class Command(BaseCommand):
    help = "Match unmatched chart tracks to catalog songs (Spotify id, ISRC, title and artist)."

    def handle(self, *args, **options):
        started = time.perf_counter()
        looked_at, matched = services.chart_tracks_link()
        self.stdout.write(
            f"{looked_at} unmatched tracks looked at, {matched} now matched "
            f"in {time.perf_counter() - started:.1f} s."
        )
        after = selectors.chart_link_rates()
        self.stdout.write(self.style.SUCCESS(f"All charts {selectors.format_link_rates(after)}."))
