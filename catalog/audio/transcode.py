"""One decode of the original feeds every rendition, the loudness meter and the waveform.

The source is decoded and resampled once to 44.1 kHz stereo float; each frame then goes to
six encoders (MP3 64/128/320 kbps, AAC 64/128/256 kbps as HLS), FFmpeg's EBU R128 meter and
a peak collector. Nothing keeps more than a few frames, so memory does not grow with the
song's length. With ``processes=2`` the sinks are split into two groups of about equal
measured cost and a helper process, forked from the worker (no interpreter start-up, PyAV
already imported), runs the second group; PyAV holds the GIL while encoding, so threads would
not help. The source is still
decoded once: the main process writes the decoded samples to the helper through a pipe
(cheaper than a second decode; both processes' encoders get the very same frames, so the
files are byte for byte those of one process).

Encoder settings were chosen by measurement (bench/audio.py, a 4-minute stereo song):
- LAME ``compression_level`` (its ``-q``) 7 instead of the default: 2x faster at the same
  constant bit rate; the psychoacoustic refinements of lower levels matter little at CBR.
  Level 9 was only 4 % faster and turns the psychoacoustic model off, so 7 stays.
- LAME plain stereo instead of joint stereo at every rate: 20-27 % faster per encoder (the
  mid/side decision analyses four channels instead of two). Measured on the benchmark's
  dense music, the error below 15 kHz after decoding is within 0.2 dB of joint stereo at
  64 and 128 kbps (SNR 10.7 vs 10.9 dB at 64, 15.5 vs 15.6 dB at 128; side-channel SNR
  equal or better), so the time is not paid for by audible gains on such material; at
  320 kbps there are bits enough for both channels anyway.
- FFmpeg's AAC encoder with ``aac_coder=fast`` instead of ``twoloop``: 1.5-2x faster; the
  bit rate stays within a few percent of the target.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import gc
import itertools
import json
import logging
import math
import os
import re
import signal
import struct
import tempfile
import time
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import IO, NoReturn

import av
import av.filter
import numpy as np

OUTPUT_RATE = 44_100
OUTPUT_LAYOUT = "stereo"
TIME_BASE = Fraction(1, OUTPUT_RATE)
WAVEFORM_POINTS = 200
HLS_SEGMENT_SECONDS = 6
AAC_CODECS = "mp4a.40.2"  # AAC-LC, for the master playlist's CODECS attribute
MP3_OPTIONS = {"compression_level": "7", "joint_stereo": "0"}
AAC_OPTIONS = {"aac_coder": "fast"}
TARGET_LUFS = -14.0
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mp3Spec:
    quality: str
    bit_rate: int
    # Relative CPU cost, measured; used only to balance the processes.
    cost: float
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class HlsVariant:
    name: str
    bit_rate: int
    cost: float


# Costs: CPU seconds for a 4-minute stereo song on one core (bench/audio.py, dense music,
# load average 1).
MP3_RENDITIONS = (
    Mp3Spec("low", 64_000, 3.47),
    Mp3Spec("medium", 128_000, 3.77),
    Mp3Spec("high", 320_000, 4.16),
)
HLS_VARIANTS = (
    HlsVariant("a64", 64_000, 1.63),
    HlsVariant("a128", 128_000, 2.13),
    HlsVariant("a256", 256_000, 2.03),
)
# The 320 kbps MP3 only when the source is better than 128 kbps (5 % above it, as a rate
# estimated from the file size includes the container).
HIGH_ONLY_ABOVE = 134_400


@dataclass
class RenditionOutput:
    """A finished rendition in the local work folder."""

    quality: str
    folder: str  # relative to the work folder
    entry: str  # the file a player opens, relative to ``folder``
    codec: str
    bit_rate: int
    size_bytes: int


@dataclass
class TranscodeResult:
    renditions: list[RenditionOutput]
    loudness_lufs: float
    replay_gain_db: float
    waveform: list[float]
    samples: int
    # CPU seconds per step ("decode", "mp3 low", "hls a64", "loudness", "waveform", ...).
    step_seconds: dict[str, float] = field(default_factory=dict)
    # CPU seconds of each process's steps: the main process first, then each helper.
    process_seconds: list[float] = field(default_factory=list)


class TranscodeError(Exception):
    """The source could not be decoded or an encoder failed (not a temporary problem)."""


# --- sinks: things frames are fed to ---------------------------------------------------------


class Sink:
    name = ""
    cost = 1.0

    def __init__(self) -> None:
        self.cpu = 0.0

    def feed(self, frame: av.AudioFrame) -> None:
        started = time.thread_time()
        self._feed(frame)
        self.cpu += time.thread_time() - started

    def close(self) -> None:
        started = time.thread_time()
        self._close()
        self.cpu += time.thread_time() - started

    def abort(self) -> None:
        """Release resources after a failure elsewhere (output files are discarded)."""

    def _feed(self, frame: av.AudioFrame) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError


class _EncoderSink(Sink):
    def _open(
        self,
        path: Path,
        container_format: str,
        codec: str,
        bit_rate: int,
        extra: tuple[tuple[str, str], ...] = (),
        **kwargs,
    ):
        self.output = av.open(str(path), "w", format=container_format, **kwargs)
        options = MP3_OPTIONS if codec == "libmp3lame" else AAC_OPTIONS
        self.stream = self.output.add_stream(
            codec, rate=OUTPUT_RATE, layout=OUTPUT_LAYOUT, options={**options, **dict(extra)}
        )
        self.stream.bit_rate = bit_rate

    def _feed(self, frame: av.AudioFrame) -> None:
        self.output.mux(self.stream.encode(frame))

    def _close(self) -> None:
        self.output.mux(self.stream.encode(None))
        self.output.close()

    def abort(self) -> None:
        # Best effort: the work folder is deleted anyway.
        with contextlib.suppress(Exception):
            self.output.close()


class Mp3Sink(_EncoderSink):
    def __init__(self, work: Path, spec: Mp3Spec) -> None:
        super().__init__()
        self.spec, self.name, self.cost = spec, f"mp3 {spec.quality}", spec.cost
        self.folder = spec.quality
        (work / self.folder).mkdir(parents=True, exist_ok=True)
        self.path = work / self.folder / f"{spec.quality}.mp3"
        self._open(self.path, "mp3", "libmp3lame", spec.bit_rate, spec.options)


class HlsSink(_EncoderSink):
    """One HLS variant: AAC in MPEG-TS segments of about six seconds, and its playlist."""

    def __init__(self, work: Path, variant: HlsVariant) -> None:
        super().__init__()
        self.variant, self.name, self.cost = variant, f"hls {variant.name}", variant.cost
        self.folder = work / "hls" / variant.name
        self.folder.mkdir(parents=True, exist_ok=True)
        options = {
            "hls_time": str(HLS_SEGMENT_SECONDS),
            "hls_playlist_type": "vod",
            "hls_list_size": "0",
            "hls_segment_type": "mpegts",
            "hls_segment_filename": str(self.folder / "seg%05d.ts"),
            # Let the MPEG-TS muxer pack several AAC frames per PES packet: one frame per
            # packet (the default through the API) doubles a 64 kbps variant's size.
            "max_delay": "1000000",
        }
        self._open(self.folder / "index.m3u8", "hls", "aac", variant.bit_rate, options=options)


class LoudnessSink(Sink):
    """Integrated loudness (EBU R128 / ITU-R BS.1770) by FFmpeg's ``ebur128`` filter."""

    name, cost = "loudness", 0.31

    def __init__(self) -> None:
        super().__init__()
        self.graph = av.filter.Graph()
        source = self.graph.add_abuffer(
            format="fltp", sample_rate=OUTPUT_RATE, layout=OUTPUT_LAYOUT, time_base=TIME_BASE
        )
        meter = self.graph.add("ebur128", "metadata=1")
        sink = self.graph.add("abuffersink")
        source.link_to(meter)
        meter.link_to(sink)
        self.graph.configure()
        self.integrated: float | None = None

    def _drain(self) -> None:
        while True:
            try:
                frame = self.graph.pull()
            except (av.BlockingIOError, av.EOFError):
                return
            value = frame.metadata.get("lavfi.r128.I")
            if value is not None:
                self.integrated = float(value)

    def _feed(self, frame: av.AudioFrame) -> None:
        self.graph.push(frame)
        self._drain()

    def _close(self) -> None:
        self.graph.push(None)
        self._drain()


