"""Hot API reads against a trivial DRF view on the same server, in the same run (issue 12).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_reads_bench \\
        .venv/bin/python bench/api_reads.py [--rounds 3] [--seconds 3] [--connections 8]

Prepares DATABASE_URL's database (created and migrated if needed; ``load_demo``, then the real
track import from ``MUSIC_DATA_DIR/spotify_tracks_audio_features``; ``--no-prepare`` skips both),
starts gunicorn (2 sync workers, DEBUG off, rate limits off) with ``bench/api_reads_settings.py``,
which mounts a trivial ``APIView`` returning ``{"ok": true}`` at ``/bench/trivial/`` beside the
API, and measures with ``wrk`` (``--connections`` connections, 2 threads, keep-alive): each
round runs every endpoint for ``--seconds`` right after a run of the trivial view of the same
length (a pair), so the ratio of a pair compares two runs seconds apart: this machine's
throughput drifts by 10-20 % from one few-second window to the next (seen: the trivial view
at 2,165, 2,578 and 2,392 req/s in three consecutive runs), more than the differences being
measured. Printed per endpoint: req/s over all rounds, median p50 and p99 latency of the
rounds, the median of its pair ratios (the figure compared with the targets) and their range.

The "304" row sends the ``If-None-Match`` of the ETag a first request returned (skipped when the
endpoint sends no ETag). Every endpoint is first fetched once and must answer 200, else the bench
stops. Redis is REDIS_URL (default database 6, key prefix ``bench-reads``), flushed of that prefix
before each run, so cached endpoints start cold and warm up inside the first round.

Targets (issue 12): every endpoint >= 0.35 of trivial; songs list anonymous, song detail,
album detail, chart page >= 0.6; the 304 >= 0.8.

Measured 2026-11-26 on the shared 2-CPU development machine (load average 7-8 from other
work during both runs), 3 rounds x 3 s, trivial view ~1,330-1,410 req/s in both runs;
req/s (ratio) before (commit 6c17b4f) -> after (response cache, orjson, lean serializers):
songs?limit=20 anon 47 (0.04) -> 625 (0.44); songs?limit=100 listener 29 (0.02) -> 259
(0.18); song detail 171 (0.13) -> 493 (0.35); its 304 -> 466 (0.33); albums?limit=20 63
(0.05) -> 673 (0.48); album detail 79 (0.06) -> 654 (0.46); search 15 (0.01) -> 732 (0.52);
chart page 87 (0.07) -> 577 (0.41); trending 74 (0.06) -> 534 (0.38). A hit is one Redis
MGET; on this loaded machine that round trip (waiting for redis-server to be scheduled)
is most of what separates a hit or a 304 from the trivial view.

Measured 2026-11-26 18:33 UTC on the same machine, quiet (load average 1.2-2.4), 2 rounds x 2 s,
the committed tree before (2744528) and after (a3c9513: GETs without credentials looked up
before DRF) back to back; ratio before -> after: songs?limit=20 anon 0.64 -> 0.71; songs?limit=100
listener 0.39 -> 0.34; song detail 0.64 -> 0.68; its 304 0.67 -> 0.68; albums?limit=20 0.68 ->
0.67; album detail 0.65 -> 0.68; search 0.61 -> 0.68; chart page 0.62 -> 0.70; trending 0.62 ->
0.66 (trivial 2,106 and 2,508 req/s). The row "trivial DRF view, listener token" (0.47, 0.49)
is what authenticating a listener costs alone (JWT check, the connection health check and the
re-read of the account, two SQL round trips): a listener's hit cannot do better than it. A 304
is one Redis round trip plus Django's middleware; the early lookup saves DRF's work only.

Measured 2026-11-26 20:00-20:30 UTC, another machine of the same kind, quiet (load < 1 before
each run), 2 rounds x 2 s, ratios before (ed2ceb7, interleaved) -> after (the account read as
one plain SELECT, the health check without a round trip, the lookup's MGET sent directly;
paired runs, 5 rounds x 2 s, median of the pairs and their range): trivial, listener token
0.49 -> 0.65 (0.56-0.70); songs?limit=100 listener 0.38 -> 0.48 (0.38-0.51); picks 0.22 ->
0.43 (0.41-0.50); staff summary 0.24 -> 0.49 (0.46-0.52); songs?limit=20 anon 0.80 -> 0.76
(0.66-0.86); song detail 0.79 -> 0.84 (0.78-0.88); its 304 0.75 -> 0.76 (0.75-0.78); albums
0.66/0.75 -> 0.83/0.77; search 0.67 -> 0.77; chart page 0.64 -> 0.73; trending 0.56 -> 0.70.
Anonymous rows moved within the noise (their path has no SQL); in absolute terms the 304 went
from 1,792 to 1,879 req/s while the trivial view ran at 2,388 and 2,407. What separates a 304
from the trivial view now is the Redis round trip (85-130 us here, most of it the wake-up of
the other process) and the URL resolution of the API's routes (33 us against 8 us).
Then (the API's routes one flat list; a 304 without Content-Type; cache keys read from
Django's request without DRF's proxy), 21:00-21:09 UTC, 5 and 6 rounds x 2 s: the 304 0.83
(0.80-0.87) and 0.80 (0.77-0.87), 2,051 and 2,005 req/s against 2,489 and 2,488; song detail
0.80/0.79, albums 0.79-0.83, search 0.78-0.79, chart page 0.77, trending 0.76, songs?limit=100
listener 0.45/0.47, picks 0.46/0.47, staff summary 0.48/0.50.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/mp_reads_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/6"
CHART = "spotify-global-daily"


def _env() -> dict:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DB)
    env.setdefault("REDIS_URL", DEFAULT_REDIS)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.api_reads_settings",
            "DEBUG": "0",
            "SECRET_KEY": env.get("SECRET_KEY") or "bench-reads-only-" + "x" * 50,
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "RATELIMIT_ENABLE": "0",
            "CACHE_KEY_PREFIX": "bench-reads",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def prepare(do_import: bool) -> dict:
    """Demo data + real tracks; return the ids and tokens the endpoints need."""
    os.environ.update(_env())
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import AccessToken

    from catalog.models import Album, Song
    from users.models import User

    if do_import:
        call_command("ensure_database", verbosity=0)
        call_command("migrate", verbosity=0)
        started = time.monotonic()
        call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
        folder = Path(settings.MUSIC_DATA_DIR, "spotify_tracks_audio_features")
        tracks = sorted(folder.glob("*.csv"))
        call_command("import_tracks", *map(str, tracks), stdout=open(os.devnull, "w"))  # noqa: SIM115
        print(f"prepared in {time.monotonic() - started:.0f} s", flush=True)
    cache.delete_pattern("*")  # only this run's key prefix
    listener = User.objects.get(username="alice")
    staff = User.objects.get(username="admin")
    song = Song.objects.visible().filter(spotify_id__isnull=False).order_by("id").first()
    album = Album.objects.filter(is_public=True, is_visible=True, songs__isnull=False)
    album = album.order_by("id").first()
    assert song is not None and album is not None, "no public songs/albums: prepare first"
    print(
        f"data: {Song.objects.count():,} songs, {Album.objects.count():,} albums; "
        f"song {song.pk}, album {album.pk}",
        flush=True,
    )
    return {
        "song": song.pk,
        "album": album.pk,
        "listener": str(AccessToken.for_user(listener)),
        "staff": str(AccessToken.for_user(staff)),
    }


def endpoints(ids: dict) -> list[tuple[str, str, str | None]]:
    """(label, path, token) in the order of the issue's table."""
    listener, staff = ids["listener"], ids["staff"]
    return [
        ("trivial DRF view", "/bench/trivial/", None),
        # Not in the table: what authenticating a listener costs on its own (every
        # logged-in read pays it; the ratios stay against the anonymous trivial view).
        ("trivial DRF view, listener token", "/bench/trivial/", listener),
        ("GET /songs/?limit=20 anonymous", "/api/v1/songs/?limit=20", None),
        ("GET /songs/?limit=100 listener", "/api/v1/songs/?limit=100", listener),
        ("GET /songs/{id}/", f"/api/v1/songs/{ids['song']}/", None),
        ("GET /albums/?limit=20", "/api/v1/albums/?limit=20", None),
        ("GET /albums/{id}/", f"/api/v1/albums/{ids['album']}/", None),
        ("GET /songs/?search=love", "/api/v1/songs/?search=love", None),
        ("GET /charts/{slug}/?limit=20", f"/api/v1/charts/{CHART}/?limit=20", None),
        ("GET /songs/trending/?window=7d", "/api/v1/songs/trending/?window=7d", None),
        ("GET /recommendations/me/ (cached)", "/api/v1/recommendations/me/", listener),
        ("GET /analytics/summary/ (staff)", "/api/v1/analytics/summary/", staff),
    ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port: int, path: str, headers: dict) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def _wrk(port: int, path: str, headers: dict, seconds: float, connections: int) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    elapsed = re.search(r"requests in ([\d.]+)(m?s|m)", output)
    scale = {"s": 1.0, "ms": 0.001, "m": 60.0}[elapsed.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests": requests,
        "seconds": float(elapsed.group(1)) * scale,
        "p50": _ms(re.search(r"\s50%\s+([\d.]+\w+)", output).group(1)),
        "p99": _ms(re.search(r"\s99%\s+([\d.]+\w+)", output).group(1)),
        "bad": int(bad.group(1)) if bad else 0,
    }


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--no-prepare", action="store_true", help="data is already there")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (apt-get install wrk)")

    ids = prepare(do_import=not args.no_prepare)
    from django.db import connection

    connection.close()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "music_platform.wsgi:application",
         "--config", "gunicorn.conf.py", "--workers", "2", "--threads", "1",
         "--bind", f"127.0.0.1:{port}", "--max-requests", "0",
         "--access-logfile", "/dev/null", "--log-level", "warning"],
        cwd=ROOT, env=_env(),
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                if _get(port, "/health/", {})[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not start")
        rows: list[tuple[str, str, dict]] = []
        for label, path, token in endpoints(ids):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            status, response_headers, body = _get(port, path, headers)
            if status != 200:
                raise SystemExit(f"{label}: {status} {body[:300]!r}")
            print(f"  {label:<36} {len(body):>7,} bytes  etag={response_headers.get('etag')}")
            rows.append((label, path, headers))
            if label == "GET /songs/{id}/":
                etag = response_headers.get("etag")
                if etag:
                    rows.append(("GET /songs/{id}/ 304", path, {"If-None-Match": etag}))
                    assert _get(port, path, {"If-None-Match": etag})[0] == 304
        print(
            f"gunicorn 2 workers, {os.cpu_count()} CPUs; wrk 2 threads, {args.connections} "
            f"connections; {args.rounds} rounds; per endpoint and round, {args.seconds:g} s of "
            f"the trivial view then {args.seconds:g} s of the endpoint (a pair)",
            flush=True,
        )
        trivial_label, trivial_path, trivial_headers = rows[0]
        results: dict[str, list[dict]] = {label: [] for label, _, _ in rows}
        ratios: dict[str, list[float]] = {label: [] for label, _, _ in rows[1:]}
        for round_number in range(args.rounds):
            for label, path, headers in rows[1:]:
                base = _wrk(port, trivial_path, trivial_headers, args.seconds, args.connections)
                run = _wrk(port, path, headers, args.seconds, args.connections)
                results[trivial_label].append(base)
                results[label].append(run)
                ratios[label].append(_rate([run]) / _rate([base]))
            print(f"  round {round_number + 1} done", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(
        "\n| endpoint | req/s | p50 ms | p99 ms | ratio (median of pairs) | pair range |"
        "\n|---|---|---|---|---|---|"
    )
    for label, _, _ in rows:
        runs = results[label]
        bad = sum(r["bad"] for r in runs)
        if label == trivial_label:
            ratio, spread = "1.00", "-"
        else:
            ratio = f"{statistics.median(ratios[label]):.2f}"
            spread = f"{min(ratios[label]):.2f}-{max(ratios[label]):.2f}"
        print(
            f"| {label} | {_rate(runs):,.0f} | {statistics.median(r['p50'] for r in runs):.1f} | "
            f"{statistics.median(r['p99'] for r in runs):.1f} | {ratio} | {spread} |"
            + (f" ({bad} non-2xx/3xx!)" if bad else "")
        )


def _rate(runs: list[dict]) -> float:
    return sum(r["requests"] for r in runs) / sum(r["seconds"] for r in runs)


if __name__ == "__main__":
    main()
