"""Processing on two cores: the source is decoded once and the samples go to a helper
process through a pipe; the encoders are split by measured cost; a helper that dies leaves
nothing behind and the task retries."""

from __future__ import annotations

import json
import os
import signal
import tempfile
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest

from catalog.audio import transcode as tc
from catalog.models import AudioStatus, SongAudio, SongAudioRendition
from catalog.tasks import audio_process
from catalog.tests import audio_fixtures as af
from catalog.tests.factories import SongFactory

ALL_SINKS = tc._sink_names(include_high=True)


def _tree(root: Path) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in af.files_under(root)}


@pytest.mark.parametrize("include_high", [True, False])
def test_two_processes_write_byte_identical_files(tmp_path, include_high):
    source = tmp_path / "source.flac"
    source.write_bytes(af.audio_file("flac", 13.0))  # 48 kHz: resampled once, then shipped
    one = tc.transcode(str(source), tmp_path / "one", expected_ms=13_000, include_high=include_high)
    two = tc.transcode(
        str(source), tmp_path / "two", expected_ms=13_000, include_high=include_high, processes=2
    )

    files_one, files_two = _tree(tmp_path / "one"), _tree(tmp_path / "two")
    assert sorted(files_one) == sorted(files_two)
    assert ("high/high.mp3" in files_two) is include_high
    assert len([n for n in files_two if n.endswith(".ts")]) == 3 * 3  # 13 s: 6 + 6 + 1
    different = [name for name in files_one if files_one[name] != files_two[name]]
    assert different == []
    assert (one.loudness_lufs, one.waveform, one.samples) == (
        two.loudness_lufs,
        two.waveform,
        two.samples,
    )
    # The helper got its samples through the pipe; the source was decoded once.
    assert two.step_seconds["pcm in"] > 0 and two.step_seconds["pcm out"] > 0
    assert "pcm in" not in one.step_seconds
    assert len(one.process_seconds) == 1 and len(two.process_seconds) == 2
    decoded = af.decode(tmp_path / "two" / "medium" / "medium.mp3")
    assert decoded.codec.startswith("mp3") and abs(decoded.seconds - 13.0) < 0.1


