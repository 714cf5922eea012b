"""Run the analytics rollups now (the same work as the ``analytics.rollup`` task)."""

import time

from django.core.management.base import BaseCommand

from analytics import services


class Command(BaseCommand):
    help = "Fold every event above the watermark into the daily rollups (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Empty the rollups first and rebuild them from every stored event.",
        )
        parser.add_argument(
            "--chunk",
            type=int,
            default=services.DEFAULT_CHUNK_IDS,
            help="Event ids per transaction (default %(default)s).",
        )

    def handle(self, *args, rebuild: bool, chunk: int, **options):
        started = time.monotonic()
        if rebuild:
            services.rollup_reset()
            self.stdout.write("Rollups emptied; rebuilding from the events table.")
        result = services.rollup_run(chunk_ids=max(1000, chunk), progress=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(
                f"Rolled up {result.events} events in {result.chunks} chunk(s) in "
                f"{time.monotonic() - started:.1f}s; watermark at event {result.last_event_id},"
                f" running totals through {result.through_day}."
            )
        )