class WaveformSink(Sink):
    """Peak absolute sample (0..1, both channels) in each of ``points`` equal slices."""

    name, cost = "waveform", 0.27

    def __init__(self, expected_samples: int, points: int = WAVEFORM_POINTS) -> None:
        super().__init__()
        self.points = points
        self.bucket = max(1, math.ceil(expected_samples / points))
        self.peaks = np.zeros(points, dtype=np.float32)
        self.position = 0

    def _feed(self, frame: av.AudioFrame) -> None:
        # A slice holds tens of frames, so a frame spans one or two slices: two reductions
        # per part (max and min, no abs() copy) instead of per-sample bucket arithmetic.
        data = frame.to_ndarray()
        count, start = data.shape[1], 0
        while start < count:
            bucket = min(self.position // self.bucket, self.points - 1)
            end = count
            if bucket < self.points - 1:
                end = min(count, start + (bucket + 1) * self.bucket - self.position)
            part = data[:, start:end]
            peak = max(float(part.max()), -float(part.min()))
            if peak > self.peaks[bucket]:
                self.peaks[bucket] = peak
            self.position += end - start
            start = end

    def _close(self) -> None:
        pass

    def values(self) -> list[float]:
        return [round(float(v), 4) for v in np.clip(self.peaks, 0.0, 1.0)]


# --- the source ------------------------------------------------------------------------------


def decoded_frames(path: str, timing: dict[str, float]) -> Iterator[av.AudioFrame]:
    """The source as 44.1 kHz stereo float frames with sample-count timestamps."""
    resampler = av.AudioResampler(format="fltp", layout=OUTPUT_LAYOUT, rate=OUTPUT_RATE)
    position = 0
    cpu = 0.0
    try:
        with av.open(path, metadata_errors="ignore") as container:
            stream = container.streams.audio[0]
            decoder = container.decode(stream)
            while True:
                started = time.thread_time()
                try:
                    frame = next(decoder, None)
                    frames = resampler.resample(frame)
                finally:
                    cpu += time.thread_time() - started
                for out in frames:
                    out.pts, out.time_base = position, TIME_BASE
                    position += out.samples
                    yield out
                if frame is None:
                    return
    except av.FFmpegError as exc:
        raise TranscodeError(f"decoding failed at {position / OUTPUT_RATE:.1f} s: {exc}") from exc
    finally:
        timing["decode"] = timing.get("decode", 0.0) + cpu


# --- fan-out: one process, or more ---------------------------------------------------------


def _make_sinks(names: list[str], work: Path, expected_ms: int) -> list[Sink]:
    """The sinks called ``names`` ("mp3 low", "hls a64", "loudness", ...)."""
    mp3 = {f"mp3 {spec.quality}": spec for spec in MP3_RENDITIONS}
    hls = {f"hls {variant.name}": variant for variant in HLS_VARIANTS}
    sinks: list[Sink] = []
    for name in names:
        if name in mp3:
            sinks.append(Mp3Sink(work, mp3[name]))
        elif name in hls:
            sinks.append(HlsSink(work, hls[name]))
        elif name == "loudness":
            sinks.append(LoudnessSink())
        elif name == "waveform":
            sinks.append(WaveformSink(round(expected_ms * OUTPUT_RATE / 1000)))
        else:
            raise ValueError(f"unknown sink {name!r}")
    return sinks


def _sink_names(include_high: bool) -> list[str]:
    names = [f"mp3 {s.quality}" for s in MP3_RENDITIONS if include_high or s.quality != "high"]
    return [*names, *(f"hls {v.name}" for v in HLS_VARIANTS), "loudness", "waveform"]


SINK_COSTS = {
    **{f"mp3 {s.quality}": s.cost for s in MP3_RENDITIONS},
    **{f"hls {v.name}": v.cost for v in HLS_VARIANTS},
    "loudness": LoudnessSink.cost,
    "waveform": WaveformSink.cost,
}
# The other costs of a split, in the same unit (CPU seconds for a 4-minute song, measured):
# the main process decodes for everyone and writes the samples to each helper's pipe; a
# helper reads them (it is forked: no interpreter to start, which cost 0.2-0.3 s when it was
# ``python -m``).
DECODE_COST = 0.43
PCM_SEND_COST = 0.08
HELPER_COST = 0.08
_EXHAUSTIVE_LIMIT = 20_000  # assignments tried before falling back to the greedy split


def _balance(names: list[str], groups: int) -> list[list[str]]:
    """Split ``names`` into at most ``groups`` groups so that the busiest process has the
    least work. Group 0 runs in the main process (which also decodes), the others in
    helpers. Every assignment is tried when there are few (two processes: 2**8); otherwise
    the largest cost goes to the least loaded process, one after the other."""
    groups = max(1, min(groups, len(names)))
    if groups == 1:
        return [list(names)]
    ordered = sorted(names, key=lambda n: -SINK_COSTS[n])
    costs = [SINK_COSTS[n] for n in ordered]
    base = [DECODE_COST + PCM_SEND_COST * (groups - 1)] + [HELPER_COST] * (groups - 1)

    def busiest(assignment: tuple[int, ...]) -> float:
        loads = list(base)
        for index, cost in zip(assignment, costs, strict=True):
            loads[index] += cost
        return max(loads)

    if groups ** len(ordered) <= _EXHAUSTIVE_LIMIT:
        best = min(itertools.product(range(groups), repeat=len(ordered)), key=busiest)
    else:
        loads, chosen = list(base), []
        for cost in costs:
            index = loads.index(min(loads))
            chosen.append(index)
            loads[index] += cost
        best = tuple(chosen)
    result: list[list[str]] = [[] for _ in range(groups)]
    for index, name in zip(best, ordered, strict=True):
        result[index].append(name)
    # Empty helper groups start no process; the main process always runs (it decodes).
    return [result[0], *(group for group in result[1:] if group)]


def _feed(frames: Iterable[av.AudioFrame], sinks: list[Sink]) -> int:
    """Feed every frame to every sink, then close them; return the sample count."""
    samples = 0
    try:
        for frame in frames:
            samples += frame.samples
            for sink in sinks:
                sink.feed(frame)
        for sink in sinks:
            sink.close()
    except BaseException:
        for sink in sinks:
            sink.abort()
        raise
    return samples


# --- the samples for a helper process: one decode, shipped through a pipe ---------------------
#
# The main process decodes the source once and writes each 44.1 kHz stereo float frame to
# every helper's standard input: a little-endian int32 sample count, then the two channels'
# float32 samples one after the other (planar, as the encoders take them). A count of 0 ends
# the stream; a pipe that ends without it means the main process gave up. The frames a helper
# rebuilds hold the same samples and timestamps, so its encoders write the same bytes they
# would in the main process. 4 minutes are 85 MB through the pipe: about 0.1 s of CPU in all,
# against 0.5 s for a second decode.

_FRAME_HEADER = struct.Struct("<i")
_CHANNELS = 2
_PIPE_BYTES = 1 << 20  # about 3 s of audio: absorbs short differences in the two paces
_F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ (Linux; Python >= 3.10 names it)


class _PcmSender(Sink):
    """Ships every frame to a helper process's standard input."""

    name = "pcm out"

    def __init__(self, pipe: IO[bytes]) -> None:
        super().__init__()
        self.pipe = pipe

    def _feed(self, frame: av.AudioFrame) -> None:
        # Straight from the frame's planes (no copy into an array first).
        size = frame.samples * 4
        self.pipe.write(_FRAME_HEADER.pack(frame.samples))
        for plane in frame.planes[:_CHANNELS]:
            self.pipe.write(memoryview(plane).cast("B")[:size])

    def _close(self) -> None:
        self.pipe.write(_FRAME_HEADER.pack(0))
        self.pipe.close()

    def abort(self) -> None:
        # Closed without the end mark: the helper stops with an error.
        with contextlib.suppress(OSError):
            self.pipe.close()


def _read_into(stream: IO[bytes], target: memoryview) -> None:
    filled = 0
    while filled < len(target):
        count = stream.readinto(target[filled:])  # type: ignore[attr-defined]
        if not count:
            raise TranscodeError("the samples from the main process ended early")
        filled += count


def received_frames(stream: IO[bytes], timing: dict[str, float]) -> Iterator[av.AudioFrame]:
    """The frames a ``_PcmSender`` wrote to ``stream``, with sample-count timestamps; the
    samples are read straight into each new frame's planes."""
    position = 0
    cpu = 0.0
    header = bytearray(_FRAME_HEADER.size)
    try:
        while True:
            started = time.thread_time()
            _read_into(stream, memoryview(header))
            (count,) = _FRAME_HEADER.unpack(header)
            if count == 0:
                return
            if count < 0:
                raise TranscodeError(f"bad frame header from the main process: {count}")
            frame = av.AudioFrame(format="fltp", layout=OUTPUT_LAYOUT, samples=count)
            for plane in frame.planes[:_CHANNELS]:
                _read_into(stream, memoryview(plane).cast("B")[: count * 4])
            frame.sample_rate = OUTPUT_RATE
            frame.pts, frame.time_base = position, TIME_BASE
            position += count
            cpu += time.thread_time() - started
            yield frame
    finally:
        timing["pcm in"] = timing.get("pcm in", 0.0) + cpu


@dataclass
class _GroupResult:
    samples: int
    timing: dict[str, float]
    loudness: float | None = None
    waveform: list[float] | None = None


def _collect(sinks: list[Sink], samples: int, timing: dict[str, float]) -> _GroupResult:
    result = _GroupResult(samples=samples, timing=timing)
    for sink in sinks:
        timing[sink.name] = timing.get(sink.name, 0.0) + sink.cpu
        if isinstance(sink, LoudnessSink):
            result.loudness = sink.integrated
        elif isinstance(sink, WaveformSink):
            result.waveform = sink.values()
    return result


class EncoderProcessLost(OSError):
    """A helper process was killed (out of memory, a signal): nothing says the source is
    bad, so the task retries (an OSError without errno is a temporary error to it)."""


HELPER_NAME = b"audio-encoder"  # the helper's name in ps/top (/proc/PID/comm)
_PR_SET_PDEATHSIG, _PR_SET_NAME = 1, 15


def _prctl(option: int, value: int | bytes) -> None:
    """Linux only; elsewhere a no-op."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(option, value, 0, 0, 0)


class _Helper:
    """A helper process: forked from this one (no interpreter to start, PyAV already
    imported), it runs the sinks ``names`` on the samples written to ``stdin`` and leaves its
    result (JSON) or its error in a temporary file; it dies with SIGKILL if this process does
    (Linux), e.g. at Celery's hard time limit."""

    def __init__(self, work: Path, expected_ms: int, names: list[str], close: list[int]):
        # Files, not pipes: a chatty helper never blocks on a full pipe while this process is
        # blocked writing samples to it.
        self.out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self.err = tempfile.TemporaryFile()  # noqa: SIM115
        self.returncode: int | None = None
        read_fd, write_fd = os.pipe()
        with contextlib.suppress(OSError):  # not Linux, or a lower pipe-max-size: 64 KiB then
            fcntl.fcntl(write_fd, _F_SETPIPE_SZ, _PIPE_BYTES)
        parent = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - the child; coverage does not follow forks
            for fd in (write_fd, *close):  # other helpers' pipes: they must see their EOF
                os.close(fd)
            _helper_child(read_fd, parent, work, expected_ms, names, self.out, self.err)
        os.close(read_fd)
        self.stdin = os.fdopen(write_fd, "wb")

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            self.wait()

    def result(self) -> _GroupResult:
        self.out.seek(0)
        return _GroupResult(**json.loads(self.out.read()))

    def failure(self) -> Exception:
        """Why the helper (finished) failed: killed (temporary) or an error (the source's)."""
        assert self.returncode is not None
        if self.returncode < 0:
            name = signal.Signals(-self.returncode).name
            logger.error("audio encoder process killed by %s", name)
            return EncoderProcessLost(f"an encoder process was killed ({name})")
        self.err.seek(0)
        detail = self.err.read().decode(errors="replace").strip()[-2000:]
        logger.error("audio encoder process failed (%s): %s", self.returncode, detail)
        return TranscodeError("an encoder process failed")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.stdin.close()
        self.kill()
        self.out.close()
        self.err.close()


def _helper_child(  # pragma: no cover - runs in the forked child
    read_fd: int,
    parent: int,
    work: Path,
    expected_ms: int,
    names: list[str],
    out: IO[bytes],
    err: IO[bytes],
) -> NoReturn:
    """The forked helper's whole life. It never returns into the caller's stack (a Celery
    worker's loop, a test runner): it ends with ``os._exit``, which also runs no clean-up of
    what it inherited (the worker's database and broker connections stay the parent's)."""
    code = 1
    try:
        gc.freeze()  # objects inherited from the parent: never collected (or finalised) here
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1):
            signal.signal(number, signal.SIG_DFL)  # the worker's handlers are not ours
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)  # the parent died before the line above took effect
        _prctl(_PR_SET_NAME, HELPER_NAME)
        timing: dict[str, float] = {}
        with os.fdopen(read_fd, "rb") as stream:
            sinks = _make_sinks(names, work, expected_ms)
            samples = _feed(received_frames(stream, timing), sinks)
        out.write(json.dumps(_collect(sinks, samples, timing).__dict__).encode())
        out.flush()
        code = 0
    except TranscodeError as exc:
        err.write(str(exc).encode(errors="replace"))
    except BaseException:
        err.write(traceback.format_exc().encode(errors="replace"))
    finally:
        with contextlib.suppress(BaseException):
            err.flush()
        os._exit(code)


