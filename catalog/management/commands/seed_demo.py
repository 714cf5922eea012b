"""``manage.py seed_demo``: demo users, catalog, playlists and likes (idempotent)."""

from django.core.management.base import BaseCommand

from catalog.demo import seed_catalog_demo


class Command(BaseCommand):
    help = "Create the demo catalog, users, playlists and likes; running it again adds nothing."

    def handle(self, *args, **options):
        result = seed_catalog_demo(progress=lambda message: self.stdout.write(f"  {message}"))
        created = ", ".join(f"{n} {name}" for name, n in result["created"].items())
        self.stdout.write(f"Created this run: {created}.")
        totals = ", ".join(f"{n} {name}" for name, n in result["totals"].items())
        self.stdout.write(f"Demo data now: {totals}, {result['album_likes']} album likes.")
        self.stdout.write("Demo accounts (log in at /admin/ or POST /api/v1/auth/token/):")
        for username, info in result["users"].items():
            self.stdout.write(f"  {username:8} {info['role']:9} password: {info['password']}")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
