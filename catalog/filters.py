"""Query filters for the catalog lists (django-filter), including ranked ``?search=``."""

from __future__ import annotations

import django_filters
from django import forms

from catalog import selectors
from catalog.models import Album, Artist, Song
from common.filters import IdFilter


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 9999)
        super().__init__(*args, **kwargs)


def _search_filter(search_function):
    return django_filters.CharFilter(
        method=lambda queryset, name, value: search_function(queryset, query=value),
        max_length=selectors.SEARCH_MAX_LENGTH,
        label="Search (ranked by similarity)",
    )


class ArtistFilter(django_filters.FilterSet):
    genre = django_filters.CharFilter(field_name="genres__slug", max_length=64, distinct=True)
    search = _search_filter(selectors.artist_search)

    class Meta:
        model = Artist
        fields = ["genre", "search"]


class AlbumFilter(django_filters.FilterSet):
    artist = IdFilter(field_name="artist_id")
    genre = django_filters.CharFilter(field_name="genre__slug", max_length=64)
    year = YearFilter(field_name="year")
    search = _search_filter(selectors.album_search)

    class Meta:
        model = Album
        fields = ["artist", "genre", "year", "search"]


class SongFilter(django_filters.FilterSet):
    title = django_filters.CharFilter(field_name="title", lookup_expr="icontains", max_length=300)
    artist = IdFilter(field_name="artist_id")
    album = IdFilter(field_name="album_id")
    genre = django_filters.CharFilter(field_name="genre__slug", max_length=64)
    year = YearFilter(field_name="year")
    search = _search_filter(selectors.song_search)

    class Meta:
        model = Song
        fields = ["title", "artist", "album", "genre", "year", "search"]
