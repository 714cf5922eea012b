"""Load the demo data of every app, in dependency order (used by `make run`). Idempotent.

Catalog demo data is built by the project's own code. The chart history comes from the
real Spotify CSVs under `settings.MUSIC_DATA_DIR` when they are there; without them (a
fresh clone), a clearly labelled demo chart is computed from the demo's own listening
once the analytics demo has created it.
"""

from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

REAL_CHART = {
    "slug": "spotify-global-daily",
    "name": "Spotify Global Daily Top 200",
    "country": "global",
    "folder": "spotify_charts/global_daily_2017-01_clay-ol",  # under MUSIC_DATA_DIR
}
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
        has_real_chart = self.load_real_chart()
        for module_name, function_name in DEMO_STEPS:
            if find_spec(module_name):
                result = getattr(import_module(module_name), function_name)()
                self.stdout.write(f"{module_name}: {summarise(result)}")
        if not has_real_chart:
            self.load_demo_chart()

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
                f"No chart CSVs at {folder} (MUSIC_DATA_DIR); the demo chart will be "
                "computed from the demo listening instead."
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

    def load_demo_chart(self) -> None:
        """The chart of the demo's own listening (the analytics rollups, by song and day)."""
        from analytics.models import SongDailyStats
        from charts.demo import seed_demo_chart

        result = seed_demo_chart(
            daily_listening=SongDailyStats.objects.values_list(
                "day", "song_id", "listeners", "plays"
            ).iterator()
        )
        self.stdout.write(f"charts.demo: {summarise(result)}")
