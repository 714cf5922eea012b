"""Real audio made in the test with PyAV: every accepted format, known signals, bad files.

Nothing is read from disk fixtures: each test writes the exact file it needs, so what a test
checks (duration, loudness, a broken frame) is known from how the file was made.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile


@dataclass(frozen=True)
class Format:
    name: str  # as used in test ids
    extension: str
    container: str
    codec: str
    rate: int
    bit_rate: int | None  # None: lossless
    content_type: str


FORMATS = {
    "mp3": Format("mp3", "mp3", "mp3", "libmp3lame", 44_100, 192_000, "audio/mpeg"),
    "m4a": Format("m4a", "m4a", "ipod", "aac", 44_100, 160_000, "audio/mp4"),
    "flac": Format("flac", "flac", "flac", "flac", 48_000, None, "audio/flac"),
    "wav": Format("wav", "wav", "wav", "pcm_s16le", 44_100, None, "audio/wav"),
    "opus": Format("opus", "opus", "ogg", "libopus", 48_000, 160_000, "audio/ogg"),
}


def music(seconds: float, rate: int = 44_100, channels: int = 2, seed: int = 7) -> np.ndarray:
    """A few seconds of "music": a chord that changes every half second over soft noise, so
    encoders have real work (a pure tone would let AAC undershoot its bit rate)."""
    rng = np.random.default_rng(seed)
    n = int(round(seconds * rate))
    t = np.arange(n) / rate
    roots = np.array([220.0, 246.94, 261.63, 293.66, 329.63, 349.23, 392.0])
    chord_of_sample = roots[(t // 0.5).astype(int) % len(roots)]
    signal = np.zeros((channels, n), dtype=np.float64)
    for ratio, level in ((1.0, 0.25), (1.26, 0.18), (1.5, 0.15), (2.0, 0.1)):
        phase = 2 * np.pi * np.cumsum(chord_of_sample * ratio) / rate
        for channel in range(channels):
            signal[channel] += level * np.sin(phase + channel * 0.3)
    signal += 0.05 * rng.standard_normal((channels, n))
    return np.clip(signal, -1.0, 1.0).astype(np.float32)


def sine(
    seconds: float, *, freq: float = 1000.0, amplitude: float = 1.0, rate=44_100, channels=1
) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    tone = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.tile(tone, (channels, 1))


def encode(samples: np.ndarray, fmt: Format | str, *, rate: int | None = None) -> bytes:
    """Encode planar float samples (channels x n) in ``fmt``; returns the file's bytes."""
    fmt = FORMATS[fmt] if isinstance(fmt, str) else fmt
    rate = rate or fmt.rate
    layout = "stereo" if samples.shape[0] == 2 else "mono"
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt.container) as output:
        stream = output.add_stream(fmt.codec, rate=rate, layout=layout)
        if fmt.bit_rate:
            stream.bit_rate = fmt.bit_rate
        step = 4096
        for start in range(0, samples.shape[1], step):
            chunk = np.ascontiguousarray(samples[:, start : start + step])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
            frame.sample_rate = rate
            frame.pts = start
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return buffer.getvalue()


def resample_for(samples: np.ndarray, fmt: Format, from_rate: int = 44_100) -> np.ndarray:
    """``samples`` at ``from_rate`` as the format's native rate (Opus and our FLAC use 48k)."""
    if fmt.rate == from_rate:
        return samples
    n_out = int(round(samples.shape[1] * fmt.rate / from_rate))
    x_old = np.arange(samples.shape[1]) / from_rate
    x_new = np.arange(n_out) / fmt.rate
    return np.stack([np.interp(x_new, x_old, ch) for ch in samples]).astype(np.float32)


def audio_file(fmt: str, seconds: float = 3.0, **kwargs) -> bytes:
    spec = FORMATS[fmt]
    samples = music(seconds, rate=spec.rate, **kwargs)
    return encode(samples, spec)


def upload(data: bytes, name: str = "song.mp3", content_type: str = "audio/mpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def upload_of(fmt: str, seconds: float = 3.0) -> SimpleUploadedFile:
    spec = FORMATS[fmt]
    return upload(audio_file(fmt, seconds), f"song.{spec.extension}", spec.content_type)


# --- bad files -------------------------------------------------------------------------------


def truncated_mp3(seconds: float = 6.0) -> bytes:
    data = audio_file("mp3", seconds)
    return data[: len(data) // 2]


def mp3_with_broken_frame(seconds: float = 6.0) -> bytes:
    data = bytearray(audio_file("mp3", seconds))
    middle = len(data) // 2
    data[middle : middle + 2000] = np.random.default_rng(3).bytes(2000)
    return bytes(data)


def video_without_audio() -> bytes:
    """An MP4 with one short video stream and no audio stream."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as output:
        stream = output.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(20):
            image = np.full((48, 64, 3), index * 10, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return buffer.getvalue()


# --- reading renditions back ------------------------------------------------------------------


@dataclass
class Decoded:
    codec: str
    sample_rate: int
    channels: int
    seconds: float
    payload_bits_per_second: float
    container_bit_rate: int


def decode(path_or_url: str | Path) -> Decoded:
    """Decode a file or URL to the end as a player would; measure what came out."""
    with av.open(str(path_or_url)) as container:
        stream = container.streams.audio[0]
        samples, payload = 0, 0
        for packet in container.demux(stream):
            payload += packet.size
            for frame in packet.decode():
                samples += frame.samples
        context = stream.codec_context
        seconds = samples / context.sample_rate
        return Decoded(
            codec=context.name,
            sample_rate=context.sample_rate,
            channels=context.channels,
            seconds=seconds,
            payload_bits_per_second=payload * 8 / seconds,
            container_bit_rate=container.bit_rate or 0,
        )


def files_under(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def size_of(path: Path) -> int:
    return os.path.getsize(path)


# --- songs with audio, made through the real services -----------------------------------------


def purge_media_queue() -> None:
    """Drop task messages tests left on their own media queue (no worker ran them)."""
    from celery import current_app

    from common.tasks import queue_name

    with current_app.connection_for_write() as connection:
        connection.default_channel.queue_purge(queue_name("media"))


def give_audio(song, data: bytes, *, process: bool = True, capture=None):
    """Upload ``data`` as ``song``'s audio by its artist and (by default) process it, with
    on-commit work run as after a real commit; returns the SongAudio."""
    from catalog.audio.services import song_audio_process, song_audio_upload
    from catalog.models import SongAudio

    with capture(execute=True):
        song_audio_upload(user=song.artist.user, song=song, upload=upload(data, "take.bin"))
    audio = SongAudio.objects.get(song=song)
    if process:
        with capture(execute=True):
            song_audio_process(song_id=song.pk, generation=audio.generation)
        audio.refresh_from_db()
    song.refresh_from_db()
    return audio
