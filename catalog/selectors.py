"""Catalog reads: what a caller may see, and the querysets behind every catalog endpoint.

Visibility (DESIGN.md §4): listeners and anonymous callers see public+visible content; the
owning artist also sees its own; editors and admins see everything. A song is public only
if its album (when it has one) is public too, so hiding an album hides its songs.

Other apps reuse the ``*_visibility_q``, ``*_visible_to`` and ``*_visible_for`` functions so
that every endpoint agrees on what a caller may see.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.search import TrigramWordSimilarity
from django.core.cache import cache
from django.db.models import (
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Greatest, RowNumber
from django.http import Http404
from django.utils import timezone

from catalog.attributes import AUDIO_FEATURES
from catalog.models import (
    Album,
    AlbumLike,
    Artist,
    Genre,
    Playlist,
    PlaylistActivity,
    PlaylistExport,
    PlaylistSong,
    Song,
)
from users.models import Role, User
from users.permissions import is_editor_or_admin

SEARCH_MAX_LENGTH = 100
LIKES_CACHE_TTL = 10 * 60


# --- who is asking ------------------------------------------------------------------------


def _is_authenticated(user) -> bool:
    return bool(user is not None and user.is_authenticated)


def sees_everything(user) -> bool:
    """Editors and admins see hidden and private catalog content."""
    return is_editor_or_admin(user)


def _owning_artist_user_id(user) -> int | None:
    """The user id that owns artist profiles, for callers with the artist role."""
    if _is_authenticated(user) and user.role == Role.ARTIST:
        return user.pk
    return None


# --- visibility predicates (usable on related lookups through ``prefix``) ------------------


def album_visibility_q(*, user, prefix: str = "") -> Q:
    """Albums ``user`` may see; ``prefix`` (e.g. ``"album__"``) applies it across a relation.

    An empty ``Q()`` means "everything" (editors and admins).
    """
    if sees_everything(user):
        return Q()
    q = Q(**{f"{prefix}is_public": True, f"{prefix}is_visible": True})
    owner_id = _owning_artist_user_id(user)
    if owner_id is not None:
        q |= Q(**{f"{prefix}artist__user_id": owner_id})
    return q


def song_visibility_q(*, user, prefix: str = "") -> Q:
    """Songs ``user`` may see; ``prefix`` (e.g. ``"song__"``) applies it across a relation."""
    if sees_everything(user):
        return Q()
    p = prefix
    q = Q(**{f"{p}is_public": True, f"{p}is_visible": True}) & (
        Q(**{f"{p}album__isnull": True})
        | Q(**{f"{p}album__is_public": True, f"{p}album__is_visible": True})
    )
    owner_id = _owning_artist_user_id(user)
    if owner_id is not None:
        q |= Q(**{f"{p}artist__user_id": owner_id}) | Q(**{f"{p}album__artist__user_id": owner_id})
    return q


def playlist_visibility_q(*, user, prefix: str = "") -> Q:
    """Playlists ``user`` may see: public ones, their own and those they collaborate on."""
    if sees_everything(user):
        return Q()
    q = Q(**{f"{prefix}is_public": True})
    if _is_authenticated(user):
        collaborating = Playlist.collaborators.through.objects.filter(user_id=user.pk).values(
            "playlist_id"
        )
        q |= Q(**{f"{prefix}owner_id": user.pk}) | Q(**{f"{prefix}pk__in": collaborating})
    return q


def songs_visible_to(*, user) -> QuerySet[Song]:
    """Every song ``user`` may see (no joins declared; add what your endpoint renders)."""
    return Song.objects.filter(song_visibility_q(user=user))


def albums_visible_to(*, user) -> QuerySet[Album]:
    return Album.objects.filter(album_visibility_q(user=user))


def playlists_visible_to(*, user) -> QuerySet[Playlist]:
    return Playlist.objects.filter(playlist_visibility_q(user=user))


def song_visible_for(*, user, song_id: int) -> Song:
    """The song if ``user`` may see it, else ``Http404`` (hidden looks like missing)."""
    song = (
        songs_visible_to(user=user)
        .select_related("artist", "album", "genre")
        .filter(pk=song_id)
        .first()
    )
    if song is None:
        raise Http404("No song matches the given query.")
    return song


def album_visible_for(*, user, album_id: int) -> Album:
    album = (
        albums_visible_to(user=user).select_related("artist", "genre").filter(pk=album_id).first()
    )
    if album is None:
        raise Http404("No album matches the given query.")
    return album


def playlist_visible_for(*, user, playlist_id: int) -> Playlist:
    playlist = playlist_detail_queryset(user=user).filter(pk=playlist_id).first()
    if playlist is None:
        raise Http404("No playlist matches the given query.")
    return playlist


def song_is_visible_to(*, user, song: Song) -> bool:
    return songs_visible_to(user=user).filter(pk=song.pk).exists()


def visible_song_ids(*, user, song_ids) -> set[int]:
    """The subset of ``song_ids`` that ``user`` may see (one query)."""
    return set(
        songs_visible_to(user=user).filter(pk__in=list(song_ids)).values_list("pk", flat=True)
    )


# --- search --------------------------------------------------------------------------------


def _matches(field: str, query: str) -> Q:
    # ILIKE and the word-similarity operator (<%) are both served by the trigram GIN indexes.
    return Q(**{f"{field}__trgm_icontains": query}) | Q(**{f"{field}__trigram_word_similar": query})


def song_search(queryset: QuerySet[Song], *, query: str) -> QuerySet[Song]:
    """Songs whose title, artist name or album title match ``query``, best match first."""
    query = query.strip()[:SEARCH_MAX_LENGTH]
    if not query:
        return queryset
    artist_ids = Artist.objects.filter(_matches("name", query)).values("pk")
    album_ids = Album.objects.filter(_matches("title", query)).values("pk")
    rank = Greatest(
        TrigramWordSimilarity(query, "title"),
        TrigramWordSimilarity(query, "artist__name"),
        Coalesce(TrigramWordSimilarity(query, "album__title"), Value(0.0)),
        output_field=FloatField(),
    )
    # A UNION of three index-backed lookups (title trigram index, songs by artist, songs by
    # album) instead of one OR, which would force a scan of every song.
    matching = (
        Song.objects.filter(_matches("title", query))
        .values("pk")
        .union(
            Song.objects.filter(artist_id__in=artist_ids).values("pk"),
            Song.objects.filter(album_id__in=album_ids).values("pk"),
        )
    )
    return (
        queryset.filter(pk__in=matching)
        .annotate(search_rank=rank)
        .order_by("-search_rank", "-popularity", "id")
    )


def album_search(queryset: QuerySet[Album], *, query: str) -> QuerySet[Album]:
    query = query.strip()[:SEARCH_MAX_LENGTH]
    if not query:
        return queryset
    artist_ids = Artist.objects.filter(_matches("name", query)).values("pk")
    rank = Greatest(
        TrigramWordSimilarity(query, "title"),
        TrigramWordSimilarity(query, "artist__name"),
        output_field=FloatField(),
    )
    return (
        queryset.filter(_matches("title", query) | Q(artist_id__in=artist_ids))
        .annotate(search_rank=rank)
        .order_by("-search_rank", "-year", "id")
    )


def artist_search(queryset: QuerySet[Artist], *, query: str) -> QuerySet[Artist]:
    query = query.strip()[:SEARCH_MAX_LENGTH]
    if not query:
        return queryset
    return (
        queryset.filter(_matches("name", query))
        .annotate(search_rank=TrigramWordSimilarity(query, "name"))
        .order_by("-search_rank", "name", "id")
    )


# --- list and detail querysets (each declares its joins) ------------------------------------


def genre_list() -> QuerySet[Genre]:
    return Genre.objects.order_by("name", "id")


def artist_list() -> QuerySet[Artist]:
    return Artist.objects.prefetch_related(
        Prefetch("genres", queryset=Genre.objects.order_by("slug"))
    ).order_by("name", "id")


def _visible_song_count(*, user, outer_field: str) -> Coalesce:
    counted = (
        Song.objects.filter(song_visibility_q(user=user), **{outer_field: OuterRef("pk")})
        .order_by()
        .values(outer_field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def album_list(*, user) -> QuerySet[Album]:
    """Albums ``user`` may see with artist, genre, the count of songs they may see and
    whether they like it (``liked``, in the same query)."""
    liked: Exists | Value = Value(False)
    if _is_authenticated(user):
        liked = Exists(AlbumLike.objects.filter(user_id=user.pk, album_id=OuterRef("pk")))
    return (
        albums_visible_to(user=user)
        .select_related("artist", "genre")
        .annotate(
            song_count=_visible_song_count(user=user, outer_field="album"),
            liked=liked,
        )
        .order_by("-year", "title", "id")
    )


def album_songs_prefetch(*, user) -> Prefetch:
    songs = (
        songs_visible_to(user=user)
        .select_related("artist", "album", "genre")
        .order_by(F("track_number").asc(nulls_last=True), "title", "id")
    )
    return Prefetch("songs", queryset=songs, to_attr="visible_songs")


def album_detail_queryset(*, user) -> QuerySet[Album]:
    """``album_list`` plus the album's songs the caller may see, in track order."""
    return album_list(user=user).prefetch_related(album_songs_prefetch(user=user))


