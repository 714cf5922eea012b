"""Thin HTTP layer for audio: upload/delete, a stable stream link, the waveform."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.audio import selectors, services
from catalog.audio.serializers import (
    AudioAcceptedSerializer,
    AudioUploadSerializer,
    StreamLinkSerializer,
    StreamQuerySerializer,
    WaveformSerializer,
)
from catalog.audio.uploads import limit_upload_size
from catalog.models import SongAudioRendition
from catalog.selectors import song_visible_for
from common.api import documents_query_errors, validated_query
from common.schema import ErrorResponseSerializer

UPLOAD_ERROR_CODES = ["invalid_audio", "no_audio_stream", "too_short", "too_long", "decode_error"]
ERROR = OpenApiResponse(ErrorResponseSerializer)


@extend_validation_errors(
    ["required", "invalid", "no_name", "max_length", *UPLOAD_ERROR_CODES],
    field_name="audio",
    methods=["put"],
)
class SongAudioView(APIView):
    """PUT a song's audio (replacing any earlier one); DELETE it."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="songs_audio_update",
        request=AudioUploadSerializer,
        responses={
            202: AudioAcceptedSerializer,
            403: OpenApiResponse(ErrorResponseSerializer, description="Not the song's artist."),
            413: OpenApiResponse(ErrorResponseSerializer, description="File too large."),
            503: OpenApiResponse(ErrorResponseSerializer, description="Task queue unavailable."),
        },
        summary="Upload the song's audio (its artist, editors, admins)",
        description="Multipart field `audio`: MP3, AAC/M4A, FLAC, WAV or Ogg/Opus, checked by"
        " decoding it; size-limited (413 while it streams in) and between one second and"
        " `AUDIO_MAX_SECONDS` long. Replaces any earlier audio. A worker makes the 64/128/320"
        " kbps MP3 renditions, an HLS ladder, loudness and the waveform: the song's"
        " `audio.status` is `processing`, then `ready` or `failed`.",
    )
    def put(self, request, song_id: int):
        song = song_visible_for(user=request.user, song_id=song_id)
        limit_upload_size(request, settings.AUDIO_MAX_BYTES)
        data = AudioUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task_id = services.song_audio_upload(
            user=request.user, song=song, upload=data.validated_data["audio"]
        )
        return Response(
            {"status": "processing", "task_id": task_id}, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(
        operation_id="songs_audio_destroy",
        responses={
            204: None,
            403: OpenApiResponse(ErrorResponseSerializer, description="Not the song's artist."),
        },
        summary="Remove the song's audio and its files",
        description="The song's artist, editors and admins. The upload and every rendition"
        " are deleted; stream links stop working; `audio.status` becomes `none`.",
    )
    def delete(self, request, song_id: int):
        song = song_visible_for(user=request.user, song_id=song_id)
        services.song_audio_delete(user=request.user, song=song)
        return Response(status=status.HTTP_204_NO_CONTENT)


@documents_query_errors(StreamQuerySerializer)
class SongStreamView(APIView):
    """A fresh signed URL, for players that want a stable link to press play on."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="songs_stream_retrieve",
        parameters=[
            OpenApiParameter(
                "quality",
                OpenApiTypes.STR,
                enum=[quality.value for quality in SongAudioRendition.Quality],
                description="low/medium/high: MP3 64/128/320 kbps; hls: the HLS master "
                "playlist. Default medium; high falls back to medium when absent.",
            )
        ],
        responses={
            (302, "application/json"): OpenApiResponse(
                StreamLinkSerializer,
                description="Redirect to a signed URL valid for STREAM_URL_TTL seconds.",
                # Location is the only way most players read it.
            ),
            404: ERROR,
        },
        summary="Redirect to a signed stream URL",
    )
    def get(self, request, song_id: int):
        query = validated_query(StreamQuerySerializer, request)
        url = selectors.song_stream_url(
            user=request.user, song_id=song_id, quality=query["quality"], request=request
        )
        response = Response({"url": url}, status=status.HTTP_302_FOUND, headers={"Location": url})
        response["Cache-Control"] = "private, no-store"
        return response


class NoQuerySerializer(serializers.Serializer):
    pass


@documents_query_errors(NoQuerySerializer)
class SongWaveformView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="songs_waveform_retrieve",
        responses={200: WaveformSerializer, 404: ERROR},
        summary="Peak levels for a player's waveform",
        description="The song's length and a list of peak levels to draw its waveform; 404"
        " when the song is not visible to you or its audio is not ready.",
    )
    def get(self, request, song_id: int):
        validated_query(NoQuerySerializer, request)
        return Response(selectors.song_waveform(user=request.user, song_id=song_id))
