"""Thin HTTP layer: validate the query, run one selector or service, render."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.caching import CatalogCachedReadMixin
from catalog.examples import EXAMPLE_SONG
from catalog.selectors import song_visible_for
from common.api import documents_query_errors, validated_query
from recommendations import selectors, services
from recommendations.caching import PicksCachedReadMixin
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
        description="Like Spotify's: give 1 to 5 seeds in all (`seed_artists`, `seed_genres`,"
        " `seed_tracks`, comma-separated) and tune with `min_`/`max_`/`target_` plus an audio"
        " feature, `popularity` or `duration_ms`. The answer lists each seed with its pool size"
        " before and after filtering, and up to `limit` songs you may see. Anyone may call it;"
        " rate-limited per user (per address when anonymous).",
        examples=[
            OpenApiExample(
                "Two seeds",
                response_only=True,
                status_codes=["200"],
                value={
                    "seeds": [
                        {
                            "id": "synthpop",
                            "type": "genre",
                            "initial_pool_size": 240,
                            "after_filtering_size": 96,
                        },
                        {
                            "id": "4",
                            "type": "artist",
                            "initial_pool_size": 31,
                            "after_filtering_size": 12,
                        },
                    ],
                    "tracks": [EXAMPLE_SONG],
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        query = validated_query(SeedQuerySerializer, request, context={"request": request})
        result = selectors.seed_recommendations(user=request.user, **query)
        return Response(SeedRecommendationsSerializer(result, context={"request": request}).data)


@documents_query_errors(NoQuerySerializer)
class GenreSeedsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: GenreSeedsSerializer},
        summary="Genres usable as seeds",
        description="The slugs usable in `seed_genres`: genres with at least one song you may see.",
    )
    def get(self, request: Request) -> Response:
        validated_query(NoQuerySerializer, request)
        genres = selectors.genre_seed_slugs(user=request.user)
        return Response(GenreSeedsSerializer({"genres": genres}).data)


@documents_query_errors(NoQuerySerializer)
class MyPicksView(PicksCachedReadMixin, APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [RecommendationsFetchThrottle]
    # The whole page is stored for the caller (see recommendations.caching); a page served
    # from there comes from Redis, like the picks cache it was built from.

    @extend_schema(
        responses={200: PicksSerializer},
        parameters=[X_DATA_SOURCE],
        summary="My personalised picks",
        description="Songs picked for you from your listening, likes and preferences, each with"
        " a score and the reason it was picked. Precomputed by a worker and cached; when none"
        " are stored they are computed on the spot (`X-Data-Source` says which)."
        " Rate-limited per user.",
        examples=[
            OpenApiExample(
                "Picks",
                response_only=True,
                status_codes=["200"],
                value={
                    "generated_at": "2026-11-26T06:00:00Z",
                    "tracks": [
                        {
                            "song": EXAMPLE_SONG,
                            "score": 0.83,
                            "reason": "Because you like The Lamps",
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        validated_query(NoQuerySerializer, request)
        picks, source = services.user_picks_get_or_compute(user=request.user)
        data = PicksSerializer(picks, context={"request": request}).data
        return Response(data, headers={"X-Data-Source": source})

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.get("X-Cache") == "hit":
            response["X-Data-Source"] = "cache"
        return response


class MyPicksRefreshView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = [PicksRefreshThrottle]

    @extend_schema(
        request=None,
        responses={202: RefreshAcceptedSerializer},
        summary="Recompute my picks in the background",
        description="Queues a recomputation of your picks; 202 with the task id (503 when the"
        " task queue is down). Rate-limited per user; `GET /recommendations/me/` shows the new"
        " picks once the worker is done.",
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
        description="Songs listened to by the same people (`collaborative`), filled up with"
        " songs that sound alike (`audio_features`) when there is little listening data. Only"
        " songs you may see; 404 for a song you may not see.",
    )
    def get(self, request: Request, pk: int) -> Response:
        query = validated_query(LimitQuerySerializer, request)
        song = song_visible_for(user=request.user, song_id=pk)
        similar = selectors.similar_songs(user=request.user, song=song, limit=query["limit"])
        return Response(
            SimilarSongsSerializer({"tracks": similar}, context={"request": request}).data
        )


@documents_query_errors(TrendingQuerySerializer)
class TrendingSongsView(CatalogCachedReadMixin, APIView):
    permission_classes = [AllowAny]
    # The scores themselves are cached for TRENDING_CACHE_SECONDS (recent listening is not
    # a write that bumps a generation); the page is kept a minute on top of that, and goes
    # at once when the catalog changes (a song hidden leaves trending).
    cache_timeout = 60

    @extend_schema(
        parameters=[TrendingQuerySerializer],
        responses={200: TrendingSerializer},
        summary="Trending songs: recent listening plus chart momentum",
        description="Songs you may see, ranked by unique listeners over the window (repeat"
        " plays damped, flagged plays left out) plus their momentum on the charts; optionally"
        " in one genre. Cached for a few minutes.",
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

    @extend_schema(
        responses={200: PreferencesSerializer},
        summary="My music preferences",
        description="Your favourite genres (slugs), favourite artists (ids) and moods; they seed"
        " your picks.",
    )
    def get(self, request: Request) -> Response:
        validated_query(NoQuerySerializer, request)
        return Response(selectors.user_preferences_data(user=request.user))

    @extend_schema(
        request=PreferencesSerializer,
        responses={200: PreferencesSerializer},
        summary="Replace my music preferences",
        description="Replaces all three lists at once (send an empty list to clear one)."
        " Unknown genres or artists are a 400 naming the list.",
    )
    def put(self, request: Request) -> Response:
        data = PreferencesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_preferences_update(user=request.user, **data.validated_data)
        return Response(selectors.user_preferences_data(user=request.user))
