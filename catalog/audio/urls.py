"""Audio routes under /api/v1/ (mounted by ``catalog.urls``)."""

from django.urls import path, register_converter

from catalog.audio import streaming, views


class AudienceConverter:
    """``p`` (a public link) or ``i`` (an insider's link); see ``catalog.audio.streaming``."""

    regex = "[pi]"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(AudienceConverter, "audience")

urlpatterns = [
    path("songs/<int:song_id>/audio/", views.SongAudioView.as_view(), name="song-audio"),
    path("songs/<int:song_id>/stream/", views.SongStreamView.as_view(), name="song-stream"),
    path("songs/<int:song_id>/waveform/", views.SongWaveformView.as_view(), name="song-waveform"),
    # The signed URL itself: not an API endpoint (no login, no JSON), so not in the schema.
    path(
        "stream/<int:rendition_id>/<audience:audience>/<int:expires>/<str:signature>/<path:name>",
        streaming.stream_file,
        name="audio-stream-file",
    ),
]
