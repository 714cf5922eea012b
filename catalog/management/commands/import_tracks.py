"""``manage.py import_tracks PATH [PATH ...]``: import Spotify track CSVs (idempotent)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.importers import import_tracks


class Command(BaseCommand):
    help = (
        "Import artists, albums and songs (audio features, genres) from Spotify track CSVs "
        "such as shared/data/spotify_tracks_audio_features/*.csv. Idempotent on Spotify ids."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, help="CSV files to import")
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, paths, batch_size, **options):
        for path in paths:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
        if batch_size < 1:
            raise CommandError("--batch-size must be positive")
        try:
            report = import_tracks(
                paths,
                batch_size=batch_size,
                progress=lambda message: self.stdout.write(f"  {message}"),
            )
        except (ValueError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Import finished."))
