"""Audio reads: the ``audio`` block of a song, stream links and the waveform.

Visibility is the catalog's one rule (``catalog.selectors``): a song the caller may not see
is a 404 here too, and its stream links are never handed out.
"""

from __future__ import annotations

from django.http import Http404

from catalog.audio.services import user_can_change_audio
from catalog.audio.streaming import INSIDER, PUBLIC, signed_url
from catalog.models import AudioStatus, Song, SongAudio, SongAudioRendition
from catalog.selectors import song_visible_for, songs_visible_to

QUALITIES = [q.value for q in SongAudioRendition.Quality]
# Asked for a quality a song does not have (no 320 kbps MP3 of a 128 kbps upload), a player
# gets the best one below it.
FALLBACK = {"high": ["high", "medium"], "medium": ["medium"], "low": ["low"], "hls": ["hls"]}


def song_audio_summary(song: Song) -> dict:
    """What lists show: no extra query and no signing per row."""
    return {"status": song.audio_status, "duration_ms": song.duration_ms}


def song_audio_detail(*, song: Song, user, request=None) -> dict:
    """The full block for a song the caller may see (the caller checked visibility).

    Queries: none unless the audio is ready (3: the audio row, its renditions, whether the
    song is public) or failed and the caller may change it (1: to show why).
    """
    block = {
        **song_audio_summary(song),
        "loudness_lufs": None,
        "replay_gain_db": None,
        "streams": None,
    }
    status = song.audio_status
    if status == AudioStatus.READY:
        audio = SongAudio.objects.filter(song=song).prefetch_related("renditions").first()
        renditions = {r.quality: r for r in audio.renditions.all()} if audio else {}
        if audio is not None and "hls" in renditions:
            block["loudness_lufs"] = audio.loudness_lufs
            block["replay_gain_db"] = audio.replay_gain_db
            audience = _audience(song)
            block["streams"] = {
                quality: signed_url(renditions[quality], audience=audience, request=request)
                if quality in renditions
                else None
                for quality in QUALITIES
            }
    elif status == AudioStatus.FAILED and user_can_change_audio(user=user, song=song):
        reason = SongAudio.objects.filter(song=song).values_list("failure_reason", flat=True)
        block["failure_reason"] = reason.first() or ""
    return block


def _audience(song: Song) -> str:
    """Whether links to ``song`` are public ones (re-checked when served) or an insider's."""
    return PUBLIC if songs_visible_to(user=None).filter(pk=song.pk).exists() else INSIDER


def _ready_audio_for(*, user, song_id: int) -> tuple[Song, SongAudio]:
    song = song_visible_for(user=user, song_id=song_id)
    audio = SongAudio.objects.filter(song=song).first()
    if song.audio_status != AudioStatus.READY or audio is None:
        raise Http404("This song has no playable audio yet.")
    return song, audio


def song_stream_url(*, user, song_id: int, quality: str, request=None) -> str:
    """A fresh signed URL for ``quality`` (or the best one below it)."""
    song, audio = _ready_audio_for(user=user, song_id=song_id)
    renditions = {r.quality: r for r in audio.renditions.all()}
    for candidate in FALLBACK[quality]:
        if candidate in renditions:
            return signed_url(renditions[candidate], audience=_audience(song), request=request)
    raise Http404("This song has no playable audio yet.")


def song_waveform(*, user, song_id: int) -> dict:
    _, audio = _ready_audio_for(user=user, song_id=song_id)
    return {"duration_ms": audio.duration_ms, "peaks": audio.waveform or []}
