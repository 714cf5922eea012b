"""Thin HTTP layer for the catalog: validate input, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Sequence

from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from catalog import selectors, services
from catalog.caching import CATALOG, CatalogCachedReadMixin, album_likes_generation
from catalog.examples import EXAMPLE_PLAYLIST, EXAMPLE_SONG
from catalog.filters import AlbumFilter, ArtistFilter, SongFilter
from catalog.images import MAX_IMAGE_BYTES
from catalog.models import Album, Artist, Genre, Playlist, Song
from catalog.serializers import (
    AlbumDetailSerializer,
    AlbumInputSerializer,
    AlbumSerializer,
    ArtistInputSerializer,
    ArtistSerializer,
    CollaboratorInputSerializer,
    CollaboratorsSerializer,
    CoverSerializer,
    CoverUploadSerializer,
    ExportInputSerializer,
    GenreSerializer,
    LikesSerializer,
    PlaylistActivitySerializer,
    PlaylistAddSongsSerializer,
    PlaylistEntrySerializer,
    PlaylistExportAcceptedSerializer,
    PlaylistExportSerializer,
    PlaylistInputSerializer,
    PlaylistListQuerySerializer,
    PlaylistMoveSongSerializer,
    PlaylistSerializer,
    PlaylistSnapshotSerializer,
    PlaylistSongsChangeSerializer,
    SongInputSerializer,
    SongSerializer,
    UserRefSerializer,
)
from catalog.throttles import PlaylistExportThrottle
from common.api import StrictQueryMixin
from common.errors import PayloadTooLarge
from common.schema import ErrorResponseSerializer

ID_PATTERN = r"\d+"
# Room for the multipart envelope around a cover at the size limit.
MAX_COVER_REQUEST_BYTES = MAX_IMAGE_BYTES + 64 * 1024

IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description="The playlist's snapshot_id as read; a stale one gets 412.",
)
X_DATA_SOURCE = OpenApiParameter(
    "X-Data-Source",
    str,
    OpenApiParameter.HEADER,
    enum=["cache", "database"],
    response=[200],
    description="Where the like count came from.",
)
ETAG = OpenApiParameter(
    "ETag", str, OpenApiParameter.HEADER, response=[200, 201], description="The snapshot_id."
)
SONG_ID = OpenApiParameter(
    "song_id", int, OpenApiParameter.PATH, description="The song's id (a song on the playlist)."
)
USER_ID = OpenApiParameter(
    "user_id", int, OpenApiParameter.PATH, description="The collaborator's user id."
)
PRECONDITION_FAILED = OpenApiResponse(ErrorResponseSerializer, description="Stale If-Match.")


def _paginated(name: str, item: type[serializers.Serializer]) -> serializers.Serializer:
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


def pagination_errors(*actions: str):
    """Declare the 400s of the project's strict pagination (bad ``limit``/``offset``)."""

    def decorate(view):
        for name in ("limit", "offset"):
            view = extend_validation_errors(["invalid"], field_name=name, actions=list(actions))(
                view
            )
        return view

    return decorate


class CatalogViewSet(StrictQueryMixin, viewsets.GenericViewSet):
    """Integer ids only, so ``songs/trending/`` and friends fall through to other apps;
    strict query strings (an unknown, repeated or blank parameter is a 400)."""

    lookup_value_regex = ID_PATTERN
    permission_classes = [IsAuthenticatedOrReadOnly]

    def get_object(self):
        # Detail lookups ignore list filters: a resource is found by id and visibility only.
        obj = get_object_or_404(self.get_queryset(), pk=self.kwargs[self.lookup_field])
        self.check_object_permissions(self.request, obj)
        return obj


@pagination_errors("list")
@extend_schema_view(
    list=extend_schema(
        summary="Genres",
        description="Every genre: its `slug` (what filters, recommendation seeds and preferences"
        " take) and its name.",
    )
)
class GenreViewSet(mixins.ListModelMixin, CatalogViewSet):
    queryset = Genre.objects.none()  # for the schema; requests use get_queryset()
    serializer_class = GenreSerializer
    permission_classes = [AllowAny]
    filter_backends = []

    def get_queryset(self):
        return selectors.genre_list()


