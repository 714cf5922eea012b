"""Enrich catalog songs from Spotify: ids, popularity and album artwork.

Optional: only does anything when SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET are set.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalog.services.spotify import catalog_spotify_enrich
from catalog.spotify import SpotifyClient, SpotifyError


class Command(BaseCommand):
    help = "Match songs to Spotify (by ISRC or title and artist) and copy ids, popularity, artwork."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=200, help="Songs to look up at most.")
        parser.add_argument(
            "--refresh",
            action="store_true",
            help="Also re-read the popularity of songs that already have a Spotify id.",
        )
        parser.add_argument(
            "--no-artwork", action="store_true", help="Do not download album artwork."
        )

    def handle(self, *args, **options):
        if not (settings.SPOTIFY_CLIENT_ID and settings.SPOTIFY_CLIENT_SECRET):
            raise CommandError(
                "Spotify is not configured: set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET."
            )
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        client = SpotifyClient(settings.SPOTIFY_CLIENT_ID, settings.SPOTIFY_CLIENT_SECRET)
        try:
            counts = catalog_spotify_enrich(
                client=client,
                limit=options["limit"],
                refresh=options["refresh"],
                artwork=not options["no_artwork"],
                progress=self.stdout.write,
            )
        except SpotifyError as exc:
            raise CommandError(f"Spotify enrichment stopped: {exc}") from exc
        self.stdout.write(
            f"matched {counts['matched']}, unmatched {counts['unmatched']}, "
            f"artwork {counts['artwork']}, popularity refreshed {counts['refreshed']}"
        )