def song_list(*, user) -> QuerySet[Song]:
    return (
        songs_visible_to(user=user)
        .select_related("artist", "album", "genre")
        .order_by("title", "id")
    )


def _visible_entry_count(*, user) -> Coalesce:
    counted = (
        PlaylistSong.objects.filter(
            song_visibility_q(user=user, prefix="song__"), playlist=OuterRef("pk")
        )
        .order_by()
        .values("playlist")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _with_playlist_joins(queryset: QuerySet[Playlist], *, user) -> QuerySet[Playlist]:
    collaborators = User.objects.only("id", "username").order_by("username", "id")
    return (
        queryset.select_related("owner")
        .prefetch_related(Prefetch("collaborators", queryset=collaborators))
        .annotate(song_count=_visible_entry_count(user=user))
    )


def playlist_list(*, user, public: bool = False) -> QuerySet[Playlist]:
    """``public``: public playlists; otherwise the caller's own and those they collaborate on.

    Anonymous callers have no playlists of their own, so they browse the public ones.
    """
    if public or not _is_authenticated(user):
        base = Playlist.objects.filter(is_public=True)
    else:
        collaborating = Playlist.collaborators.through.objects.filter(user_id=user.pk).values(
            "playlist_id"
        )
        base = Playlist.objects.filter(Q(owner_id=user.pk) | Q(pk__in=collaborating))
    return _with_playlist_joins(base, user=user).order_by("-updated_at", "-id")


def playlist_detail_queryset(*, user) -> QuerySet[Playlist]:
    return _with_playlist_joins(playlists_visible_to(user=user), user=user)


def playlist_is_collaborator(*, playlist: Playlist, user) -> bool:
    if not _is_authenticated(user):
        return False
    cache_ = getattr(playlist, "_prefetched_objects_cache", {})
    if "collaborators" in cache_:
        return any(c.pk == user.pk for c in cache_["collaborators"])
    return playlist.collaborators.filter(pk=user.pk).exists()


def playlist_visible_entries(*, playlist: Playlist, user) -> QuerySet[PlaylistSong]:
    """The entries whose song the caller may see, in stored order (no joins, no positions)."""
    return (
        PlaylistSong.objects.filter(playlist=playlist)
        .filter(song_visibility_q(user=user, prefix="song__"))
        .order_by("position")
    )


_ENTRY_JOINS = ("song__artist", "song__album", "song__genre", "added_by")


def playlist_entries(*, playlist: Playlist, user) -> QuerySet[PlaylistSong]:
    """The playlist's songs in order, leaving out songs the caller may not see.

    ``visible_position`` numbers what the caller sees 0, 1, 2, ... with no gaps: a stored
    position would reveal how many hidden songs come before. The window runs after the
    visibility filter, so slice this queryset (pagination) but do not filter it further;
    ``playlist_entries_by_id`` numbers a few chosen entries.
    """
    return (
        playlist_visible_entries(playlist=playlist, user=user)
        .select_related(*_ENTRY_JOINS)
        .annotate(visible_position=Window(RowNumber(), order_by=F("position").asc()) - 1)
    )


def playlist_entries_by_id(
    *, playlist: Playlist, user, entry_ids: list[int]
) -> QuerySet[PlaylistSong]:
    """Some visible entries, each with its ``visible_position`` (the visible ones before it)."""
    before = (
        playlist_visible_entries(playlist=playlist, user=user)
        .filter(position__lt=OuterRef("position"))
        .order_by()
        .values("playlist")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        playlist_visible_entries(playlist=playlist, user=user)
        .filter(pk__in=entry_ids)
        .select_related(*_ENTRY_JOINS)
        .annotate(visible_position=Coalesce(Subquery(before, output_field=IntegerField()), 0))
    )


# Audiences: callers who see exactly the same songs, so that one playlist event can be rendered
# once per audience rather than once per subscriber (realtime fan-out).
AUDIENCE_EVERYTHING = "all"
AUDIENCE_PUBLIC = "public"


def song_audience(user) -> str:
    """The audience ``user`` belongs to, by the rule of ``song_visibility_q`` (no query):
    ``all`` (editors, admins), ``artist:<user id>`` (an artist account: public songs and its
    own) or ``public`` (listeners and anonymous callers)."""
    if sees_everything(user):
        return AUDIENCE_EVERYTHING
    owner_id = _owning_artist_user_id(user)
    if owner_id is not None:
        return f"artist:{owner_id}"
    return AUDIENCE_PUBLIC


def playlist_song_audiences(*, playlist: Playlist) -> dict[str, Any]:
    """The audiences that see this playlist's songs differently, each with a caller standing
    for it (two queries at most).

    ``{}`` when everyone may see every song in it: then stored positions are everyone's.
    Otherwise ``all`` (None: every entry, at its stored position), ``public`` (an anonymous
    caller) and ``artist:<id>`` for each artist account owning a song here that not everyone
    may see; any other caller sees what ``public`` sees.
    """
    public = playlist_visible_entries(playlist=playlist, user=AnonymousUser())
    owners = list(
        PlaylistSong.objects.filter(playlist=playlist)
        .exclude(pk__in=public.values("pk"))
        .values_list("song__artist__user_id", "song__album__artist__user_id")
    )
    if not owners:
        return {}
    owner_ids = {user_id for pair in owners for user_id in pair if user_id is not None}
    audiences: dict[str, Any] = {AUDIENCE_EVERYTHING: None, AUDIENCE_PUBLIC: AnonymousUser()}
    for artist in User.objects.filter(pk__in=owner_ids, role=Role.ARTIST).order_by("pk"):
        audiences[song_audience(artist)] = artist
    return audiences


def playlist_activities(*, playlist: Playlist, user) -> QuerySet[PlaylistActivity]:
    """The add/remove log, newest first; ``song_visible`` tells whether to show the song."""
    visible = songs_visible_to(user=user).filter(pk=OuterRef("song_id"))
    return (
        PlaylistActivity.objects.filter(playlist=playlist)
        .select_related("user", "song")
        .annotate(song_visible=Exists(visible))
        .order_by("-at", "-id")
    )


# --- likes (cache-aside) ---------------------------------------------------------------------


def album_likes_cache_key(album_id: int) -> str:
    return f"catalog:album:{album_id}:likes"


def album_likes_count(*, album_id: int) -> tuple[int, str]:
    """The album's like count and where it came from: ``"cache"`` or ``"database"``."""
    key = album_likes_cache_key(album_id)
    cached = cache.get(key)
    if cached is not None:
        return int(cached), "cache"
    count = AlbumLike.objects.filter(album_id=album_id).count()
    cache.set(key, count, LIKES_CACHE_TTL)
    return count, "database"


# --- export ----------------------------------------------------------------------------------


def song_export_row(song: Song) -> dict[str, Any]:
    return {
        "id": song.pk,
        "title": song.title,
        "artist": song.artist.name,
        "album": song.album.title if song.album is not None else None,
        "genre": song.genre.slug if song.genre is not None else None,
        "year": song.year,
        "duration_ms": song.duration_ms,
        "isrc": song.isrc,
        "explicit": song.explicit,
        "spotify_id": song.spotify_id,
        "audio_features": {name: getattr(song, name) for name in AUDIO_FEATURES},
    }


def playlist_export_get(*, playlist: Playlist, user, task_id: str) -> PlaylistExport:
    """One of the caller's own exports of this playlist, else 404."""
    export = PlaylistExport.objects.filter(
        playlist=playlist, requested_by_id=getattr(user, "pk", None), task_id=task_id
    ).first()
    if export is None:
        raise Http404("No export matches the given query.")
    return export


def playlist_export_document(*, playlist: Playlist, user) -> dict[str, Any]:
    """The JSON document e-mailed by the export: the playlist and the songs ``user`` sees."""
    entries = playlist_entries(playlist=playlist, user=user)
    return {
        "format": "music_platform.playlist.v1",
        "exported_at": timezone.now().isoformat(),
        "playlist": {
            "id": playlist.pk,
            "name": playlist.name,
            "description": playlist.description,
            "owner": playlist.owner.username,
            "is_public": playlist.is_public,
            "snapshot_id": playlist.snapshot_id,
        },
        "songs": [
            {"position": entry.visible_position, **song_export_row(entry.song)}  # type: ignore[attr-defined]  # annotated
            for entry in entries
        ],
    }
