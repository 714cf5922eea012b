#!/usr/bin/env python
"""Benchmark: realtime fan-out latency and the memory of idle sockets.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/music_platform \\
        .venv/bin/python bench/realtime.py [--writes 30] [--sizes 1,100,1000] [--keep]

Creates a throw-away database (bench_realtime_<name>), starts the real processes as `make run` does
(gunicorn for the HTTP API, uvicorn for `music_platform.asgi:application`) on free ports with
their own channel-layer prefix, then for each number of subscribers N:
- N WebSocket clients (the `websockets` library, spread over client processes) subscribe to
  `playlist:<id>` of one public playlist;
- one user adds a song over HTTP, --writes times, one after another; each write's event is
  awaited on every socket before the next write;
- latency = receipt on the socket - the publish time stamped in the event's Redis message
  (`sent`, taken right after the write's transaction committed, by common.realtime); the
  benchmark reads that stamp by listening on the same Redis pub/sub channel itself.
With --hidden the playlist starts with a song staff hid, and every second client process
subscribes as an editor: two audiences (positions over every song vs. over the public ones),
so each event is rendered and encoded per audience.
Prints p50/p99/max per N (target: p99 < 250 ms at 1,000), the same from the HTTP request's
start (an upper bound: it includes the write itself), and the realtime process's resident
memory before and after 1,000 idle sockets (per 1,000 sockets).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIENT_PROCESSES = max(1, min(4, os.cpu_count() or 1))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def fanout_buckets(port: int) -> dict[float, float]:
    """The realtime process's own fan-out histogram (publish -> handed to the socket)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    buckets = {}
    for line in text.splitlines():
        if line.startswith("realtime_fanout_latency_seconds_bucket"):
            le = line.split('le="')[1].split('"')[0]
            buckets[float(le)] = float(line.rsplit(" ", 1)[1])
    return buckets


def bucket_quantile(before: dict, after: dict, q: float) -> str:
    counts = sorted((le, after[le] - before.get(le, 0.0)) for le in after)
    total = counts[-1][1]
    for le, n in counts:
        if n >= q / 100 * total:
            return f"<= {le * 1000:g} ms"
    return "?"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# --- client processes: N/k sockets each, reporting (write number, receipt time) ----------------


def client_process(url: str, channel: str, count: int, ready, results, stop) -> None:
    import uvloop

    uvloop.install()
    asyncio.run(_clients(url, channel, count, ready, results, stop))


async def _clients(url, channel, count, ready, results, stop) -> None:
    import websockets

    async def one(index: int, connected: asyncio.Event, done: list) -> None:
        async with websockets.connect(url, max_queue=None, ping_interval=None) as ws:
            await ws.send(json.dumps({"action": "subscribe", "channel": channel}))
            assert json.loads(await ws.recv())["type"] == "subscribed"
            done.append(index)
            if len(done) == count:
                connected.set()
            async for raw in ws:
                received = time.time()
                message = json.loads(raw)
                if message.get("type") == "event":
                    results.put((message["data"]["snapshot_id"], received))

    connected, done = asyncio.Event(), []
    tasks = []
    for i in range(count):
        tasks.append(asyncio.create_task(one(i, connected, done)))
        if i % 50 == 49:
            await asyncio.sleep(0.05)  # do not flood the accept queue
    await asyncio.wait_for(connected.wait(), 120)
    ready.put(count)
    while not stop.is_set():
        await asyncio.sleep(0.1)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# --- the benchmark --------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=30, help="writes per subscriber count")
    parser.add_argument("--sizes", default="1,100,1000", help="subscriber counts")
    parser.add_argument("--ws", default="websockets-sansio", help="uvicorn --ws implementation")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument(
        "--hidden", action="store_true", help="a hidden song first; half the sockets staff"
    )
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_platform.settings")
    os.environ.setdefault("DEBUG", "1")
    os.environ["CHANNEL_LAYER_PREFIX"] = f"bench-{os.getpid()}"
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False
    from _database import bench_database  # bench/ is this script's folder

    with bench_database(keep=args.keep, prefix="bench_realtime"):
        run(args, [int(n) for n in args.sizes.split(",")])


def start(command: list[str], env: dict[str, str], health: str) -> subprocess.Popen:
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{command[0]} exited at start")
        try:
            with urllib.request.urlopen(health, timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"{command} did not become ready")


