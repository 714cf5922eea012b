"""Output shapes of the library."""

from __future__ import annotations

from rest_framework import serializers

from catalog.serializers import AlbumSerializer


class LibraryAlbumSerializer(serializers.Serializer):
    """One liked album: when I liked it and the album as the album list shows it."""

    liked_at = serializers.DateTimeField(help_text="When you liked the album.")
    album = AlbumSerializer(source="*", read_only=True)