def _run_groups(
    source: str, work: Path, expected_ms: int, groups: list[list[str]]
) -> list[_GroupResult]:
    """Decode here and run the first group; the others each in a helper process (PyAV's
    encoders hold the GIL, so threads would not run them in parallel), fed the decoded
    samples through a pipe."""
    helpers: list[_Helper] = []
    try:
        for names in groups[1:]:
            inherited = [helper.stdin.fileno() for helper in helpers]
            helpers.append(_Helper(work, expected_ms, names, inherited))
        senders: list[Sink] = [_PcmSender(helper.stdin) for helper in helpers]
        sinks = _make_sinks(groups[0], work, expected_ms)
        timing: dict[str, float] = {}
        try:
            # Senders first: a helper encodes a frame while this process encodes it too.
            samples = _feed(decoded_frames(source, timing), [*senders, *sinks])
        except BrokenPipeError:
            for helper in helpers:
                if helper.wait() != 0:
                    raise helper.failure() from None
            raise
        results = [_collect([*senders, *sinks], samples, timing)]
        for helper in helpers:
            if helper.wait() != 0:
                raise helper.failure()
            results.append(helper.result())
        return results
    finally:
        for helper in helpers:
            helper.close()


# --- HLS master playlist ---------------------------------------------------------------------

_EXTINF = re.compile(r"#EXTINF:([0-9.]+),\s*\n([^\n#]+)")