def run(args, sizes: list[int]) -> None:
    import redis
    import requests
    from channels_redis.serializers import registry
    from django.conf import settings
    from django.db import connection
    from rest_framework_simplejwt.tokens import AccessToken

    from catalog.tests.factories import PlaylistFactory, SongFactory
    from common.realtime import _group_channel, group_name
    from users.tests.factories import EditorFactory, UserFactory

    total_writes = args.writes * len(sizes) + 5
    owner = UserFactory(username="bench-owner")
    hidden = [SongFactory(is_visible=False)] if args.hidden else []
    playlist = PlaylistFactory(owner=owner, is_public=True, songs=hidden)
    songs = [SongFactory() for _ in range(total_writes)]
    token = str(AccessToken.for_user(owner))
    staff_url_suffix = f"?token={AccessToken.for_user(EditorFactory())}" if args.hidden else ""
    channel = f"playlist:{playlist.pk}"

    s = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{s['USER']}{':' + s['PASSWORD'] if s['PASSWORD'] else ''}"
            f"@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        ),
        "RATELIMIT_ENABLE": "0",
        "REALTIME_MAX_SOCKETS_PER_USER": "100000",
        "REALTIME_MAX_ANONYMOUS_SOCKETS_PER_IP": "100000",
        "REALTIME_IDLE_TIMEOUT": "3600",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    http_port, ws_port = free_port(), free_port()
    web = start(
        [sys.executable, "-m", "gunicorn", "music_platform.wsgi:application",
         "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{http_port}",
         "--access-logfile", "/dev/null"],
        env, f"http://127.0.0.1:{http_port}/health/",
    )  # fmt: skip
    realtime = start(
        [sys.executable, *os.environ.get("BENCH_REALTIME_PYTHON_ARGS", "").split(),
         "-m", "uvicorn", "music_platform.asgi:application",
         "--host", "127.0.0.1", "--port", str(ws_port), "--lifespan", "off",
         "--ws", args.ws, "--ws-max-size", "65536", "--ws-per-message-deflate", "false",
         "--no-access-log",
         "--log-level", "warning"],
        env, f"http://127.0.0.1:{ws_port}/health/ready/",
    )  # fmt: skip
    url = f"ws://127.0.0.1:{ws_port}/ws/v1/"
    print(
        f"gunicorn (2 workers) on :{http_port}, uvicorn realtime on :{ws_port}; "
        f"{CLIENT_PROCESSES} client processes; {os.cpu_count()} cores",
        flush=True,
    )

    # The publish stamp of each event, read from Redis like the realtime process reads it.
    sent_at: dict[str, float] = {}
    serializer = registry.get_serializer("msgpack")
    listener = redis.Redis.from_url(settings.REDIS_URL).pubsub()
    listener.subscribe(_group_channel(group_name(channel)))

    def listen() -> None:
        try:
            for raw in listener.listen():
                if raw["type"] == "message":
                    message = serializer.deserialize(raw["data"])
                    sent_at[message["data"]["snapshot_id"]] = message["sent"]
        except redis.ConnectionError:
            return  # closed at the end

    threading.Thread(target=listen, daemon=True).start()

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    song_iter = iter(songs)
    baseline_rss = rss_kib(realtime.pid)
    try:
        for size in sizes:
            ctx = mp.get_context("spawn")
            ready, results, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
            shares = [
                size // CLIENT_PROCESSES + (i < size % CLIENT_PROCESSES)
                for i in range(CLIENT_PROCESSES)
            ]
            clients = [
                ctx.Process(
                    target=client_process,
                    args=(
                        url + (staff_url_suffix if i % 2 else ""),
                        channel,
                        n,
                        ready,
                        results,
                        stop,
                    ),
                )
                for i, n in enumerate(shares)
                if n
            ]
            for process in clients:
                process.start()
            for _ in clients:
                ready.get(timeout=180)
            time.sleep(1.0)
            idle_rss = rss_kib(realtime.pid)
            server_before = fanout_buckets(ws_port)

            from_commit: list[float] = []
            from_request: list[float] = []
            for _ in range(args.writes):
                started = time.time()
                response = session.post(
                    f"http://127.0.0.1:{http_port}/api/v1/playlists/{playlist.pk}/songs/",
                    json={"song_id": next(song_iter).pk},
                    timeout=10,
                )
                assert response.status_code == 201, response.text
                snapshot = response.json()["snapshot_id"]
                received = []
                deadline = time.monotonic() + 10
                while len(received) < size and time.monotonic() < deadline:
                    snap, at = results.get(timeout=10)
                    if snap == snapshot:
                        received.append(at)
                deadline = time.monotonic() + 2
                while snapshot not in sent_at and time.monotonic() < deadline:
                    time.sleep(0.001)
                assert len(received) == size, f"{len(received)}/{size} sockets got {snapshot}"
                from_commit += [at - sent_at[snapshot] for at in received]
                if os.environ.get("BENCH_VERBOSE"):
                    lat = sorted(at - sent_at[snapshot] for at in received)
                    print(f"   write: first {lat[0] * 1000:.1f} ms, last {lat[-1] * 1000:.1f} ms")
                from_request += [at - started for at in received]
                time.sleep(0.05)
            server_after = fanout_buckets(ws_port)
            stop.set()
            for process in clients:
                process.join(30)

            def ms(values: list[float], q: float) -> str:
                return f"{percentile(values, q) * 1000:7.1f}"

            print(
                f"{size:>5} subscribers, {args.writes} writes: "
                f"commit->receipt p50 {ms(from_commit, 50)} ms"
                f"  p99 {ms(from_commit, 99)} ms  max {max(from_commit) * 1000:7.1f} ms | "
                f"request->receipt p50 {ms(from_request, 50)} ms  p99 {ms(from_request, 99)} ms",
                flush=True,
            )
            print(
                f"      server side (publish -> sent on the socket): "
                f"p50 {bucket_quantile(server_before, server_after, 50)}, "
                f"p99 {bucket_quantile(server_before, server_after, 99)}",
                flush=True,
            )
            if size >= 1000:
                per_1000 = (idle_rss - baseline_rss) / size * 1000
                print(
                    f"realtime process RSS: {baseline_rss / 1024:.1f} MiB with no sockets, "
                    f"{idle_rss / 1024:.1f} MiB with {size} idle subscribed sockets "
                    f"-> {per_1000 / 1024:.1f} MiB per 1,000 sockets",
                    flush=True,
                )
            time.sleep(1.0)
    finally:
        listener.close()
        for process in (web, realtime):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
