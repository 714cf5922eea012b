"""The processing run: renditions decoded back with PyAV, HLS playlists, loudness, waveform,
idempotence and restarts (the task's body called directly; the API and a real worker are in
test_audio_api.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from catalog.audio import files
from catalog.audio.services import song_audio_process, song_audio_upload
from catalog.audio.transcode import HLS_SEGMENT_SECONDS, transcode
from catalog.models import AudioStatus, SongAudio, SongAudioRendition
from catalog.tests import audio_fixtures as af
from catalog.tests.factories import SongFactory

# Transactional: on_commit work (removing replaced files, enqueueing) runs as in production.
pytestmark = pytest.mark.django_db(transaction=True)

MP3_RATES = {"low": 64_000, "medium": 128_000, "high": 320_000}
HLS_RATES = {"a64": 64_000, "a128": 128_000, "a256": 256_000}


def media(*parts: str) -> Path:
    return Path(settings.MEDIA_ROOT).joinpath(*parts)


def uploaded(song, data: bytes, name: str = "song.bin") -> SongAudio:
    song_audio_upload(user=song.artist.user, song=song, upload=af.upload(data, name))
    return SongAudio.objects.get(song=song)


@pytest.fixture
def song(cast):
    return SongFactory(artist=cast.artist, title="Tone Poem")


def renditions(song) -> dict[str, SongAudioRendition]:
    return {r.quality: r for r in SongAudioRendition.objects.filter(audio__song=song)}


def assert_close(actual: float, expected: float, tolerance: float, what: str) -> None:
    assert abs(actual - expected) <= tolerance, f"{what}: {actual} vs {expected}"


def parse_playlist(text: str) -> list[tuple[str, str]]:
    """(tag line, URI) pairs of an m3u8 playlist."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines[0] == "#EXTM3U"
    pairs = []
    for index, line in enumerate(lines):
        if not line.startswith("#"):
            pairs.append((lines[index - 1], line))
    return pairs


# WAV in test-fast; every other format in the full run (`make test`). Each format's upload
# check stays fast: test_the_upload_check_accepts_every_format below.
@pytest.mark.parametrize(
    "fmt",
    [
        fmt if fmt == "wav" else pytest.param(fmt, marks=pytest.mark.slow)
        for fmt in sorted(af.FORMATS)
    ],
)
def test_every_format_becomes_every_rendition(song, fmt):
    seconds = 14.0
    audio = uploaded(song, af.audio_file(fmt, seconds), f"upload.{fmt}")

    assert song_audio_process(song_id=song.pk, generation=audio.generation) == "ready"

    song.refresh_from_db()
    assert song.audio_status == AudioStatus.READY
    assert_close(song.duration_ms, seconds * 1000, 100, "song duration")
    found = renditions(song)
    assert set(found) == {"low", "medium", "high", "hls"}  # every source here beats 128 kbps
    for quality, bit_rate in MP3_RATES.items():
        rendition = found[quality]
        path = media(rendition.folder, rendition.entry)
        decoded = af.decode(path)
        assert (decoded.codec, decoded.sample_rate, decoded.channels) == ("mp3float", 44_100, 2)
        assert_close(decoded.seconds, seconds, 0.1, f"{quality} duration")
        file_rate = path.stat().st_size * 8 / decoded.seconds
        assert_close(file_rate, bit_rate, 0.1 * bit_rate, f"{quality} bit rate")
        assert rendition.bit_rate == bit_rate and rendition.codec == "mp3"

    hls = found["hls"]
    master = media(hls.folder, hls.entry).read_text()
    variants = parse_playlist(master)
    assert [uri for _, uri in variants] == ["a64/index.m3u8", "a128/index.m3u8", "a256/index.m3u8"]
    for tag, uri in variants:
        name = uri.split("/")[0]
        attributes = dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', tag.split(":", 1)[1]))
        assert attributes["CODECS"] == '"mp4a.40.2"'
        bandwidth = int(attributes["BANDWIDTH"])
        # Peak bits per second of the segments as stored (MPEG-TS framing included).
        assert HLS_RATES[name] <= bandwidth <= HLS_RATES[name] * 1.35, (name, bandwidth)
        variant_text = media(hls.folder, uri).read_text()
        assert "#EXT-X-ENDLIST" in variant_text
        segments = parse_playlist(variant_text)
        durations = [float(tag.split(":")[1].rstrip(",")) for tag, _ in segments]
        assert len(segments) == 3  # 14 s in segments of about 6 s
        assert all(d <= HLS_SEGMENT_SECONDS + 0.1 for d in durations)
        assert_close(durations[0], HLS_SEGMENT_SECONDS, 0.1, "first segment")
        assert_close(sum(durations), seconds, 0.1, f"{name} playlist duration")
        decoded = af.decode(media(hls.folder, uri))
        assert (decoded.codec, decoded.sample_rate, decoded.channels) == ("aac", 44_100, 2)
        assert_close(decoded.seconds, seconds, 0.1, f"{name} decoded duration")
        assert_close(decoded.payload_bits_per_second, HLS_RATES[name], 0.1 * HLS_RATES[name], name)


