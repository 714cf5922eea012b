"""Load the demo data of every app, in dependency order (used by `make run`). Idempotent."""

from importlib import import_module
from importlib.util import find_spec

from django.core.management.base import BaseCommand

# (module, function) pairs; an app without demo data is skipped.
DEMO_STEPS = [
    ("catalog.demo", "seed_catalog_demo"),
    ("charts.demo", "seed_charts_demo"),
    ("analytics.demo", "seed_analytics_demo"),
    ("recommendations.demo", "seed_recommendations_demo"),
]


class Command(BaseCommand):
    help = "Create demo users, catalog, charts, listening events and recommendations."

    def handle(self, *args, **options):
        for module_name, function_name in DEMO_STEPS:
            if not find_spec(module_name):
                continue
            result = getattr(import_module(module_name), function_name)()
            self.stdout.write(f"{module_name}.{function_name}: {result}")
