"""``GET /users/me/library/albums/``: thin view over ``catalog.library.selectors``."""

from __future__ import annotations

from django.utils.cache import patch_cache_control, patch_vary_headers
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated

from catalog.library import selectors
from catalog.library.serializers import LibraryAlbumSerializer
from catalog.models import Album
from common.api import StrictQueryMixin


def private_response(response):
    """A per-user read: only the caller's own (browser) cache may keep it, and shared caches
    must key it by the token (``Vary: Authorization``)."""
    patch_cache_control(response, private=True, max_age=0)
    patch_vary_headers(response, ["Authorization"])
    return response


class LibraryAlbumsView(StrictQueryMixin, generics.ListAPIView):
    serializer_class = LibraryAlbumSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list = []
    queryset = Album.objects.none()  # for the schema; requests use get_queryset()

    def get_queryset(self):
        return selectors.library_albums(user=self.request.user)

    @extend_schema(
        operation_id="users_me_library_albums_list",
        tags=["library"],
        summary="Albums I liked",
        description=(
            "The albums you liked, the most recent like first, each with `liked_at`. "
            "An album you liked that has since been hidden or made private is left out "
            "(it comes back if it becomes visible again). limit/offset pagination. "
            "Per-user: `Cache-Control: private`, `Vary: Authorization`."
        ),
        examples=[
            OpenApiExample(
                "One liked album",
                response_only=True,
                # One item: drf-spectacular wraps it in the paginated envelope.
                value={
                    "liked_at": "2026-11-20T18:04:11.512Z",
                    "album": {
                        "id": 12,
                        "title": "Night Drive",
                        "artist": {"id": 4, "name": "The Lamps"},
                        "year": 2024,
                        "release_date": "2024-03-01",
                        "genre": "synthpop",
                        "cover_url": None,
                        "is_public": True,
                        "is_visible": True,
                        "song_count": 11,
                    },
                },
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return private_response(super().get(request, *args, **kwargs))
