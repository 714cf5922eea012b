"""Thin HTTP layer: validate the query, run one selector or service, render."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.selectors import song_visible_for
from common.api import documents_query_errors, validated_query
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
from recommendations.throttles import PicksRefreshThrottle, RecommendationsFetchThrottle

X_DATA_SOURCE = OpenApiParameter(
    "X-Data-Source",
    str,
    OpenApiParameter.HEADER,
    enum=["cache", "database", "computed"],
    response=[200],
    description="Where the picks came from: Redis, the stored picks, or computed now.",
)

# The query string of an endpoint that takes no parameters: any parameter is a 400.
NoQuerySerializer = serializers.Serializer

# PreferencesSerializer's ItemsListFields report an item's error on the list itself
# ("favorite_genres", not "favorite_genres.0"), with the item's code: the schema lists the
# items' codes under the list's name (drf-standardized-errors documents the rest of the body).
PREFERENCE_ITEM_ERRORS = {
    name: set(field.child.error_messages)
    for name, field in PreferencesSerializer().fields.items()
    if isinstance(field, serializers.ListField)
}


@documents_query_errors(
    SeedQuerySerializer, extra={"non_field_errors": ["no_seeds", "too_many_seeds"]}
)
class SeedRecommendationsView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [RecommendationsFetchThrottle]

    @extend_schema(
        parameters=[SeedQuerySerializer],
        responses={200: SeedRecommendationsSerializer},
        summary="Recommendations from 1-5 seeds, with tunable attributes",
    )
    def get(self, request: Request) -> Response:
        query = validated_query(SeedQuerySerializer, request, context={"request": request})
        result = selectors.seed_recommendations(user=request.user, **query)
        return Response(SeedRecommendationsSerializer(result, context={"request": request}).data)


@documents_query_errors(NoQuerySerializer)
class GenreSeedsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: GenreSeedsSerializer}, summary="Genres usable as seeds")
    def get(self, request: Request) -> Response:
        validated_query(NoQuerySerializer, request)
        genres = selectors.genre_seed_slugs(user=request.user)
        return Response(GenreSeedsSerializer({"genres": genres}).data)


@documents_query_errors(NoQuerySerializer)
class MyPicksView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [RecommendationsFetchThrottle]

    @extend_schema(
        responses={200: PicksSerializer},
        parameters=[X_DATA_SOURCE],
        summary="My personalised picks",
    )
    def get(self, request: Request) -> Response:
        validated_query(NoQuerySerializer, request)
        picks, source = services.user_picks_get_or_compute(user=request.user)
        data = PicksSerializer(picks, context={"request": request}).data
        return Response(data, headers={"X-Data-Source": source})


class MyPicksRefreshView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [PicksRefreshThrottle]

    @extend_schema(
        request=None,
        responses={202: RefreshAcceptedSerializer},
        summary="Recompute my picks in the background",
    )
    def post(self, request: Request) -> Response:
        task_id = services.user_picks_refresh_enqueue(user=request.user)
        return Response({"task_id": task_id}, status=status.HTTP_202_ACCEPTED)


@documents_query_errors(LimitQuerySerializer)
class SimilarSongsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[LimitQuerySerializer],
        responses={200: SimilarSongsSerializer, 404: OpenApiResponse(description="No such song")},
        summary="Songs similar to this one",
    )
    def get(self, request: Request, pk: int) -> Response:
        query = validated_query(LimitQuerySerializer, request)
        song = song_visible_for(user=request.user, song_id=pk)
        similar = selectors.similar_songs(user=request.user, song=song, limit=query["limit"])
        return Response(
            SimilarSongsSerializer({"tracks": similar}, context={"request": request}).data
        )


@documents_query_errors(TrendingQuerySerializer)
class TrendingSongsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[TrendingQuerySerializer],
        responses={200: TrendingSerializer},
        summary="Trending songs: recent listening plus chart momentum",
    )
    def get(self, request: Request) -> Response:
        query = validated_query(TrendingQuerySerializer, request)
        window, genre = query["window"], query.get("genre")
        scored = selectors.trending_songs(
            user=request.user,
            window=window,
            genre_id=genre.pk if genre else None,
            limit=query["limit"],
        )
        data: dict[str, Any] = {
            "window": window,
            "genre": genre.slug if genre else None,
            "tracks": selectors.scored_tracks(user=request.user, items=scored),
        }
        return Response(TrendingSerializer(data, context={"request": request}).data)


@documents_query_errors(NoQuerySerializer)
@documents_query_errors(extra=PREFERENCE_ITEM_ERRORS, methods=("put",))
class MyPreferencesView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: PreferencesSerializer}, summary="My music preferences")
    def get(self, request: Request) -> Response:
        validated_query(NoQuerySerializer, request)
        return Response(selectors.user_preferences_data(user=request.user))

    @extend_schema(
        request=PreferencesSerializer,
        responses={200: PreferencesSerializer},
        summary="Replace my music preferences",
    )
    def put(self, request: Request) -> Response:
        data = PreferencesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_preferences_update(user=request.user, **data.validated_data)
        return Response(selectors.user_preferences_data(user=request.user))
