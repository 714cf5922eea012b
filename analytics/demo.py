"""Demo listening events for ``make run``: realistic, deterministic, idempotent."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from analytics import services
from analytics.models import ListeningEvent
from catalog.selectors import songs_visible_to

DEMO_EVENT_PREFIX = "demo-"
# Relative listening by hour of day (UTC): quiet nights, a commute bump, a big evening.
HOURLY_WEIGHTS = (
    2, 1, 1, 1, 1, 2, 4, 7, 8, 6, 5, 5, 6, 6, 5, 5, 6, 8, 10, 12, 12, 10, 7, 4,
)  # fmt: skip
SOURCES = ("album", "playlist", "chart", "recommendation", "search", "library")
DEVICES = ("ios", "android", "web", "desktop")


def demo_events_exist() -> bool:
    return ListeningEvent.objects.filter(event_id__startswith=DEMO_EVENT_PREFIX).exists()


def _demo_rows(
    *, users: list[int], songs: list[tuple[int, int | None, int]], days: int, now: datetime
) -> Iterator[tuple]:
    rng = random.Random(20240601)
    song_ids = [s[0] for s in songs]
    durations = {s[0]: s[1] or 210_000 for s in songs}
    # Skewed popularity: catalog popularity plus a long-tailed (Zipf-like) random factor.
    order = sorted(songs, key=lambda s: -s[2])
    weights = [(s[2] + 5) / (rank + 1) ** 0.8 for rank, s in enumerate(order)]
    ranked_ids = [s[0] for s in order]
    serial = 0
    for user_index, user_id in enumerate(users):
        activity = 0.35 + 0.6 * rng.random()  # share of days this listener shows up
        favourites = rng.sample(song_ids, k=min(len(song_ids), 8))
        for day_offset in range(days, -1, -1):
            if rng.random() > activity:
                continue
            day_start = (now - timedelta(days=day_offset)).replace(
                hour=0, minute=0, second=0, microsecond=0
            )
            for _session in range(rng.choice((1, 1, 1, 2))):
                hour = rng.choices(range(24), weights=HOURLY_WEIGHTS)[0]
                at = day_start + timedelta(hours=hour, minutes=rng.randrange(60))
                context = json.dumps(
                    {"source": rng.choice(SOURCES), "device": DEVICES[user_index % 4]},
                    separators=(",", ":"),
                )
                for _track in range(rng.randint(4, 15)):
                    if at > now:
                        break
                    song = (
                        rng.choice(favourites)
                        if rng.random() < 0.3
                        else rng.choices(ranked_ids, weights=weights)[0]
                    )
                    duration = durations[song]
                    events = [("play", 0)]
                    if rng.random() < 0.7:
                        events.append(("complete", duration))
                        listened = duration
                    else:
                        listened = rng.randint(5_000, max(5_001, duration // 2))
                        events.append(("skip", listened))
                    if rng.random() < 0.06:
                        events.append(("like", listened))
                    if rng.random() < 0.015:
                        events.append(("share", listened))
                    for action, position in events:
                        serial += 1
                        yield (
                            user_id,
                            song,
                            action,
                            at,
                            at + timedelta(seconds=1),
                            position,
                            context,
                            f"{DEMO_EVENT_PREFIX}{serial}",
                        )
                    at += timedelta(milliseconds=listened + 2_000)


def seed_analytics_demo(*, days: int = 30) -> int:
    """Create listening events for the existing users and visible songs over the last
    ``days`` days, then run the rollups. Returns the number of events created (0 when
    demo events already exist or there is nobody or nothing to listen to)."""
    if demo_events_exist():
        return 0
    users = list(
        get_user_model().objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
    )
    songs = list(
        songs_visible_to(user=None).order_by("pk").values_list("pk", "duration_ms", "popularity")
    )
    if not users or not songs:
        return 0
    now = timezone.now()
    with transaction.atomic():
        created = services.events_copy(
            rows=_demo_rows(users=users, songs=songs, days=max(1, min(days, 365)), now=now)
        )
    services.rollup_run()
    return created