def _variant_bandwidth(folder: Path) -> tuple[int, int]:
    """(peak, average) bits per second over the variant's segments, as the files are."""
    playlist = (folder / "index.m3u8").read_text()
    peak, total_bits, total_seconds = 0.0, 0.0, 0.0
    for duration, name in _EXTINF.findall(playlist):
        seconds = float(duration)
        bits = (folder / name.strip()).stat().st_size * 8
        total_bits += bits
        total_seconds += seconds
        # A short last segment has relatively more header overhead; it does not set the peak.
        if seconds >= HLS_SEGMENT_SECONDS / 2 or peak == 0:
            peak = max(peak, bits / seconds)
    if total_seconds == 0:
        raise TranscodeError(f"HLS variant {folder.name} has no segments")
    return math.ceil(peak), math.ceil(total_bits / total_seconds)


def write_master_playlist(hls_folder: Path) -> str:
    """The master playlist: one ``EXT-X-STREAM-INF`` per variant, with measured bandwidths."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for variant in HLS_VARIANTS:
        peak, average = _variant_bandwidth(hls_folder / variant.name)
        lines.append(
            f'#EXT-X-STREAM-INF:BANDWIDTH={peak},AVERAGE-BANDWIDTH={average},CODECS="{AAC_CODECS}"'
        )
        lines.append(f"{variant.name}/index.m3u8")
    text = "\n".join(lines) + "\n"
    (hls_folder / "master.m3u8").write_text(text)
    return text


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# --- the whole job ---------------------------------------------------------------------------


def replay_gain(loudness_lufs: float) -> float:
    """The gain (dB) that brings the song to the -14 LUFS reference of streaming services."""
    return round(TARGET_LUFS - loudness_lufs, 2)


def transcode(
    source: str, work: Path, *, expected_ms: int, include_high: bool, processes: int = 1
) -> TranscodeResult:
    """Make every rendition of ``source`` in the local folder ``work``, using up to
    ``processes`` processes (cores)."""
    names = _sink_names(include_high)
    results = _run_groups(source, work, expected_ms, _balance(names, max(1, processes)))
    samples = {r.samples for r in results}
    loudness = next((r.loudness for r in results if r.loudness is not None), None)
    waveform = next((r.waveform for r in results if r.waveform is not None), None)
    if len(samples) != 1:
        raise TranscodeError(f"the processes decoded different lengths: {sorted(samples)}")
    if samples == {0} or loudness is None or waveform is None:
        raise TranscodeError("the source decoded to no audio")
    timing: dict[str, float] = {}
    for result in results:
        for step, seconds in result.timing.items():
            timing[step] = timing.get(step, 0.0) + seconds
    started = time.thread_time()
    write_master_playlist(work / "hls")
    timing["hls master"] = time.thread_time() - started
    renditions = [
        RenditionOutput(
            quality=spec.quality,
            folder=spec.quality,
            entry=f"{spec.quality}.mp3",
            codec="mp3",
            bit_rate=spec.bit_rate,
            size_bytes=(work / spec.quality / f"{spec.quality}.mp3").stat().st_size,
        )
        for spec in MP3_RENDITIONS
        if f"mp3 {spec.quality}" in names
    ]
    renditions.append(
        RenditionOutput(
            quality="hls",
            folder="hls",
            entry="master.m3u8",
            codec="aac",
            bit_rate=HLS_VARIANTS[-1].bit_rate,
            size_bytes=_folder_size(work / "hls"),
        )
    )
    return TranscodeResult(
        renditions=renditions,
        loudness_lufs=loudness,
        replay_gain_db=replay_gain(loudness),
        waveform=waveform,
        samples=samples.pop(),
        step_seconds=timing,
        process_seconds=[round(sum(r.timing.values()), 3) for r in results],
    )
