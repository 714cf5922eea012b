"""Load the demo data of every app, in dependency order (used by `make run`). Idempotent.

Catalog demo data is built by the project's own code. Our own platform charts get a month
of history computed from the demo listening (what Beat computes day by day in production),
once the analytics demo has created it, and the songs at the top of the latest daily chart
get demo audio, so the chart plays (the first few demo songs got theirs with the catalog).
The Spotify global chart of January 2017 is
backfilled from the real CSVs under `settings.MUSIC_DATA_DIR` when they are there.
"""

import time
from datetime import timedelta
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

REAL_CHART = {
    "slug": "spotify-global-daily",
    "name": "Spotify Global Daily Top 200",
    "country": "global",
    "folder": "spotify_charts/global_daily_2017-01_clay-ol",  # under MUSIC_DATA_DIR
}
PLATFORM_HISTORY_DAYS = 30
# Songs at the top of the latest platform-daily-songs snapshot that get demo audio.
CHART_AUDIO_SONGS = 20
# (module, function) pairs run after the catalog and charts; an app without one is skipped.
DEMO_STEPS = [
    ("analytics.demo", "seed_analytics_demo"),
    ("recommendations.demo", "seed_recommendations_demo"),
]


def summarise(result) -> str:
    """One short line: scalars as they are, collections by their size."""
    if not isinstance(result, dict):
        return str(result)
    parts = []
    for key, value in result.items():
        if isinstance(value, list | tuple | set | dict):
            parts.append(f"{key}={len(value)}")
        else:
            parts.append(f"{key}={value}")
    return ", ".join(parts)


class Command(BaseCommand):
    help = "Create demo users, catalog, charts, listening events and recommendations."

    def handle(self, *args, **options):
        call_command("seed_demo", stdout=self.stdout)
        self.load_real_chart()
        for module_name, function_name in DEMO_STEPS:
            if find_spec(module_name):
                result = getattr(import_module(module_name), function_name)()
                self.stdout.write(f"{module_name}: {summarise(result)}")
        self.load_platform_charts()
        self.load_chart_audio()

    def load_real_chart(self) -> bool:
        """Backfill the real Spotify chart; False when its files are not there."""
        from charts.models import Chart

        if Chart.objects.filter(slug=REAL_CHART["slug"], snapshots__isnull=False).exists():
            self.stdout.write(f"Chart {REAL_CHART['slug']} already loaded.")
            return True
        folder = Path(settings.MUSIC_DATA_DIR) / REAL_CHART["folder"]
        files = sorted(folder.glob("*.csv"))
        if not files:
            self.stdout.write(
                f"No chart CSVs at {folder} (MUSIC_DATA_DIR): the platform charts, "
                "computed from the demo listening, are the only charts."
            )
            return False
        call_command(
            "import_chart_csv",
            *map(str, files),
            chart=REAL_CHART["slug"],
            name=REAL_CHART["name"],
            country=REAL_CHART["country"],
            stdout=self.stdout,
        )
        return True

    def load_platform_charts(self) -> None:
        """A month of platform-chart history from the demo listening: the days up to
        yesterday (Beat computes each finished day from then on). Left alone once there."""
        from charts.models import ChartSnapshot
        from charts.services.platform import PLATFORM_CHARTS
        from music_platform.platform_charts import compute_platform_charts

        if ChartSnapshot.objects.filter(chart__slug=PLATFORM_CHARTS[0].slug).exists():
            self.stdout.write("Platform charts already computed.")
            return
        yesterday = timezone.now().date() - timedelta(days=1)
        days = [yesterday - timedelta(days=n) for n in range(PLATFORM_HISTORY_DAYS)]
        results = compute_platform_charts(days=days)
        self.stdout.write(
            "platform charts: "
            + ", ".join(f"{r.slug}={r.snapshots_written} snapshots" for r in results)
        )

    def load_chart_audio(self) -> None:
        """Demo audio for the songs at the top of the latest platform daily chart (those the
        demo listening made popular), so its entries play. Songs with audio are left alone."""
        from django.contrib.auth import get_user_model

        from catalog.audio.demo import seed_demo_audio
        from catalog.models import Song
        from music_platform.platform_charts import latest_platform_chart_song_ids
        from users.models import STAFF_ROLES

        ids = latest_platform_chart_song_ids(limit=CHART_AUDIO_SONGS)
        uploader = (
            get_user_model()
            .objects.filter(role__in=STAFF_ROLES, is_active=True)
            .order_by("-role", "pk")  # an editor (the demo's "editor") before an admin
            .first()
        )
        if not ids or uploader is None:
            return
        by_id = Song.objects.in_bulk(ids)
        started = time.perf_counter()
        made = seed_demo_audio(
            songs=[by_id[pk] for pk in ids if pk in by_id],
            uploader=uploader,
            progress=lambda message: self.stdout.write(f"  {message}"),
        )
        self.stdout.write(
            f"chart audio: {made} of the top {len(ids)} platform chart songs given audio "
            f"in {time.perf_counter() - started:.1f} s (the others had it)."
        )
