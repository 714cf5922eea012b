"""Is an upload audio we accept? Decided by decoding it, never by its name or Content-Type.

The whole file is decoded once (stopping as soon as it is too long): a decoder error
part-way, or a file that ends before the duration its header declares (a truncated
upload), is refused here rather than failing later in the worker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import av

# FFmpeg demuxer names we accept, and the extension the original is stored under.
ACCEPTED_FORMATS = {
    "mp3": "mp3",
    "mov": "m4a",  # MPEG-4 audio (M4A/AAC) opens as "mov,mp4,m4a,3gp,3g2,mj2"
    "aac": "aac",  # raw ADTS AAC
    "flac": "flac",
    "wav": "wav",
    "ogg": "ogg",  # Ogg Opus (and Vorbis)
}
ACCEPTED_CODECS = {"mp3", "mp3float", "aac", "flac", "opus", "vorbis", "alac"}
LOSSLESS_CODECS = {"flac", "alac"}
# Containers whose header states the duration exactly; ADTS AAC (and MP3 without a
# Xing/Info/VBRI header) only estimate it from the bit rate, so a shortfall proves nothing.
EXACT_DURATION_FORMATS = {"mov", "flac", "wav", "ogg"}
MAX_SAMPLE_RATE = 192_000
MAX_CHANNELS = 8


class AudioRejected(Exception):
    """The upload is not audio we accept; ``code`` is the API error code."""

    def __init__(self, code: str, detail: str):
        self.code = code
        self.detail = detail
        super().__init__(detail)


@dataclass(frozen=True)
class ProbeResult:
    format: str  # one of ACCEPTED_FORMATS' keys
    extension: str
    codec: str
    sample_rate: int
    channels: int
    duration_ms: int
    source_bit_rate: int | None  # bits/s of a lossy source; None when lossless

    @property
    def lossless(self) -> bool:
        return self.source_bit_rate is None


def _is_lossless(codec: str) -> bool:
    return codec in LOSSLESS_CODECS or codec.startswith("pcm_")


def _mp3_has_length_header(path: str) -> bool:
    """Whether an MP3 starts with a Xing/Info/VBRI frame, which states the exact length."""
    with open(path, "rb") as file:
        head = file.read(10)
        offset = 0
        if head[:3] == b"ID3" and len(head) == 10:  # skip an ID3v2 tag (syncsafe size)
            size = 0
            for byte in head[6:10]:
                size = (size << 7) | (byte & 0x7F)
            offset = 10 + size + (10 if head[5] & 0x10 else 0)
        file.seek(offset)
        first_frame = file.read(4096)
    return any(tag in first_frame for tag in (b"Xing", b"Info", b"VBRI"))


def probe(path: str, *, file_size: int, min_seconds: float, max_seconds: float) -> ProbeResult:
    """Decode ``path`` to the end (or past ``max_seconds``) and describe it, or raise
    ``AudioRejected`` with one of: invalid_audio, no_audio_stream, too_short, too_long,
    decode_error."""
    try:
        container = av.open(path, metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise AudioRejected(
            "invalid_audio", "The file is not audio in a format we accept."
        ) from exc
    with container:
        names = set(container.format.name.split(","))
        fmt = next((name for name in ACCEPTED_FORMATS if name in names), None)
        if fmt is None:
            raise AudioRejected(
                "invalid_audio", "Accepted formats are MP3, AAC/M4A, FLAC, WAV and Ogg/Opus."
            )
        if not container.streams.audio:
            raise AudioRejected("no_audio_stream", "The file has no audio stream.")
        stream = container.streams.audio[0]
        codec = stream.codec_context.name
        if codec not in ACCEPTED_CODECS and not codec.startswith("pcm_"):
            raise AudioRejected("invalid_audio", f"Audio coded as {codec} is not accepted.")
        rate, channels = stream.codec_context.sample_rate, stream.codec_context.channels
        if not (0 < rate <= MAX_SAMPLE_RATE and 0 < channels <= MAX_CHANNELS):
            raise AudioRejected(
                "invalid_audio", f"Unsupported audio layout: {channels} channels at {rate} Hz."
            )
        declared = container.duration / av.time_base if container.duration else None
        stated_bit_rate = stream.codec_context.bit_rate or stream.bit_rate or 0
        samples = 0
        limit = max_seconds * rate
        try:
            for frame in container.decode(stream):
                samples += frame.samples
                if samples > limit:
                    raise AudioRejected(
                        "too_long", f"The audio is longer than {max_seconds:g} seconds."
                    )
        except av.FFmpegError as exc:
            at = samples / rate
            raise AudioRejected(
                "decode_error", f"The audio cannot be decoded after {at:.1f} s: {exc.strerror}."
            ) from exc
    seconds = samples / rate
    if seconds < min_seconds:
        raise AudioRejected("too_short", f"The audio must last at least {min_seconds:g} s.")
    exact = fmt in EXACT_DURATION_FORMATS or (fmt == "mp3" and _mp3_has_length_header(path))
    if exact and declared and seconds < declared - max(0.5, 0.02 * declared):
        raise AudioRejected(
            "decode_error",
            f"The file ends after {seconds:.1f} s but declares {declared:.1f} s: it is truncated.",
        )
    lossless = _is_lossless(codec)
    return ProbeResult(
        format=fmt,
        extension=ACCEPTED_FORMATS[fmt],
        codec=codec,
        sample_rate=rate,
        channels=channels,
        duration_ms=int(math.floor(seconds * 1000)),
        # The stream's stated rate when there is one; else the file's average (a little high:
        # it counts the container too).
        source_bit_rate=None if lossless else int(stated_bit_rate or file_size * 8 / seconds),
    )
