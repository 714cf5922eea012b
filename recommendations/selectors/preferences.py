"""Listeners' stated preferences and their stored picks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch

from catalog.models import Artist, Genre
from recommendations.models import UserPicks, UserPreferences


@dataclass(frozen=True)
class PreferenceSeeds:
    genres: list[tuple[int, str]]  # (genre id, name)
    artists: list[tuple[int, str]]  # (artist id, name)
    moods: list[str]


def user_preferences_data(*, user: Any) -> dict[str, list[Any]]:
    """``{favorite_genres: [slug], favorite_artists: [id], moods: [str]}``, empty if unset."""
    prefs = (
        UserPreferences.objects.filter(user=user)
        .prefetch_related(
            Prefetch("favorite_genres", queryset=Genre.objects.order_by("slug")),
            Prefetch("favorite_artists", queryset=Artist.objects.order_by("id")),
        )
        .first()
    )
    if prefs is None:
        return {"favorite_genres": [], "favorite_artists": [], "moods": []}
    return {
        "favorite_genres": [g.slug for g in prefs.favorite_genres.all()],
        "favorite_artists": [a.id for a in prefs.favorite_artists.all()],
        "moods": list(prefs.moods),
    }


def preferences_for_users(*, user_ids: Sequence[int]) -> dict[int, PreferenceSeeds]:
    """Stored preferences of many users (users without any are absent)."""
    prefs = UserPreferences.objects.filter(user_id__in=user_ids).prefetch_related(
        Prefetch("favorite_genres", queryset=Genre.objects.only("id", "name")),
        Prefetch("favorite_artists", queryset=Artist.objects.only("id", "name")),
    )
    return {
        p.user_id: PreferenceSeeds(
            genres=[(g.id, g.name) for g in p.favorite_genres.all()],
            artists=[(a.id, a.name) for a in p.favorite_artists.all()],
            moods=list(p.moods),
        )
        for p in prefs
    }


def user_picks_get(*, user: Any) -> UserPicks | None:
    return UserPicks.objects.filter(user=user).first()