def test_no_320_kbps_rendition_from_a_128_kbps_source(song):
    data = af.encode(
        af.music(4.0), af.Format("mp3", "mp3", "mp3", "libmp3lame", 44_100, 128_000, "")
    )
    audio = uploaded(song, data)
    assert audio.source_bit_rate <= 140_000

    song_audio_process(song_id=song.pk, generation=audio.generation)

    assert set(renditions(song)) == {"low", "medium", "hls"}


def test_loudness_of_a_full_scale_sine(song):
    # ITU-R BS.1770: a full-scale 1 kHz sine in one channel measures -3.01 LUFS.
    audio = uploaded(song, af.encode(af.sine(10.0), "wav"))

    song_audio_process(song_id=song.pk, generation=audio.generation)

    audio.refresh_from_db()
    assert_close(audio.loudness_lufs, -3.01, 0.05, "loudness")
    assert_close(audio.replay_gain_db, -14.0 + 3.01, 0.05, "replay gain")


@pytest.mark.slow  # loudness stays in test-fast with the full-scale sine above
def test_loudness_of_a_quieter_stereo_sine(song):
    # Both channels at -20 dBFS: -3.01 - 20 + 3.01 (two channels) = -20 LUFS.
    audio = uploaded(song, af.encode(af.sine(10.0, amplitude=0.1, channels=2, rate=48_000), "flac"))

    song_audio_process(song_id=song.pk, generation=audio.generation)

    audio.refresh_from_db()
    assert_close(audio.loudness_lufs, -20.0, 0.05, "loudness")
    assert_close(audio.replay_gain_db, 6.0, 0.05, "replay gain")


def test_waveform_has_200_peaks_between_0_and_1(song):
    quiet_then_loud = af.np.concatenate(
        [af.sine(5.0, amplitude=0.1, channels=2), af.sine(5.0, amplitude=0.8, channels=2)],
        axis=1,
    )
    audio = uploaded(song, af.encode(quiet_then_loud, "wav"))

    song_audio_process(song_id=song.pk, generation=audio.generation)

    audio.refresh_from_db()
    peaks = audio.waveform
    assert len(peaks) == 200
    assert all(0.0 <= p <= 1.0 for p in peaks)
    assert all(abs(p - 0.1) < 0.01 for p in peaks[2:98])
    assert all(abs(p - 0.8) < 0.01 for p in peaks[102:198])


def test_two_processes_make_the_same_result_as_one(tmp_path):
    source = tmp_path / "source.wav"
    source.write_bytes(af.audio_file("wav", 4.0))
    one = transcode(str(source), tmp_path / "one", expected_ms=4000, include_high=True, processes=1)
    two = transcode(str(source), tmp_path / "two", expected_ms=4000, include_high=True, processes=2)
    assert one.loudness_lufs == two.loudness_lufs
    assert one.waveform == two.waveform
    assert one.samples == two.samples == 4 * 44_100
    for quality in ("low", "medium", "high"):
        assert (tmp_path / "one" / quality / f"{quality}.mp3").read_bytes() == (
            tmp_path / "two" / quality / f"{quality}.mp3"
        ).read_bytes()


def test_running_twice_changes_nothing(song):
    audio = uploaded(song, af.audio_file("wav", 3.0))
    song_audio_process(song_id=song.pk, generation=audio.generation)
    before = {q: (r.pk, r.folder) for q, r in renditions(song).items()}
    stored = af.files_under(media("audio"))

    assert song_audio_process(song_id=song.pk, generation=audio.generation) == "done"

    assert {q: (r.pk, r.folder) for q, r in renditions(song).items()} == before
    assert af.files_under(media("audio")) == stored


