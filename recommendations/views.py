"""Thin HTTP layer: validate the query, run one selector or service, render."""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from recommendations import selectors, services
from recommendations.serializers import (
    GenreSeedsSerializer,
    LimitQuerySerializer,
    PicksSerializer,
    PreferencesSerializer,
    RefreshAcceptedSerializer,
    SeedQuerySerializer,
    SeedRecommendationsSerializer,
    SimilarSongsSerializer,
    TrendingQuerySerializer,
    TrendingSerializer,
)
from recommendations.throttles import PicksRefreshThrottle


def document_validation_errors(serializer_class, *, method: str, extra=None):
    """Declare in the OpenAPI schema the 400 error codes a serializer can raise.

    drf-standardized-errors only documents request bodies; this covers query-string
    serializers, and codes of list items reported on the list itself (ItemsListField).
    """

    def codes_of(field) -> list[str]:
        child = getattr(field, "child", None)
        return sorted(set(field.error_messages) | set(getattr(child, "error_messages", {})))

    def decorate(view):
        fields = {name: codes_of(field) for name, field in serializer_class().fields.items()}
        for name, codes in {**fields, **(extra or {})}.items():
            view = extend_validation_errors(codes, field_name=name, methods=[method])(view)
        return view

    return decorate


X_DATA_SOURCE = OpenApiParameter(
    "X-Data-Source",
    str,
    OpenApiParameter.HEADER,
    enum=["cache", "database", "computed"],
    response=[200],
    description="Where the picks came from: Redis, the stored picks, or computed now.",
)


@document_validation_errors(
    SeedQuerySerializer,
    method="get",
    extra={"non_field_errors": ["invalid", "no_seeds", "too_many_seeds"]},
)
class SeedRecommendationsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[SeedQuerySerializer],
        responses={200: SeedRecommendationsSerializer},
        summary="Recommendations from 1-5 seeds, with tunable attributes",
    )
    def get(self, request):
        query = SeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = selectors.seed_recommendations(**query.validated_data)
        return Response(SeedRecommendationsSerializer(result, context={"request": request}).data)


class GenreSeedsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: GenreSeedsSerializer}, summary="Genres usable as seeds")
    def get(self, request):
        return Response(GenreSeedsSerializer({"genres": selectors.genre_seed_slugs()}).data)


class MyPicksView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={200: PicksSerializer},
        parameters=[X_DATA_SOURCE],
        summary="My personalised picks",
    )
    def get(self, request):
        picks, source = services.user_picks_get_or_compute(user=request.user)
        # Already rendered JSON (cached as bytes), so no serialiser runs on a cache hit.
        return HttpResponse(
            picks.body, content_type="application/json", headers={"X-Data-Source": source}
        )


class MyPicksRefreshView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [PicksRefreshThrottle]

    @extend_schema(
        request=None,
        responses={202: RefreshAcceptedSerializer},
        summary="Recompute my picks in the background",
    )
    def post(self, request):
        task_id = services.user_picks_refresh_enqueue(user=request.user)
        return Response({"task_id": task_id}, status=status.HTTP_202_ACCEPTED)


@document_validation_errors(LimitQuerySerializer, method="get")
class SimilarSongsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[LimitQuerySerializer],
        responses={200: SimilarSongsSerializer, 404: OpenApiResponse(description="No such song")},
        summary="Songs similar to this one",
    )
    def get(self, request, pk: int):
        query = LimitQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        song = selectors.visible_songs().filter(pk=pk).first()
        if song is None:
            raise NotFound("No song matches the given query.")
        similar = selectors.similar_songs(song=song, limit=query.validated_data["limit"])
        data = {"tracks": [{"song": s.song, "score": s.score, "source": s.source} for s in similar]}
        return Response(SimilarSongsSerializer(data, context={"request": request}).data)


@document_validation_errors(TrendingQuerySerializer, method="get")
class TrendingSongsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[TrendingQuerySerializer],
        responses={200: TrendingSerializer},
        summary="Trending songs: recent listening plus chart momentum",
    )
    def get(self, request):
        query = TrendingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        window, genre = query.validated_data["window"], query.validated_data.get("genre")
        scored = selectors.trending_songs(
            window=window,
            genre_id=genre.pk if genre else None,
            limit=query.validated_data["limit"],
        )
        songs = {s.pk: s for s in selectors.songs_for_display(ids=[t.song_id for t in scored])}
        tracks = [
            {"song": songs[t.song_id], "score": t.score, "reason": t.reason}
            for t in scored
            if t.song_id in songs
        ]
        data = {"window": window, "genre": genre.slug if genre else None, "tracks": tracks}
        return Response(TrendingSerializer(data, context={"request": request}).data)


@document_validation_errors(PreferencesSerializer, method="put")
class MyPreferencesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: PreferencesSerializer}, summary="My music preferences")
    def get(self, request):
        return Response(selectors.user_preferences_data(user=request.user))

    @extend_schema(
        request=PreferencesSerializer,
        responses={200: PreferencesSerializer},
        summary="Replace my music preferences",
    )
    def put(self, request):
        data = PreferencesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_preferences_update(user=request.user, **data.validated_data)
        return Response(selectors.user_preferences_data(user=request.user))
