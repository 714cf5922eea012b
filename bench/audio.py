"""Audio processing speed, ranged-read latency and worker memory (issue 16).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mp_audio_bench \\
        .venv/bin/python bench/audio.py [--minutes 4] [--signal dense|tonal] [--source FILE]
        [--skip-http]

1. Processing: a synthesised stereo song (or ``--source``), stored as FLAC, goes through the
   worker's code path (decode once -> three MP3s, three HLS variants, EBU R128 loudness,
   waveform -> copy to the storage) in a fresh process per run: pinned to one core in one
   process, then on both cores with a helper process taking half the encoders. Printed:
   real-time multiples for the whole run and per step (CPU seconds of each step, summed over
   the processes), and the peak resident memory of the worker process.
   The one-thread run is repeated for songs of 1, 4 and 8 minutes: memory must not grow.
2. Ranged reads through Django: gunicorn (1 sync worker) serves the 4-minute song's 128 kbps
   MP3 from its signed URL; time to first byte of 200 random 64 KiB ranges, and throughput
   of whole-file reads.

Targets: >= 12x real time on one core, under half that wall time with two cores, and
< 300 MB peak memory whatever the length.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_platform.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mp_audio_bench")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "bench-audio-only-" + "x" * 50)


# --- the source song ---------------------------------------------------------------------------


def write_source(path: Path, minutes: float, signal: str = "tonal") -> None:
    """A FLAC of ``minutes`` of synthesised music, written 30 s at a time (bounded memory).

    ``tonal``: the demo's clean synthesised tones. ``dense``: the same plus broadband noise
    at about -25 dBFS, closer to a mastered recording's full spectrum. FFmpeg's AAC encoder
    is several times slower on the tonal one at 128-256 kbps (its rate control keeps
    searching for bits to spend that such sparse music does not need)."""
    import av
    import numpy as np

    from catalog.audio.demo import RATE, synthesize

    noise = np.random.default_rng(11)

    with av.open(str(path), "w", format="flac") as output:
        stream = output.add_stream("flac", rate=RATE, layout="stereo")
        block = 30.0
        for index in range(int(np.ceil(minutes * 60 / block))):
            seconds = min(block, minutes * 60 - index * block)
            samples = synthesize(seed=index % 8, seconds=seconds)
            if signal == "dense":
                hiss = 0.05 * noise.standard_normal(samples.shape).astype(np.float32)
                samples = np.clip(0.85 * samples + hiss, -1.0, 1.0)
            for start in range(0, samples.shape[1], 4096):
                chunk = np.ascontiguousarray(samples[:, start : start + 4096])
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
                frame.sample_rate = RATE
                output.mux(stream.encode(frame))
        output.mux(stream.encode(None))


# --- one processing run, in its own process ---------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM). Not getrusage's ru_maxrss: Linux keeps
    that across exec, so a child would report the parent's size at fork time."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(source: str, processes: int, one_core: bool, media: str) -> None:
    """Run in a fresh interpreter: process ``source`` like the worker; print JSON."""
    if one_core:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    os.environ["MEDIA_ROOT"] = media
    import django

    django.setup()
    from catalog.audio import files
    from catalog.audio.probe import probe
    from catalog.audio.transcode import transcode

    size = os.path.getsize(source)

    def cpu_now() -> float:  # this process and its finished helper processes
        times = os.times()
        return times.user + times.system + times.children_user + times.children_system

    wall0, cpu0 = time.perf_counter(), cpu_now()
    described = probe(source, file_size=size, min_seconds=1, max_seconds=4 * 3600)
    probe_wall = time.perf_counter() - wall0
    work = Path(tempfile.mkdtemp(prefix="bench-audio-"))
    wall1 = time.perf_counter()
    result = transcode(
        source, work, expected_ms=described.duration_ms, include_high=True, processes=processes
    )
    transcode_wall = time.perf_counter() - wall1
    store0, store_cpu0 = time.perf_counter(), time.thread_time()
    files.upload_folder(work, f"audio/bench/{files.new_token()}")
    steps = dict(result.step_seconds)
    steps["store"] = time.thread_time() - store_cpu0
    store_wall = time.perf_counter() - store0
    shutil.rmtree(work)
    print(
        json.dumps(
            {
                "seconds": described.duration_ms / 1000,
                "probe_wall": probe_wall,
                "transcode_wall": transcode_wall,
                "store_wall": store_wall,
                "wall": time.perf_counter() - wall0,
                "cpu": cpu_now() - cpu0,
                "steps": steps,
                "process_cpu": result.process_seconds,
                "loudness": result.loudness_lufs,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    )


def run_child(source: Path, processes: int, one_core: bool, media: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(source), str(processes), str(int(one_core)),
         str(media)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(label: str, run: dict) -> None:
    seconds = run["seconds"]
    print(
        f"{label}: {seconds:.0f} s of audio in {run['wall']:.2f} s wall "
        f"({seconds / run['wall']:.1f}x real time; CPU {run['cpu']:.2f} s = "
        f"{seconds / run['cpu']:.1f}x), peak memory {run['peak_rss_mb']:.0f} MB"
    )
    print(
        f"    wall: probe (upload check) {run['probe_wall']:.2f} s, transcode "
        f"{run['transcode_wall']:.2f} s, store {run['store_wall']:.2f} s"
    )
    if len(run["process_cpu"]) > 1:
        shares = ", ".join(f"{cpu:.2f}" for cpu in run["process_cpu"])
        print(f"    CPU of the steps per process (main first): {shares} s")
    for step, cpu in sorted(run["steps"].items(), key=lambda item: -item[1]):
        speed = f"{seconds / cpu:7.0f}x" if cpu > 0 else "      -"
        print(f"    {step:<12} {cpu:6.2f} s CPU  {speed}")


def worker_wall(run: dict) -> float:
    """What the worker's task spends: transcode and store (the probe is the upload check,
    done in the web request; the bench runs it only to learn the duration)."""
    return run["transcode_wall"] + run["store_wall"]


def median_run(runs: list[dict]) -> dict:
    """The run with the median worker wall time (a real run, so its steps add up)."""
    ordered = sorted(runs, key=worker_wall)
    return ordered[(len(ordered) - 1) // 2]


# --- ranged reads through Django --------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ranged_reads(source: Path, media: Path) -> None:
    """Serve the song's 128 kbps MP3 through gunicorn; ``media`` is this process's MEDIA_ROOT."""
    from django.core.management import call_command

    call_command("ensure_database", verbosity=0)
    call_command("migrate", verbosity=0)
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from catalog.audio.services import song_audio_process, song_audio_upload
    from catalog.audio.streaming import signed_url
    from catalog.models import Artist, Song, SongAudioRendition
    from users.models import Role, User

    editor, _ = User.objects.get_or_create(
        username="audio-bench-editor", defaults={"role": Role.EDITOR}
    )
    artist, _ = Artist.objects.get_or_create(slug="audio-bench", defaults={"name": "Bench"})
    song = Song.objects.create(title="Bench song", artist=artist)
    try:
        with source.open("rb") as handle:
            upload = SimpleUploadedFile("bench.flac", handle.read(), content_type="audio/flac")
        song_audio_upload(user=editor, song=song, upload=upload, enqueue=False)
        song_audio_process(song_id=song.pk, generation=song.audio.generation)
        medium = SongAudioRendition.objects.get(audio__song=song, quality="medium")
        path = signed_url(medium)  # a public link: the serving path checks the song too
        size = (media / medium.folder / medium.entry).stat().st_size
        connection.close()
        port = _free_port()
        # Production settings for the server (DEBUG off); same SECRET_KEY as the signer here.
        env = dict(
            os.environ,
            DEBUG="0",
            SECURE_SSL_REDIRECT="0",
            ALLOWED_HOSTS="127.0.0.1",
            GUNICORN_WORKERS="1",
            LOG_LEVEL="WARNING",
        )
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "music_platform.wsgi:application",
             "--workers", "1", "--bind", f"127.0.0.1:{port}",
             "--access-logfile", "/dev/null", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        try:
            _measure(port, path, size)
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        song.delete()


def _measure(port: int, path: str, size: int) -> None:
    for _ in range(100):
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            probe.request("GET", "/health/")
            if probe.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        raise SystemExit("gunicorn did not start")
    rng = random.Random(5)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    ttfb, chunk = [], 64 * 1024
    for _ in range(200):
        start = rng.randrange(0, size - chunk)
        began = time.perf_counter()
        conn.request("GET", path, headers={"Range": f"bytes={start}-{start + chunk - 1}"})
        response = conn.getresponse()
        response.read(1)
        ttfb.append((time.perf_counter() - began) * 1000)
        rest = response.read()
        assert response.status == 206 and len(rest) == chunk - 1, response.status
    began, total = time.perf_counter(), 0
    for _ in range(20):
        conn.request("GET", path)
        response = conn.getresponse()
        total += len(response.read())
    elapsed = time.perf_counter() - began
    ttfb.sort()
    print(
        f"ranged reads through Django (gunicorn, 1 worker, keep-alive): 64 KiB ranges, TTFB "
        f"median {statistics.median(ttfb):.2f} ms, p95 {ttfb[int(0.95 * len(ttfb)) - 1]:.2f} ms"
    )
    print(f"whole-file reads ({size / 1e6:.1f} MB MP3 x 20): {total / elapsed / 1e6:.0f} MB/s")


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--source", type=Path, help="an audio file instead of the generated one")
    parser.add_argument("--signal", choices=["tonal", "dense"], default="dense")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each mode (medians)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        source, processes, one_core, media = args.child
        child(source, int(processes), bool(int(one_core)), media)
        return

    scratch = Path(tempfile.mkdtemp(prefix="bench-audio-"))
    os.environ["MEDIA_ROOT"] = str(scratch / "media-http")  # read once, by django.setup()
    import django

    django.setup()
    try:
        media = scratch / "media"
        sources = {}
        for minutes in sorted({1.0, args.minutes, 8.0}):
            path = scratch / f"song-{minutes:g}min.flac"
            if args.source is None or minutes != args.minutes:
                write_source(path, minutes, args.signal)
            else:
                shutil.copy(args.source, path)
            sources[minutes] = path
        main_source = sources[args.minutes]
        load = os.getloadavg()
        print(
            f"machine: {os.cpu_count()} CPUs, load average {load[0]:.1f} at start; "
            f"source: {args.source or args.signal + ' synthesised music'}, FLAC"
        )
        # Alternated runs of both modes, so that the load of the moment hits both alike.
        ones, twos = [], []
        for index in range(args.repeat):
            ones.append(run_child(main_source, processes=1, one_core=True, media=media))
            twos.append(run_child(main_source, processes=2, one_core=False, media=media))
            print(
                f"run {index + 1}: one core {ones[-1]['wall']:.2f} s, two cores "
                f"{twos[-1]['wall']:.2f} s wall (worker part {worker_wall(ones[-1]):.2f} / "
                f"{worker_wall(twos[-1]):.2f} s); load average {os.getloadavg()[0]:.1f}"
            )
        one, two = median_run(ones), median_run(twos)
        report(f"one core, 1 process (median of {len(ones)})", one)
        report(f"two cores, 2 processes (median of {len(twos)})", two)
        pairs = list(zip(ones, twos, strict=True))
        ratio = statistics.median(worker_wall(t) / worker_wall(o) for o, t in pairs)
        whole = statistics.median(t["wall"] / o["wall"] for o, t in pairs)
        # Load-independent: the busiest process's CPU against the one process's, per pair
        # (what the wall ratio would be on two idle cores, helper start-up left out).
        busiest = statistics.median(max(t["process_cpu"]) / sum(o["process_cpu"]) for o, t in pairs)
        print(
            f"busiest of the two processes: {busiest:.1%} of the one-process CPU "
            f"(median of the {len(pairs)} pairs; the split's limit on two idle cores)"
        )
        print(
            f"two cores take {ratio:.1%} of the one-core wall time for the worker's part "
            f"(transcode + store; median of the {len(ones)} pairs), {whole:.1%} with the "
            "upload check (probe) counted too; perfect scaling is 50 %"
        )
        for minutes, path in sources.items():
            if minutes != args.minutes:
                other = run_child(path, processes=1, one_core=True, media=media)
                print(
                    f"{minutes:g} min song, one core: {other['seconds'] / other['wall']:.1f}x "
                    f"real time, peak memory {other['peak_rss_mb']:.0f} MB"
                )
        if not args.skip_http:
            ranged_reads(main_source, scratch / "media-http")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
