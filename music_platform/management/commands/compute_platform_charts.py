"""``compute_platform_charts [--date D | --from D --to D]``: compute or backfill the platform
charts (daily songs and artists every day, weekly ones on each Sunday in the range).

Without a date: yesterday (UTC), what Celery Beat runs. A day computed again is replaced.
"""

import time
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from charts.models import IngestionRun
from music_platform.platform_charts import compute_platform_charts, yesterday

MAX_DAYS = 3 * 366


class Command(BaseCommand):
    help = "Compute (or backfill) the platform charts from our own listening."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, help="One day (YYYY-MM-DD).")
        parser.add_argument("--from", dest="date_from", type=date.fromisoformat)
        parser.add_argument("--to", dest="date_to", type=date.fromisoformat)

    def handle(self, *args, date, date_from, date_to, **options):
        if date and (date_from or date_to):
            raise CommandError("give --date, or --from and --to, not both")
        if bool(date_from) != bool(date_to):
            raise CommandError("--from and --to go together")
        if date_from and date_from > date_to:
            raise CommandError("--from is after --to")
        if date_from:
            days = [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]
        else:
            days = [date or yesterday()]
        if len(days) > MAX_DAYS:
            raise CommandError(f"at most {MAX_DAYS} days at once")
        started = time.perf_counter()
        results = compute_platform_charts(days=days, trigger=IngestionRun.Trigger.MANUAL)
        for result in results:
            self.stdout.write(
                f"{result.slug}: {result.snapshots_written} snapshots, "
                f"{result.entries_written} entries written, "
                f"{result.snapshots_removed} removed (no listening)"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Platform charts for {days[0]} to {days[-1]} in "
                f"{time.perf_counter() - started:.1f} s."
            )
        )
