"""Query filters for the catalog lists (django-filter), including ranked ``?search=``."""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.db.models import Case, IntegerField, Value, When
from drf_spectacular.utils import extend_schema_field

from catalog import selectors
from catalog.models import Album, Artist, Song
from common.filters import BoundedCharFilter, IdFilter, IntegerFilter

MAX_BATCH_IDS = 50


class YearFilter(IntegerFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 9999)
        super().__init__(*args, **kwargs)


# 1 to MAX_BATCH_IDS ids, each a whole number without leading zeros and at most 18 digits
# (so below PostgreSQL's bigint limit), separated by single commas. The schema says the same.
IDS_PATTERN = rf"^[1-9][0-9]{{0,17}}(,[1-9][0-9]{{0,17}}){{0,{MAX_BATCH_IDS - 1}}}$"


class IdListField(forms.Field):
    """``1,2,3``: up to ``MAX_BATCH_IDS`` ids, kept in the order given (repeats dropped)."""

    default_error_messages = {
        "invalid": f"Give 1 to {MAX_BATCH_IDS} ids: whole numbers separated by commas.",
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not re.fullmatch(IDS_PATTERN, str(value)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return list(dict.fromkeys(int(part) for part in str(value).split(",")))


IDS_DESCRIPTION = (
    f"Songs by id, comma-separated (at most {MAX_BATCH_IDS}), in the order given; "
    "those the caller may not see are left out"
)


@extend_schema_field(
    {"type": "string", "pattern": IDS_PATTERN, "example": "3,1,2", "description": IDS_DESCRIPTION}
)
class IdListFilter(django_filters.Filter):
    """Batch lookup by ids, in the order asked; ids the caller may not see are left out (the
    queryset is already the caller's visible songs)."""

    field_class = IdListField

    def filter(self, qs, value):
        if not value:
            return qs
        order = Case(
            *(When(pk=pk, then=Value(index)) for index, pk in enumerate(value)),
            output_field=IntegerField(),
        )
        return qs.filter(pk__in=value).order_by(order)


def _search_filter(search_function):
    return BoundedCharFilter(
        method=lambda queryset, name, value: search_function(queryset, query=value),
        max_length=selectors.SEARCH_MAX_LENGTH,
        label="Search (ranked by similarity)",
    )


class ArtistFilter(django_filters.FilterSet):
    genre = BoundedCharFilter(
        field_name="genres__slug", max_length=64, distinct=True, label="Genre slug"
    )
    search = _search_filter(selectors.artist_search)

    class Meta:
        model = Artist
        fields = ["genre", "search"]


class AlbumFilter(django_filters.FilterSet):
    artist = IdFilter(field_name="artist_id", label="Artist id")
    genre = BoundedCharFilter(field_name="genre__slug", max_length=64, label="Genre slug")
    year = YearFilter(field_name="year", label="Release year")
    search = _search_filter(selectors.album_search)

    class Meta:
        model = Album
        fields = ["artist", "genre", "year", "search"]


class SongFilter(django_filters.FilterSet):
    title = BoundedCharFilter(
        field_name="title",
        lookup_expr="icontains",
        max_length=300,
        label="Part of the title (any case)",
    )
    artist = IdFilter(field_name="artist_id", label="Artist id")
    album = IdFilter(field_name="album_id", label="Album id")
    genre = BoundedCharFilter(field_name="genre__slug", max_length=64, label="Genre slug")
    year = YearFilter(field_name="year", label="Release year")
    search = _search_filter(selectors.song_search)
    ids = IdListFilter(label=IDS_DESCRIPTION)

    class Meta:
        model = Song
        fields = ["title", "artist", "album", "genre", "year", "search", "ids"]
