"""Filters of the staff event list."""

import django_filters

from analytics.models import Action, ListeningEvent
from common.filters import IdFilter


class EventFilter(django_filters.FilterSet):
    user = IdFilter(field_name="user_id", label="User id")
    song = IdFilter(field_name="song_id", label="Song id")
    action = django_filters.ChoiceFilter(choices=Action.choices)
    to = django_filters.IsoDateTimeFilter(
        field_name="occurred_at", lookup_expr="lte", label="Occurred at or before (ISO 8601)"
    )

    class Meta:
        model = ListeningEvent
        fields = ["user", "song", "action", "to"]


# "from" is a Python keyword, so it is added after the class is built.
EventFilter.base_filters["from"] = django_filters.IsoDateTimeFilter(
    field_name="occurred_at", lookup_expr="gte", label="Occurred at or after (ISO 8601)"
)
