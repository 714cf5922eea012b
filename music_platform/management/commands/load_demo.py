"""Load the demo data of every app, in dependency order (used by `make run`). Idempotent.

Catalog demo data is built by the project's own code; the chart history comes from the
real Spotify CSVs in ../shared/data when that folder is present (skipped otherwise).
"""

from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

DEMO_CHART = {
    "slug": "spotify-global-daily",
    "name": "Spotify Global Daily Top 200",
    "country": "global",
    "folder": "spotify_charts/global_daily_2017-01_clay-ol",
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
        self.load_demo_chart()
        for module_name, function_name in DEMO_STEPS:
            if find_spec(module_name):
                result = getattr(import_module(module_name), function_name)()
                self.stdout.write(f"{module_name}: {summarise(result)}")

    def load_demo_chart(self) -> None:
        from charts.models import Chart

        folder = Path(settings.BASE_DIR).parent / "shared/data" / DEMO_CHART["folder"]
        if Chart.objects.filter(slug=DEMO_CHART["slug"], snapshots__isnull=False).exists():
            self.stdout.write(f"Chart {DEMO_CHART['slug']} already loaded.")
            return
        files = sorted(folder.glob("*.csv"))
        if not files:
            self.stdout.write(f"No chart CSVs at {folder}; skipping the demo chart.")
            return
        call_command(
            "import_chart_csv",
            *map(str, files),
            chart=DEMO_CHART["slug"],
            name=DEMO_CHART["name"],
            country=DEMO_CHART["country"],
            stdout=self.stdout,
        )
