"""The song admin's audio part: status, duration, loudness, a player, and re-processing."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from catalog.audio.services import song_audio_reprocess
from catalog.audio.streaming import INSIDER, signed_url
from catalog.models import AudioStatus, SongAudio
from common.errors import ServiceUnavailable


def _seconds(ms: int | None) -> str:
    return "-" if ms is None else f"{ms // 60000}:{ms // 1000 % 60:02d}"


class SongAudioAdminMixin:
    """Mixed into ``SongAdmin``: add ``audio_panel`` to its read-only fields and
    ``reprocess_audio`` to its actions."""

    @admin.display(description="Audio")
    def audio_panel(self, song):
        audio = SongAudio.objects.filter(song=song).prefetch_related("renditions").first()
        if audio is None:
            return "No audio uploaded."
        renditions = {r.quality: r for r in audio.renditions.all()}
        rows = [
            ("Status", song.get_audio_status_display()),
            ("Duration", _seconds(audio.duration_ms)),
            ("Original", f"{audio.original_format} ({audio.codec}), {audio.original_size} bytes"),
            ("Loudness", "-" if audio.loudness_lufs is None else f"{audio.loudness_lufs} LUFS"),
            ("Replay gain", "-" if audio.replay_gain_db is None else f"{audio.replay_gain_db} dB"),
            ("Renditions", ", ".join(sorted(renditions)) or "-"),
        ]
        if audio.failure_reason:
            rows.append(("Failure", audio.failure_reason))
        table = format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )
        if song.audio_status == AudioStatus.READY and "medium" in renditions:
            player = format_html(
                '<audio controls preload="none" src="{}"></audio>',
                signed_url(renditions["medium"], audience=INSIDER),  # staff only
            )
            return format_html("{}{}", table, player)
        return table

    @admin.action(description="Re-process audio of selected songs")
    def reprocess_audio(self, request, queryset):
        queued = 0
        for song_id in queryset.values_list("pk", flat=True):
            try:
                queued += song_audio_reprocess(song_id=song_id) is not None
            except ServiceUnavailable:
                self.message_user(  # type: ignore[attr-defined]  # from ModelAdmin
                    request, "The task queue is unavailable.", messages.ERROR
                )
                return
        self.message_user(  # type: ignore[attr-defined]  # from ModelAdmin
            request, f"Re-processing queued for {queued} song(s).", messages.SUCCESS
        )
