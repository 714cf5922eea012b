"""The upload check accepts every format of the issue by decoding it (no database, no
encoding: the fast companion of the per-format processing round trips, which are `slow`
except for WAV)."""

from __future__ import annotations

import pytest

from catalog.audio.probe import probe
from catalog.tests import audio_fixtures as af

EXPECTED = {  # format -> (extension stored, codec, lossless)
    "mp3": ("mp3", {"mp3", "mp3float"}, False),
    "m4a": ("m4a", {"aac"}, False),
    "flac": ("flac", {"flac"}, True),
    "wav": ("wav", {"pcm_s16le"}, True),
    "opus": ("ogg", {"opus"}, False),
}


@pytest.mark.parametrize("fmt", sorted(af.FORMATS))
def test_the_upload_check_accepts_every_format(tmp_path, fmt):
    path = tmp_path / "upload.bin"  # the name says nothing: the content decides
    path.write_bytes(af.audio_file(fmt, 2.0))

    result = probe(str(path), file_size=path.stat().st_size, min_seconds=1, max_seconds=60)

    extension, codecs, lossless = EXPECTED[fmt]
    assert (result.extension, result.codec in codecs, result.lossless) == (
        extension,
        True,
        lossless,
    )
    assert result.channels == 2 and result.sample_rate == af.FORMATS[fmt].rate
    assert abs(result.duration_ms - 2000) <= 100