def test_a_run_killed_part_way_restarts_cleanly(song):
    audio = uploaded(song, af.audio_file("wav", 3.0))
    # What a worker killed during the upload of its files leaves behind.
    leftover = media(files.generation_prefix(song.pk, audio.generation), "low")
    leftover.mkdir(parents=True)
    (leftover / "low.mp3").write_bytes(b"half a file")
    (leftover / "stray.tmp").write_bytes(b"junk")

    assert song_audio_process(song_id=song.pk, generation=audio.generation) == "ready"

    assert not (leftover / "stray.tmp").exists()
    low = renditions(song)["low"]
    assert af.decode(media(low.folder, low.entry)).codec == "mp3float"
    expected = {
        audio.original.removeprefix("audio/"),
        *(
            str(Path(r.folder, name).relative_to("audio"))
            for r in renditions(song).values()
            for name in af.files_under(media(r.folder))
        ),
    }
    assert set(af.files_under(media("audio"))) == expected  # no orphans


def test_a_replaced_generation_publishes_nothing_and_cleans_up(song):
    first = uploaded(song, af.audio_file("wav", 3.0))
    old_generation = first.generation
    second = uploaded(song, af.audio_file("flac", 2.0))

    # The first run finishes after the second upload: it must not publish.
    assert song_audio_process(song_id=song.pk, generation=old_generation) == "obsolete"

    assert not media(files.generation_prefix(song.pk, old_generation)).exists()
    assert renditions(song) == {}
    assert song_audio_process(song_id=song.pk, generation=second.generation) == "ready"
    assert_close(renditions(song)["low"].audio.duration_ms, 2000, 100, "duration")


def test_replacing_ready_audio_swaps_every_rendition_at_once(song):
    first = uploaded(song, af.audio_file("wav", 3.0))
    song_audio_process(song_id=song.pk, generation=first.generation)
    old = renditions(song)

    second = uploaded(song, af.audio_file("mp3", 2.0))
    # While the new upload is processing, the old renditions stay whole and untouched.
    assert renditions(song).keys() == old.keys()
    assert all(media(r.folder, r.entry).exists() for r in old.values())

    song_audio_process(song_id=song.pk, generation=second.generation)

    new = renditions(song)
    assert {r.generation for r in new.values()} == {second.generation}
    assert not media(files.generation_prefix(song.pk, first.generation)).exists()
    assert not media(first.original).exists()
    assert_close(af.decode(media(new["low"].folder, new["low"].entry)).seconds, 2.0, 0.1, "new")


def _events_for(user, work) -> list[dict]:
    """Run ``work`` while subscribed to ``user``'s realtime channel; the events it published."""
    import asyncio

    from asgiref.sync import async_to_sync, sync_to_async
    from channels.layers import get_channel_layer

    from common import realtime

    async def scenario():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(realtime.group_name(f"user:{user.pk}"), channel)
        await asyncio.sleep(0.1)  # the subscription is live before anything is published
        await sync_to_async(work)()
        events = []
        while True:
            try:
                events.append(await asyncio.wait_for(layer.receive(channel), 1.0))
            except TimeoutError:
                return events

    realtime.reset_connection()
    return [{"event": e["event"], "data": e["data"]} for e in async_to_sync(scenario)()]


def test_the_uploader_hears_when_the_audio_is_ready_or_failed(song):
    from catalog.audio.services import song_audio_fail

    audio = uploaded(song, af.audio_file("wav", 2.0))
    ready = _events_for(
        song.artist.user, lambda: song_audio_process(song_id=song.pk, generation=audio.generation)
    )
    audio = uploaded(song, af.audio_file("wav", 2.0))
    failed = _events_for(
        song.artist.user,
        lambda: song_audio_fail(song_id=song.pk, generation=audio.generation, reason="Broken."),
    )

    assert ready == [{"event": "audio_ready", "data": {"song_id": song.pk, "duration_ms": 2000}}]
    assert failed == [{"event": "audio_failed", "data": {"song_id": song.pk, "reason": "Broken."}}]