# Validation errors raised by services (not by the input serializers) are declared here so
# that the schema lists every error code a client can receive.
@pagination_errors("list")
@extend_validation_errors(
    ["artist_profile_exists"], field_name="non_field_errors", actions=["create"]
)
@extend_schema_view(
    list=extend_schema(
        summary="Artists",
        description="Artists by name. `genre` (a slug) and `search` (ranked by similarity to"
        " the name) narrow the list; `ordering` sorts it.",
    ),
    retrieve=extend_schema(
        summary="An artist", description="One artist with its genres, bio and image."
    ),
    create=extend_schema(
        summary="Create an artist (artist accounts, editors, admins)",
        description="Editors and admins create any artist; an artist account creates the one"
        " profile it manages (a second one is a 400 `artist_profile_exists`). Listeners get"
        " 403.",
    ),
    partial_update=extend_schema(
        summary="Edit an artist",
        description="The artist account that owns the profile, editors and admins.",
    ),
    destroy=extend_schema(
        summary="Delete an artist (editors and admins)",
        description="Deletes the artist with its albums and songs, and their stored images.",
    ),
)
class ArtistViewSet(
    CatalogCachedReadMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    CatalogViewSet,
):
    queryset = Artist.objects.none()
    serializer_class = ArtistSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = ArtistFilter
    ordering_fields = ["name", "created_at", "id"]

    def get_queryset(self):
        return selectors.artist_list()

    def _render(self, artist, status_code=status.HTTP_200_OK) -> Response:
        artist = self.get_queryset().get(pk=artist.pk)
        return Response(self.get_serializer(artist).data, status=status_code)

    @extend_schema(request=ArtistInputSerializer, responses={201: ArtistSerializer})
    def create(self, request, *args, **kwargs):
        data = ArtistInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        artist = services.artist_create(user=request.user, **data.validated_data)
        return self._render(artist, status.HTTP_201_CREATED)

    @extend_schema(request=ArtistInputSerializer, responses={200: ArtistSerializer})
    def partial_update(self, request, *args, **kwargs):
        artist = self.get_object()
        data = ArtistInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.artist_update(user=request.user, artist=artist, data=data.validated_data)
        return self._render(artist)

    def perform_destroy(self, instance):
        services.artist_delete(user=self.request.user, artist=instance)


