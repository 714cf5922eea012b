"""ASGI entry point of the `realtime` process (DESIGN.md §1): WebSockets at /ws/v1/ plus its
own /health/, /health/ready/ and /metrics. The HTTP API is served by gunicorn (wsgi.py).

    uvicorn music_platform.asgi:application --port 8001
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_platform.settings")
django.setup()

from realtime.routing import application  # noqa: E402  (needs the apps loaded)

__all__ = ["application"]