def _run_helper(work: Path, names: list[str], frames: list[np.ndarray], *, end_mark=True):
    """A helper process as ``_run_groups`` forks it, fed ``frames`` by a ``_PcmSender``."""
    helper = tc._Helper(work, 2000, names, close=[])
    try:
        sender = tc._PcmSender(helper.stdin)
        position = 0
        for data in frames:
            frame = av.AudioFrame.from_ndarray(data, format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = tc.OUTPUT_RATE, position
            position += data.shape[1]
            sender.feed(frame)
        sender.close() if end_mark else sender.abort()
        code = helper.wait()
        helper.out.seek(0)
        helper.err.seek(0)
        return code, helper.out.read().decode(), helper.err.read().decode()
    finally:
        helper.close()


def test_a_helper_encodes_the_samples_it_reads_from_its_standard_input(tmp_path):
    samples = af.music(2.0)
    frames = [np.ascontiguousarray(samples[:, i : i + 1152]) for i in range(0, 88_200, 1152)]

    code, out, err = _run_helper(tmp_path, ["mp3 low", "waveform"], frames)

    assert code == 0, err
    result = json.loads(out)
    assert result["samples"] == 88_200
    assert len(result["waveform"]) == 200
    assert max(result["waveform"]) == pytest.approx(float(np.abs(samples).max()), abs=1e-4)
    decoded = af.decode(tmp_path / "low" / "low.mp3")
    assert abs(decoded.seconds - 2.0) < 0.1


def test_a_helper_whose_samples_stop_without_the_end_mark_fails(tmp_path):
    samples = af.music(1.0)
    frames = [np.ascontiguousarray(samples[:, i : i + 4096]) for i in range(0, 44_100, 4096)]

    code, out, err = _run_helper(tmp_path, ["mp3 low"], frames, end_mark=False)

    assert code == 1 and out == ""
    assert "ended early" in err


def _loads(groups: list[list[str]]) -> list[float]:
    loads = [sum(tc.SINK_COSTS[n] for n in group) for group in groups]
    loads[0] += tc.DECODE_COST + tc.PCM_SEND_COST * (len(groups) - 1)
    return [load + (tc.HELPER_COST if index else 0.0) for index, load in enumerate(loads)]


@pytest.mark.parametrize("include_high, tolerance", [(True, 1.02), (False, 1.05)])
def test_two_processes_carry_about_half_the_measured_work_each(include_high, tolerance):
    names = tc._sink_names(include_high)
    groups = tc._balance(names, 2)

    assert sorted(n for group in groups for n in group) == sorted(names)
    loads = _loads(groups)
    # The decode counted once (the helper gets samples, not the file), the pipe and the
    # helper's start-up counted too; the busiest process within a few % of half of it all
    # (seven pieces without the 320 kbps MP3 cannot be split as finely as eight).
    one_process = sum(tc.SINK_COSTS[n] for n in names) + tc.DECODE_COST
    assert sum(loads) == pytest.approx(one_process + tc.PCM_SEND_COST + tc.HELPER_COST)
    assert max(loads) <= tolerance * sum(loads) / 2


@pytest.mark.parametrize("processes", [1, 3, 4, 8, 20])
def test_any_number_of_processes_runs_every_sink_once(processes):
    groups = tc._balance(ALL_SINKS, processes)

    assert sorted(n for group in groups for n in group) == sorted(ALL_SINKS)
    assert 1 <= len(groups) <= min(processes, len(ALL_SINKS))
    assert all(groups[1:])  # no helper started with nothing to do


# --- a helper killed part-way ---------------------------------------------------------------


def _helpers_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            name = (entry / "comm").read_bytes().strip()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and name == tc.HELPER_NAME:
            found.append(int(entry.name))
    return found


def _bytes_read(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("rchar:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class HelperKiller(threading.Thread):
    """Kills the first encoder helper of this process once it has read ``after`` bytes of
    samples (so it is part-way through its encoders)."""

    def __init__(self, after: int = 4_000_000) -> None:
        super().__init__(daemon=True)
        self.after, self.killed, self.stop = after, [], threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and not self.killed:
            for pid in _helpers_of(os.getpid()):
                if _bytes_read(pid) >= self.after:
                    os.kill(pid, signal.SIGKILL)
                    self.killed.append(pid)
                    return
            time.sleep(0.005)


@pytest.fixture
def killer():
    thread = HelperKiller()
    thread.start()
    yield thread
    thread.stop.set()
    thread.join(timeout=5)


def test_a_killed_helper_stops_the_run_as_a_temporary_error(tmp_path, killer):
    source = tmp_path / "source.wav"
    source.write_bytes(af.audio_file("wav", 30.0))

    with pytest.raises(tc.EncoderProcessLost, match="SIGKILL"):
        tc.transcode(str(source), tmp_path / "work", expected_ms=30_000, include_high=True,
                     processes=2)  # fmt: skip

    assert killer.killed
    assert _helpers_of(os.getpid()) == []


@pytest.mark.django_db(transaction=True)
def test_the_task_retries_after_a_killed_helper_and_leaves_no_stray_file(
    cast, django_capture_on_commit_callbacks, killer, settings, tmp_path, monkeypatch
):
    settings.AUDIO_ENCODER_PROCESSES = 2
    scratch = tmp_path / "scratch"  # this test's temporary files, work folders included
    scratch.mkdir()
    song = SongFactory(artist=cast.artist)
    audio = af.give_audio(
        song, af.audio_file("wav", 30.0), process=False, capture=django_capture_on_commit_callbacks
    )
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    try:
        # Eagerly applied, Celery runs the retry at once (the countdown is for real workers).
        result = audio_process.apply(kwargs={"song_id": song.pk, "generation": audio.generation})
    finally:
        af.purge_media_queue()

    assert killer.killed, "the helper finished before it could be killed"
    assert result.get() == "ready"
    song.refresh_from_db()
    assert song.audio_status == AudioStatus.READY
    renditions = SongAudioRendition.objects.filter(audio__song=song)
    assert sorted(r.quality for r in renditions) == ["high", "hls", "low", "medium"]
    stored = af.files_under(Path(settings.MEDIA_ROOT) / "audio")
    original = SongAudio.objects.get(song=song).original.removeprefix("audio/")
    expected = {original}
    for rendition in renditions:
        folder = Path(settings.MEDIA_ROOT) / rendition.folder
        expected |= {
            str((folder / name).relative_to(Path(settings.MEDIA_ROOT) / "audio"))
            for name in af.files_under(folder)
        }
        assert (folder / rendition.entry).exists()
    assert set(stored) == expected
    assert all(r.generation == audio.generation for r in renditions)
    assert list(scratch.iterdir()) == []
    assert _helpers_of(os.getpid()) == []


def test_a_helper_that_fails_reports_why_and_never_returns_into_the_caller(tmp_path):
    frames = [np.zeros((2, 1152), dtype=np.float32)]

    code, out, err = _run_helper(tmp_path, ["no such sink"], frames)

    # The child ended with os._exit: had it returned into this test, pytest would have run
    # on in two processes and the parent would have seen its own output twice.
    assert code == 1 and out == ""
    assert "unknown sink 'no such sink'" in err


@pytest.mark.django_db
def test_the_forked_helper_leaves_the_workers_database_connection_alone(tmp_path):
    from django.db import connection

    connection.ensure_connection()
    before = connection.connection.info.backend_pid
    source = tmp_path / "source.flac"
    source.write_bytes(af.audio_file("flac", 3.0))

    tc.transcode(str(source), tmp_path / "w", expected_ms=3000, include_high=True, processes=2)

    with connection.cursor() as cursor:  # the same server session, still usable
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] == before
