"""Demo songs that really play: a few seconds of simple music synthesised here, processed
like any upload, so a newcomer to ``make run`` can press play.

Each piece is a four-chord loop (I-V-vi-IV) with a bass line, a pentatonic melody chosen by
a seeded random walk, a kick on beats one and three and hi-hats on the off-beats.
"""

from __future__ import annotations

import functools
import io
import multiprocessing
import os
import random
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import av
import numpy as np
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from catalog.audio.services import song_audio_process, song_audio_upload
from catalog.models import AudioStatus, Song, SongAudio
from catalog.selectors import songs_visible_to

RATE = 44_100
DEMO_SECONDS = 16.0
CHORDS = [(0, 4, 7), (7, 11, 14), (9, 12, 16), (5, 9, 12)]  # C, G, Am, F in semitones
PENTATONIC = [0, 2, 4, 7, 9, 12, 14, 16]


def _hz(semitones_from_c4: float) -> float:
    return 261.63 * 2 ** (semitones_from_c4 / 12)


@functools.lru_cache(maxsize=64)  # a piece uses about 25 notes; at most ~64 MB
def _note(freq: float, seconds: float, *, harmonics=(1.0, 0.4, 0.2), decay: float = 3.0):
    """One note's samples. Pieces repeat their chords, bass notes and melody notes, so the
    notes are kept (read-only): this halves a piece's synthesis time."""
    t = np.arange(int(seconds * RATE)) / RATE
    tone = sum(level * np.sin(2 * np.pi * freq * (k + 1) * t) for k, level in enumerate(harmonics))
    attack = np.minimum(1.0, t / 0.01)
    samples = tone * attack * np.exp(-decay * t)
    samples.flags.writeable = False
    return samples


def synthesize(seed: int, seconds: float = DEMO_SECONDS) -> np.ndarray:
    """Stereo float samples (2 x n) of a short, deterministic piece."""
    rng = random.Random(seed)
    bpm = rng.choice([84, 96, 108, 120])
    beat = 60.0 / bpm
    n = int(seconds * RATE)
    left, right = np.zeros(n), np.zeros(n)
    transpose = rng.choice([-5, -3, 0, 2])
    noise = np.random.default_rng(seed)

    def add(samples, start: float, pan: float) -> None:
        i = int(start * RATE)
        if i >= n:
            return
        part = samples[: n - i]
        left[i : i + len(part)] += part * (1 - pan)
        right[i : i + len(part)] += part * (1 + pan)

    degree = 2
    for bar in range(int(seconds / (4 * beat)) + 1):
        chord = CHORDS[bar % len(CHORDS)]
        start = bar * 4 * beat
        for interval in chord:  # a soft pad
            add(0.08 * _note(_hz(interval + transpose), 4 * beat, decay=0.6), start, 0.0)
        for step in range(4):
            at = start + step * beat
            add(0.3 * _note(_hz(chord[0] + transpose - 24), beat, decay=4.0), at, -0.2)  # bass
            if step in (0, 2):  # kick: a falling sine
                t = np.arange(int(0.25 * RATE)) / RATE
                add(
                    0.5 * np.sin(2 * np.pi * (50 + 80 * np.exp(-20 * t)) * t) * np.exp(-12 * t),
                    at,
                    0.0,
                )
            hat = noise.standard_normal(int(0.05 * RATE)) * np.exp(
                -np.arange(int(0.05 * RATE)) / 300
            )
            add(0.05 * np.diff(hat, prepend=0.0), at + beat / 2, 0.3)
            for half in (0, 1):  # melody: a random walk on the pentatonic scale
                degree = min(max(degree + rng.choice([-2, -1, 0, 1, 1, 2]), 0), len(PENTATONIC) - 1)
                if rng.random() < 0.8:
                    freq = _hz(PENTATONIC[degree] + transpose + 12)
                    add(0.15 * _note(freq, beat / 2, decay=5.0), at + half * beat / 2, 0.25)
    mix = np.stack([left, right])
    peak = np.abs(mix).max() or 1.0
    fade = np.minimum(1.0, (n - np.arange(n)) / (0.5 * RATE))
    return (0.9 * mix / peak * fade).astype(np.float32)


def wav_bytes(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="wav") as output:
        stream = output.add_stream("pcm_s16le", rate=RATE, layout="stereo")
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(samples), format="fltp", layout="stereo"
        )
        frame.sample_rate = RATE
        output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return buffer.getvalue()


def _make_audio(song: Song, uploader, *, processes: int | None = None) -> None:
    """Synthesise ``song``'s own piece, upload it and process it, as any upload is."""
    data = wav_bytes(synthesize(seed=song.pk))
    upload = SimpleUploadedFile("demo.wav", data, content_type="audio/wav")
    song_audio_upload(user=uploader, song=song, upload=upload, enqueue=False)
    generation = SongAudio.objects.get(song=song).generation
    song_audio_process(song_id=song.pk, generation=generation, processes=processes)


def _make_audio_in_child(song_id: int, uploader_id: int) -> str:
    """One song in a pool process (forked: it has Django set up, and opens its own database
    connection). One encoder process per song: the pool already keeps every core busy."""
    song = Song.objects.get(pk=song_id)
    _make_audio(song, get_user_model().objects.get(pk=uploader_id), processes=1)
    return song.title


def demo_audio_workers() -> int:
    """Songs processed at once: one per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def seed_demo_audio(
    *,
    songs: list[Song],
    uploader,
    progress: Callable[[str], None] = lambda message: None,
    workers: int | None = None,
) -> int:
    """Give each of ``songs`` its own synthesised audio and process it here (no worker
    needed); songs that already have ready audio are left alone. Returns how many were made.

    With more than one song and core, the songs are processed in a pool of forked processes
    (``workers``, default one per core), each song wholly in one process, with one encoder
    process each: the per-song helper processes of ``AUDIO_ENCODER_PROCESSES`` leave cores
    idle during the serial parts (synthesis, upload, publishing), a pool does not. Inside a
    transaction (whose rows other processes cannot see) the songs are processed one by one
    here.
    """
    todo = [song for song in songs if song.audio_status != AudioStatus.READY]
    workers = min(len(todo), workers or demo_audio_workers())
    if (
        workers <= 1
        or connection.in_atomic_block
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        for song in todo:
            _make_audio(song, uploader)
            progress(f"audio for '{song.title}'")
        return len(todo)
    # Forked children must not share the parent's database connections.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        jobs = [pool.submit(_make_audio_in_child, song.pk, uploader.pk) for song in todo]
        for job in jobs:
            progress(f"audio for '{job.result()}'")
    return len(todo)


DEMO_AUDIO_SONGS = 4


def seed_catalog_demo_audio(
    *, artist_ids: list[int], uploader, progress: Callable[[str], None] = lambda message: None
) -> list[int]:
    """The first few demo songs anyone may see get audio; returns their ids."""
    songs = list(
        songs_visible_to(user=None)
        .filter(artist_id__in=artist_ids)
        .order_by("id")[:DEMO_AUDIO_SONGS]
    )
    seed_demo_audio(songs=songs, uploader=uploader, progress=progress)
    return [song.pk for song in songs]
