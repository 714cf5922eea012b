"""Audio input and output shapes (DESIGN.md §4, Audio rows)."""

from __future__ import annotations

from rest_framework import serializers

from catalog.models import AudioStatus, SongAudioRendition


class AudioUploadSerializer(serializers.Serializer):
    audio = serializers.FileField(
        allow_empty_file=True,  # an empty file is refused by the content check: invalid_audio
        help_text="MP3, AAC/M4A, FLAC, WAV or Ogg/Opus; checked by decoding it.",
    )


class AudioAcceptedSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[AudioStatus.PROCESSING.value])
    task_id = serializers.CharField()


class AudioStreamsSerializer(serializers.Serializer):
    low = serializers.URLField(allow_null=True, help_text="MP3, 64 kbps")
    medium = serializers.URLField(allow_null=True, help_text="MP3, 128 kbps")
    high = serializers.URLField(
        allow_null=True, help_text="MP3, 320 kbps; null when the upload was 128 kbps or less"
    )
    hls = serializers.URLField(allow_null=True, help_text="HLS master playlist, AAC 64/128/256")


class SongAudioSerializer(serializers.Serializer):
    """A song's ``audio`` block. Lists carry ``status`` and ``duration_ms`` only; a single
    song adds loudness and signed ``streams`` (when ready), and ``failure_reason`` for a
    failed upload when the caller may change the song."""

    status = serializers.ChoiceField(choices=AudioStatus.choices)
    duration_ms = serializers.IntegerField(allow_null=True)
    loudness_lufs = serializers.FloatField(allow_null=True, required=False)
    replay_gain_db = serializers.FloatField(
        allow_null=True, required=False, help_text="Gain to reach -14 LUFS."
    )
    streams = AudioStreamsSerializer(allow_null=True, required=False)
    failure_reason = serializers.CharField(required=False)


class StreamQuerySerializer(serializers.Serializer):
    quality = serializers.ChoiceField(
        choices=[q.value for q in SongAudioRendition.Quality], default="medium"
    )


class StreamLinkSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="Also in the Location header.")


class WaveformSerializer(serializers.Serializer):
    duration_ms = serializers.IntegerField()
    peaks = serializers.ListField(
        child=serializers.FloatField(min_value=0.0, max_value=1.0),
        help_text="Peak level of each of about 200 equal slices of the song, 0..1.",
    )
