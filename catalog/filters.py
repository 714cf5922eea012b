"""Query filters for the catalog lists (django-filter), including ranked ``?search=``."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Case, IntegerField, Value, When

from catalog import selectors
from catalog.models import Album, Artist, Song
from common.filters import MAX_ID, IdFilter

MAX_BATCH_IDS = 50


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 9999)
        super().__init__(*args, **kwargs)


class IdListField(forms.Field):
    """``1,2,3``: up to ``MAX_BATCH_IDS`` distinct ids, kept in the order given."""

    default_error_messages = {
        "invalid": f"Give 1 to {MAX_BATCH_IDS} ids: whole numbers separated by commas.",
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        ids: list[int] = []
        for part in str(value).split(","):
            part = part.strip()
            if not part.isascii() or not part.isdigit() or not 1 <= int(part) <= MAX_ID:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            if int(part) not in ids:
                ids.append(int(part))
        if len(ids) > MAX_BATCH_IDS:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return ids


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
    return django_filters.CharFilter(
        method=lambda queryset, name, value: search_function(queryset, query=value),
        max_length=selectors.SEARCH_MAX_LENGTH,
        label="Search (ranked by similarity)",
    )


class ArtistFilter(django_filters.FilterSet):
    genre = django_filters.CharFilter(
        field_name="genres__slug", max_length=64, distinct=True, label="Genre slug"
    )
    search = _search_filter(selectors.artist_search)

    class Meta:
        model = Artist
        fields = ["genre", "search"]


class AlbumFilter(django_filters.FilterSet):
    artist = IdFilter(field_name="artist_id", label="Artist id")
    genre = django_filters.CharFilter(field_name="genre__slug", max_length=64, label="Genre slug")
    year = YearFilter(field_name="year", label="Release year")
    search = _search_filter(selectors.album_search)

    class Meta:
        model = Album
        fields = ["artist", "genre", "year", "search"]


class SongFilter(django_filters.FilterSet):
    title = django_filters.CharFilter(
        field_name="title",
        lookup_expr="icontains",
        max_length=300,
        label="Part of the title (any case)",
    )
    artist = IdFilter(field_name="artist_id", label="Artist id")
    album = IdFilter(field_name="album_id", label="Album id")
    genre = django_filters.CharFilter(field_name="genre__slug", max_length=64, label="Genre slug")
    year = YearFilter(field_name="year", label="Release year")
    search = _search_filter(selectors.song_search)
    ids = IdListFilter(
        label=f"Songs by id, comma-separated (at most {MAX_BATCH_IDS}), in the order given; "
        "those the caller may not see are left out"
    )

    class Meta:
        model = Song
        fields = ["title", "artist", "album", "genre", "year", "search", "ids"]
