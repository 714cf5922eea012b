"""Bench-only settings for ``bench/api_reads.py``: the project's settings with a URLconf that
adds the trivial baseline view (``bench/api_reads_urls.py``). Never used by the app."""

from music_platform.settings import *  # noqa: F403

ROOT_URLCONF = "bench.api_reads_urls"
