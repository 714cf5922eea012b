"""Ingestion throughput: batches of 500 events through gunicorn (2 workers) for a fixed time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_analytics \\
        .venv/bin/python bench/analytics_ingest.py [--seconds 30] [--connections 8]

Starts ``gunicorn music_platform.wsgi`` with 2 sync workers on a free 127.0.0.1 port
against DATABASE_URL's database (migrated here if needed), then a second process posts
batches of 500 events (each with a context, a position and a unique event_id, as a
retrying client sends them) from several connections for ``--seconds`` and prints the
accepted events per second and the batch latency. The bench listeners and their events
are removed at the end unless ``--keep``.

Each batch is 500 events stamped "now" by one listener: implausible listening, so the
plausibility check (``analytics.services.ingest``) flags nearly all of them, and every batch
pays the full comparison with the listener's counted events: the flood case, the worst one.
The flagged count is printed.

Target (issue 5): at least 10,000 events/s on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BATCH = 500
USERNAME_PREFIX = "ingest-bench-"
EVENT_ID_PREFIX = "ib"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(port: int) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "music_platform.settings",
            "DEBUG": "0",
            "SECRET_KEY": env.get("SECRET_KEY") or "bench-only-" + "x" * 50,
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "GUNICORN_BIND_HOST": "127.0.0.1",
            "PORT": str(port),
            "GUNICORN_WORKERS": "2",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def prepare(listeners: int) -> tuple[list[str], list[tuple[int, int]]]:
    """Bench listeners with access tokens, and (song id, duration) of visible songs."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_platform.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import AccessToken

    from catalog.models import Artist, Song
    from users.models import User

    call_command("migrate", verbosity=0)
    users = []
    for i in range(listeners):
        name = f"{USERNAME_PREFIX}{i}"
        user, _ = User.objects.get_or_create(
            username=name, defaults={"email": f"{name}@example.com"}
        )
        users.append(user)
    songs = list(Song.objects.visible().values_list("pk", "duration_ms")[:2000])
    if len(songs) < 50:
        artist, _ = Artist.objects.get_or_create(slug="ingest-bench", defaults={"name": "Bench"})
        Song.objects.bulk_create(
            [Song(title=f"Bench song {i}", artist=artist, duration_ms=200_000) for i in range(200)]
        )
        songs = list(Song.objects.visible().values_list("pk", "duration_ms")[:2000])
    tokens = [str(AccessToken.for_user(user)) for user in users]
    return tokens, [(pk, duration or 200_000) for pk, duration in songs]


def _template(songs: list[tuple[int, int]], rng: random.Random) -> bytes:
    """A 500-event body; ``@@`` in each event_id is replaced per request."""
    events = []
    for i in range(BATCH):
        song, duration = rng.choice(songs)
        action = rng.choices(["play", "complete", "skip", "like", "share"], [10, 6, 3, 1, 0.3])[0]
        events.append(
            {
                "song": song,
                "action": action,
                # A complete is reported at the end (ingest refuses one far before it).
                "position_ms": {"play": 0, "complete": duration}.get(
                    action, rng.randrange(duration)
                ),
                "context": {"source": rng.choice(["playlist", "album", "search"]), "device": "ios"},
                "event_id": f"{EVENT_ID_PREFIX}-@@-{i}",
            }
        )
    return json.dumps(events, separators=(",", ":")).encode()


def _client_thread(port, token, template, deadline, tag, out, lock):
    latencies, accepted, errors, n = [], 0, 0, 0
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    while time.monotonic() < deadline:
        n += 1
        body = template.replace(b"@@", f"{tag}x{n}".encode())
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("POST", "/api/v1/analytics/events/", body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            conn.close()
        except OSError:
            errors += 1
            continue
        latencies.append(time.perf_counter() - started)
        if response.status == 201:
            accepted += json.loads(payload)["accepted"]
        else:
            errors += 1
    with lock:
        out["latencies"].extend(latencies)
        out["accepted"] += accepted
        out["errors"] += errors


def load_process(port, tokens, songs, seconds, connections, run_tag, queue):
    """The second process: ``connections`` threads posting batches until the deadline."""
    rng = random.Random(11)
    templates = [_template(songs, rng) for _ in range(4)]
    out = {"latencies": [], "accepted": 0, "errors": 0}
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + seconds
    threads = [
        threading.Thread(
            target=_client_thread,
            args=(
                port,
                tokens[i % len(tokens)],
                templates[i % 4],
                deadline,
                f"{run_tag}t{i}",
                out,
                lock,
            ),
        )  # fmt: skip
        for i in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out["elapsed"] = time.monotonic() - started
    queue.put(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the bench events")
    args = parser.parse_args()

    tokens, songs = prepare(listeners=args.connections)
    from django.db import connection

    from analytics.models import ListeningEvent

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "music_platform.wsgi:application",
         "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--access-logfile", "/dev/null", "--log-level", "warning"],
        cwd=ROOT, env=_server_env(port),
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/health/")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not start")
        before = ListeningEvent.objects.count()
        first_id = ListeningEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        connection.close()
        print(
            f"gunicorn: 2 workers on 127.0.0.1:{port}; {args.connections} connections from a "
            f"second process; batches of {BATCH}; {args.seconds:.0f} s",
            flush=True,
        )
        run_tag = f"r{int(time.time())}"  # event ids unique across runs
        queue = multiprocessing.get_context("spawn").Queue()
        loader = multiprocessing.get_context("spawn").Process(
            target=load_process,
            args=(port, tokens, songs, args.seconds, args.connections, run_tag, queue),
        )
        loader.start()
        out = queue.get()
        loader.join()
        stored = ListeningEvent.objects.count() - before
        flagged = ListeningEvent.objects.filter(
            user__username__startswith=USERNAME_PREFIX, flagged=True, id__gt=first_id
        ).count()
    finally:
        server.terminate()
        server.wait(timeout=30)

    ms = sorted(x * 1000 for x in out["latencies"])
    p95 = ms[min(len(ms) - 1, int(round(0.95 * len(ms))) - 1)] if ms else float("nan")
    print(f"batches: {len(ms)} ({len(ms) / out['elapsed']:.1f}/s), errors: {out['errors']}")
    print(f"events accepted: {out['accepted']:,} (stored: {stored:,}, flagged: {flagged:,})")
    print(f"throughput: {out['accepted'] / out['elapsed']:,.0f} events/s (target >= 10,000)")
    if ms:
        print(f"batch latency: median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms")
    if not args.keep:
        deleted, _ = ListeningEvent.objects.filter(
            user__username__startswith=USERNAME_PREFIX, event_id__startswith=EVENT_ID_PREFIX + "-"
        ).delete()
        print(f"removed {deleted:,} bench events")


if __name__ == "__main__":
    main()