@pagination_errors("list")
@extend_validation_errors(["artist_required"], field_name="artist", actions=["create"])
@extend_validation_errors(
    ["file_too_large", "image_too_large", "invalid_image", "empty"],
    field_name="cover",
    actions=["cover"],
)
@extend_schema_view(
    list=extend_schema(
        summary="Albums",
        description="Albums you may see (public and visible ones; artists also see their own,"
        " editors and admins everything), newest year first. Each says how many of its songs"
        " you may see. Filters: `artist`, `genre`, `year`, `search`; `ordering` sorts.",
    ),
    retrieve=extend_schema(
        summary="An album with its songs",
        description="The album and the songs on it you may see, in track order. 404 when you"
        " may not see the album.",
    ),
    create=extend_schema(
        summary="Create an album (artist accounts, editors, admins)",
        description="An artist account creates albums for its own artist (`artist` may be"
        " left out); editors and admins must name the artist (else 400 `artist_required`)."
        " Only staff may set `is_visible`.",
    ),
    partial_update=extend_schema(
        summary="Edit an album",
        description="The album's artist account, editors and admins; only staff may change"
        " `is_visible` (hiding it hides its songs too).",
    ),
    destroy=extend_schema(
        summary="Delete an album",
        description="The album's artist account, editors and admins. Its songs stay, without"
        " an album; the cover files are removed.",
    ),
    cover=extend_schema(
        summary="Upload an album cover",
        description="Multipart field `cover`: a JPEG, PNG or WebP image, size-limited (413"
        " when larger). It is re-encoded (metadata such as GPS stripped) and stored in"
        " several sizes; the answer is the new `cover_url`. The album's artist account,"
        " editors and admins.",
    ),
    likes=extend_schema(
        summary="How many people like the album",
        description="`{likes: n}`; `X-Data-Source` says whether the count came from the cache"
        " or the database. 404 when you may not see the album.",
    ),
)
class AlbumViewSet(
    CatalogCachedReadMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    CatalogViewSet,
):
    queryset = Album.objects.none()
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = AlbumFilter
    ordering_fields = ["title", "year", "release_date", "created_at", "id"]

    def get_queryset(self):
        if self.action == "retrieve":
            return selectors.album_detail_queryset(user=self.request.user)
        return selectors.album_list(user=self.request.user)

    def get_serializer_class(self):
        return AlbumSerializer if self.action == "list" else AlbumDetailSerializer

    # Album pages say whether the caller likes each album: a listener's are their own.
    def cache_audience(self, request) -> str | None:
        audience = super().cache_audience(request)
        if audience is not None and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return audience

    def cache_generation_names(self, request) -> Sequence[str]:
        if request.user.is_authenticated:
            return (CATALOG, album_likes_generation(request.user.pk))
        return (CATALOG,)

    def _render(self, album, status_code=status.HTTP_200_OK) -> Response:
        album = selectors.album_detail_queryset(user=self.request.user).get(pk=album.pk)
        return Response(
            AlbumDetailSerializer(album, context=self.get_serializer_context()).data,
            status=status_code,
        )

    @extend_schema(request=AlbumInputSerializer, responses={201: AlbumDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = AlbumInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        album = services.album_create(user=request.user, data=data.validated_data)
        return self._render(album, status.HTTP_201_CREATED)

    @extend_schema(request=AlbumInputSerializer, responses={200: AlbumDetailSerializer})
    def partial_update(self, request, *args, **kwargs):
        album = self.get_object()
        data = AlbumInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        album = services.album_update(user=request.user, album=album, data=data.validated_data)
        return self._render(album)

    def perform_destroy(self, instance):
        services.album_delete(user=self.request.user, album=instance)

    @extend_schema(
        request=CoverUploadSerializer,
        responses={
            200: CoverSerializer,
            413: OpenApiResponse(ErrorResponseSerializer, description="Request too large."),
        },
    )
    @action(detail=True, methods=["put"], parser_classes=[MultiPartParser])
    def cover(self, request, pk=None):
        album = self.get_object()
        # Refuse an oversized body before Django spools it to disk.
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > MAX_COVER_REQUEST_BYTES:
            raise PayloadTooLarge(f"A cover may be at most {MAX_IMAGE_BYTES} bytes.")
        data = CoverUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        album = services.album_cover_set(
            user=request.user, album=album, upload=data.validated_data["cover"]
        )
        url = AlbumSerializer(album, context=self.get_serializer_context()).data["cover_url"]
        return Response({"cover_url": url})

    def _likes_response(self, album) -> Response:
        count, source = selectors.album_likes_count(album_id=album.pk)
        return Response({"likes": count}, headers={"X-Data-Source": source})

    @extend_schema(
        methods=["POST"],
        request=None,
        responses={200: LikesSerializer},
        parameters=[X_DATA_SOURCE],
        summary="Like the album (idempotent)",
        description="Adds the album to your library (`GET /users/me/library/albums/`); liking"
        " it again changes nothing. Answers the new like count.",
    )
    @extend_schema(
        methods=["DELETE"],
        request=None,
        responses={200: LikesSerializer},
        parameters=[X_DATA_SOURCE],
        summary="Unlike the album (idempotent)",
        description="Removes the album from your library; unliking twice changes nothing."
        " Answers the new like count.",
    )
    @action(detail=True, methods=["post", "delete"], permission_classes=[IsAuthenticated])
    def like(self, request, pk=None):
        album = selectors.album_visible_for(user=request.user, album_id=pk)
        if request.method == "POST":
            services.album_like(user=request.user, album=album)
        else:
            services.album_unlike(user=request.user, album=album)
        return self._likes_response(album)

    @extend_schema(responses={200: LikesSerializer}, parameters=[X_DATA_SOURCE])
    @action(detail=True, methods=["get"], permission_classes=[AllowAny])
    def likes(self, request, pk=None):
        album = selectors.album_visible_for(user=request.user, album_id=pk)
        return self._likes_response(album)


@pagination_errors("list")
@extend_validation_errors(["artist_or_album"], field_name="non_field_errors", actions=["create"])
@extend_schema_view(
    list=extend_schema(
        summary="Songs",
        description="Songs you may see (public and visible, on a public and visible album;"
        " artists also see their own, editors and admins everything), by title. Filters:"
        " `title`, `artist`, `album`, `genre`, `year`, `search` (ranked by similarity) and"
        " `ids` (a batch, in the order given); `ordering` sorts. Lists carry the audio"
        " status only; a single song adds its stream links.",
        examples=[
            # One item: drf-spectacular wraps it in the paginated envelope.
            OpenApiExample("A page of songs", response_only=True, value=EXAMPLE_SONG)
        ],
    ),
    retrieve=extend_schema(
        summary="A song",
        description="One song with its audio features; when its audio is ready, `audio`"
        " adds loudness and signed stream URLs that expire after `STREAM_URL_TTL`. 404 when"
        " you may not see the song.",
        examples=[
            OpenApiExample(
                "A song",
                response_only=True,
                value={
                    **EXAMPLE_SONG,
                    "audio": {
                        "status": "ready",
                        "duration_ms": 214000,
                        "loudness_lufs": -9.1,
                        "replay_gain_db": -4.9,
                        "streams": {
                            "low": "https://music.example.org/api/v1/stream/77/p/1764162000/"
                            "sig/low.mp3",
                            "medium": "https://music.example.org/api/v1/stream/78/p/1764162000/"
                            "sig/medium.mp3",
                            "high": "https://music.example.org/api/v1/stream/79/p/1764162000/"
                            "sig/high.mp3",
                            "hls": "https://music.example.org/api/v1/stream/80/p/1764162000/"
                            "sig/master.m3u8",
                        },
                    },
                },
            )
        ],
    ),
    create=extend_schema(
        summary="Create a song (artist accounts, editors, admins)",
        description="An artist account creates songs for its own artist; editors and admins"
        " name the artist, or an `album` whose artist it is (neither: 400 `artist_or_album`,"
        " a rule across fields). `album` must be one you may see. Only staff may set `is_visible`"
        " and `popularity`. Audio is uploaded apart (`PUT /songs/{id}/audio/`).",
    ),
    partial_update=extend_schema(
        summary="Edit a song",
        description="The song's artist account, editors and admins; only staff may change"
        " `is_visible` and `popularity`.",
    ),
    destroy=extend_schema(
        summary="Delete a song",
        description="The song's artist account, editors and admins. It leaves every playlist;"
        " its audio files are removed.",
    ),
)
class SongViewSet(
    CatalogCachedReadMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    CatalogViewSet,
):
    queryset = Song.objects.none()
    serializer_class = SongSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = SongFilter
    ordering_fields = ["title", "year", "popularity", "duration_ms", "created_at", "id"]

    def get_queryset(self):
        return selectors.song_list(user=self.request.user)

    def _input(self, *, partial: bool) -> dict:
        data = SongInputSerializer(data=self.request.data, partial=partial)
        # Only albums the caller may see can be referenced (hidden ones look missing).
        data.fields["album"].queryset = selectors.albums_visible_to(user=self.request.user)
        data.is_valid(raise_exception=True)
        return data.validated_data

    def _render(self, song, status_code=status.HTTP_200_OK) -> Response:
        song = selectors.song_list(user=self.request.user).get(pk=song.pk)
        return Response(self.get_serializer(song).data, status=status_code)

    @extend_schema(request=SongInputSerializer, responses={201: SongSerializer})
    def create(self, request, *args, **kwargs):
        song = services.song_create(user=request.user, data=self._input(partial=False))
        return self._render(song, status.HTTP_201_CREATED)

    @extend_schema(request=SongInputSerializer, responses={200: SongSerializer})
    def partial_update(self, request, *args, **kwargs):
        song = self.get_object()
        song = services.song_update(user=request.user, song=song, data=self._input(partial=True))
        return self._render(song)

    def perform_destroy(self, instance):
        services.song_delete(user=self.request.user, song=instance)


def _with_etag(response: Response, snapshot_id: str) -> Response:
    response["ETag"] = f'"{snapshot_id}"'
    return response


@pagination_errors("list", "songs", "activities")
@extend_validation_errors(["invalid"], field_name="public", actions=["list"])
@extend_validation_errors(
    ["required", "max_length", "duplicate", "not_found", "already_present", "playlist_full"],
    field_name="song_ids",
    actions=["songs"],
    methods=["post"],
)
@extend_validation_errors(
    ["song_id_or_song_ids"], field_name="non_field_errors", actions=["songs"], methods=["post"]
)
@extend_validation_errors(["max_value"], field_name="position", actions=["songs", "song"])
@extend_validation_errors(["required"], field_name="position", actions=["song"], methods=["patch"])
@extend_validation_errors(
    ["does_not_exist", "is_owner"], field_name="user_id", actions=["collaborators"]
)
@extend_validation_errors(
    ["no_address", "not_your_address"], field_name="target_email", actions=["export"]
)
@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "public", bool, description="true: browse public playlists instead of yours."
            )
        ],
        summary="My playlists (or public ones)",
        description="The playlists you own and those you collaborate on; `?public=true` browses"
        " everyone's public playlists instead. Anonymous callers see public ones only.",
    ),
    retrieve=extend_schema(
        parameters=[ETAG],
        summary="A playlist",
        description="A playlist you may see (public, yours, or one you collaborate on; 404"
        " otherwise). `snapshot_id` (also the `ETag`) changes with every change to it: send it"
        " as `If-Match` on writes to refuse a stale edit (412).",
    ),
    create=extend_schema(
        summary="Create a playlist",
        description="A new playlist that you own (private unless `is_public`).",
        examples=[
            OpenApiExample("Create", request_only=True, value=EXAMPLE_PLAYLIST),
            OpenApiExample(
                "Created",
                response_only=True,
                status_codes=["201"],
                value={
                    "id": 7,
                    **EXAMPLE_PLAYLIST,
                    "owner": {"id": 42, "username": "ada"},
                    "collaborators": [],
                    "snapshot_id": "b2f0c9d4e1a84c6f9d3e5a7b8c1d2e3f",
                    "song_count": 0,
                    "created_at": "2026-11-26T09:30:00Z",
                    "updated_at": "2026-11-26T09:30:00Z",
                },
            ),
        ],
    ),
    partial_update=extend_schema(
        summary="Edit a playlist",
        description="Name, description, public or not: the owner, editors and admins. With"
        " `If-Match: <snapshot_id>` a stale edit is refused (412).",
    ),
    destroy=extend_schema(
        parameters=[IF_MATCH],
        responses={204: None, 412: PRECONDITION_FAILED},
        summary="Delete a playlist",
        description="The owner, editors and admins. With `If-Match` a stale delete is"
        " refused (412).",
    ),
    activities=extend_schema(
        summary="Who added and removed what",
        description="The playlist's log of added and removed songs, newest first: owner,"
        " collaborators and staff. Songs you may not see show as null.",
    ),
    collaborators=extend_schema(
        summary="Add a collaborator (owner)",
        description="The owner gives another user the right to add, move and remove songs."
        " 201 when added, 200 when they already were; the answer lists the collaborators.",
    ),
    collaborator=extend_schema(
        summary="Remove a collaborator",
        description="The owner removes anyone; a collaborator may remove themself. Their"
        " access ends at once (realtime subscriptions included).",
    ),
    export=extend_schema(
        summary="E-mail me the playlist as JSON",
        description="Queues an e-mail of the playlist (a JSON attachment) to your own"
        " confirmed address; 202 with the task id, whose state `GET"
        " /playlists/{id}/exports/{task_id}/` shows. Rate-limited; 503 when the task queue is"
        " down.",
    ),
)
class PlaylistViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, CatalogViewSet
):
    queryset = Playlist.objects.none()
    serializer_class = PlaylistSerializer
    filter_backends = []
    extra_query_params = ("public",)

    def get_queryset(self):
        if self.action == "list":
            query = PlaylistListQuerySerializer(data=self.request.query_params)
            query.is_valid(raise_exception=True)
            return selectors.playlist_list(user=self.request.user, **query.validated_data)
        return selectors.playlist_detail_queryset(user=self.request.user)

    def _if_match(self) -> str | None:
        return self.request.headers.get("If-Match")

    def _render(self, playlist, status_code=status.HTTP_200_OK) -> Response:
        playlist = selectors.playlist_visible_for(user=self.request.user, playlist_id=playlist.pk)
        response = Response(self.get_serializer(playlist).data, status=status_code)
        return _with_etag(response, playlist.snapshot_id)

    def retrieve(self, request, *args, **kwargs):
        playlist = self.get_object()
        return _with_etag(Response(self.get_serializer(playlist).data), playlist.snapshot_id)

    @extend_schema(request=PlaylistInputSerializer, responses={201: PlaylistSerializer})
    def create(self, request, *args, **kwargs):
        data = PlaylistInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        playlist = services.playlist_create(owner=request.user, **data.validated_data)
        return self._render(playlist, status.HTTP_201_CREATED)

    @extend_schema(
        request=PlaylistInputSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={200: PlaylistSerializer, 412: PRECONDITION_FAILED},
    )
    def partial_update(self, request, *args, **kwargs):
        playlist = self.get_object()
        data = PlaylistInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        playlist = services.playlist_update(
            user=request.user,
            playlist=playlist,
            data=data.validated_data,
            if_match=self._if_match(),
        )
        return self._render(playlist)

    def perform_destroy(self, instance):
        services.playlist_delete(
            user=self.request.user, playlist=instance, if_match=self._if_match()
        )

    def _change_response(self, playlist, entries, status_code) -> Response:
        if entries:
            entries = selectors.playlist_entries_by_id(
                playlist=playlist, user=self.request.user, entry_ids=[entry.pk for entry in entries]
            ).order_by("position")
        body = {
            "snapshot_id": playlist.snapshot_id,
            "entries": PlaylistEntrySerializer(entries, many=True).data,
        }
        return _with_etag(Response(body, status=status_code), playlist.snapshot_id)

    @extend_schema(
        responses={200: _paginated("PaginatedPlaylistEntryList", PlaylistEntrySerializer)},
        parameters=[
            OpenApiParameter("limit", int, description="Page size (default 20, max 100)."),
            OpenApiParameter("offset", int, description="Index of the first result."),
        ],
        summary="The playlist's songs in order",
        description="The songs you may see, in playlist order, with who added them and when."
        " Positions count only those songs (0, 1, 2, ... without gaps). `ETag` is the"
        " playlist's snapshot_id.",
    )
    @action(detail=True, methods=["get"], url_path="songs")
    def songs(self, request, pk=None):
        # GET and HEAD only: the write is its own method below, so no read can add a song.
        playlist = self.get_object()
        entries = selectors.playlist_entries(playlist=playlist, user=request.user)
        page = self.paginate_queryset(entries)
        response = self.get_paginated_response(PlaylistEntrySerializer(page, many=True).data)
        return _with_etag(response, playlist.snapshot_id)

    @extend_schema(
        request=PlaylistAddSongsSerializer,
        parameters=[IF_MATCH, ETAG],
        responses={201: PlaylistSongsChangeSerializer, 412: PRECONDITION_FAILED},
        summary="Add songs (owner and collaborators)",
        description="`song_id` or `song_ids` (up to 100), inserted at `position` or appended"
        " (both or neither: 400 `song_id_or_song_ids`)."
        " Only songs you may see; a song already on the playlist is a 400. The answer has the"
        " new snapshot_id and the added entries.",
        examples=[
            OpenApiExample("Add one song", request_only=True, value={"song_id": 812}),
            OpenApiExample(
                "Insert several at the top",
                request_only=True,
                value={"song_ids": [812, 97, 3051], "position": 0},
            ),
            OpenApiExample(
                "Added",
                response_only=True,
                status_codes=["201"],
                value={
                    "snapshot_id": "5d1c0e7f9a2b4c3d8e6f1a0b2c3d4e5f",
                    "entries": [
                        {
                            "position": 0,
                            "song": EXAMPLE_SONG,
                            "added_by": {"id": 42, "username": "ada"},
                            "added_at": "2026-11-26T09:31:00Z",
                        }
                    ],
                },
            ),
        ],
    )
    @songs.mapping.post
    def add_songs(self, request, pk=None):
        playlist = self.get_object()
        data = PlaylistAddSongsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        playlist, entries = services.playlist_add_songs(
            user=request.user, playlist=playlist, if_match=self._if_match(), **data.validated_data
        )
        return self._change_response(playlist, entries, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["PATCH"],
        request=PlaylistMoveSongSerializer,
        parameters=[SONG_ID, IF_MATCH, ETAG],
        responses={200: PlaylistSongsChangeSerializer, 412: PRECONDITION_FAILED},
        summary="Move a song to another position",
        description="`{position}` among the songs you may see. Owner and collaborators;"
        " `If-Match` refuses a stale move (412).",
    )
    @extend_schema(
        methods=["DELETE"],
        request=None,
        parameters=[SONG_ID, IF_MATCH, ETAG],
        responses={200: PlaylistSnapshotSerializer, 412: PRECONDITION_FAILED},
        summary="Remove a song",
        description="Owner and collaborators; `If-Match` refuses a stale removal (412). The"
        " answer is the new snapshot_id.",
    )
    @action(detail=True, methods=["patch", "delete"], url_path=r"songs/(?P<song_id>\d+)")
    def song(self, request, pk=None, song_id=None):
        playlist = self.get_object()
        if request.method == "DELETE":
            playlist = services.playlist_remove_song(
                user=request.user,
                playlist=playlist,
                song_id=int(song_id),
                if_match=self._if_match(),
            )
            body = {"snapshot_id": playlist.snapshot_id}
            return _with_etag(Response(body), playlist.snapshot_id)
        data = PlaylistMoveSongSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        playlist, entry = services.playlist_move_song(
            user=request.user,
            playlist=playlist,
            song_id=int(song_id),
            position=data.validated_data["position"],
            if_match=self._if_match(),
        )
        return self._change_response(playlist, [entry], status.HTTP_200_OK)

    @extend_schema(
        responses={200: _paginated("PaginatedPlaylistActivityList", PlaylistActivitySerializer)},
        parameters=[
            OpenApiParameter("limit", int, description="Page size (default 20, max 100)."),
            OpenApiParameter("offset", int, description="Index of the first result."),
        ],
    )
    @action(detail=True, methods=["get"], permission_classes=[IsAuthenticated])
    def activities(self, request, pk=None):
        playlist = self.get_object()
        services.require_playlist_member(user=request.user, playlist=playlist)
        activities = selectors.playlist_activities(playlist=playlist, user=request.user)
        page = self.paginate_queryset(activities)
        return self.get_paginated_response(PlaylistActivitySerializer(page, many=True).data)

    @extend_schema(
        request=CollaboratorInputSerializer,
        responses={200: CollaboratorsSerializer, 201: CollaboratorsSerializer},
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def collaborators(self, request, pk=None):
        playlist = self.get_object()
        data = CollaboratorInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        added = services.playlist_add_collaborator(
            user=request.user, playlist=playlist, collaborator_id=data.validated_data["user_id"]
        )
        playlist = selectors.playlist_visible_for(user=request.user, playlist_id=playlist.pk)
        body = {"collaborators": UserRefSerializer(playlist.collaborators.all(), many=True).data}
        return Response(body, status=status.HTTP_201_CREATED if added else status.HTTP_200_OK)

    @extend_schema(parameters=[USER_ID], request=None, responses={204: None})
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"collaborators/(?P<user_id>\d+)",
        permission_classes=[IsAuthenticated],
    )
    def collaborator(self, request, pk=None, user_id=None):
        playlist = self.get_object()
        services.playlist_remove_collaborator(
            user=request.user, playlist=playlist, collaborator_id=int(user_id)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=ExportInputSerializer,
        responses={
            202: PlaylistExportAcceptedSerializer,
            503: OpenApiResponse(ErrorResponseSerializer, description="Task queue unavailable."),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        permission_classes=[IsAuthenticated],
        throttle_classes=[PlaylistExportThrottle],
    )
    def export(self, request, pk=None):
        playlist = self.get_object()
        data = ExportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task_id = services.playlist_export_request(
            user=request.user,
            playlist=playlist,
            target_email=data.validated_data.get("target_email"),
        )
        return Response({"task_id": task_id}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={200: PlaylistExportSerializer},
        summary="One of your exports",
        description="The state of an export you asked for: pending, sent or failed (with why).",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"exports/(?P<task_id>[0-9a-f-]{36})",
        permission_classes=[IsAuthenticated],
    )
    def export_status(self, request, pk=None, task_id=None):
        playlist = self.get_object()
        export = selectors.playlist_export_get(
            playlist=playlist, user=request.user, task_id=task_id
        )
        return Response(PlaylistExportSerializer(export).data)
