"""Playlist writes: songs in order (locked, snapshot ids, If-Match), collaborators, the
activity log and exports by e-mail."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog import selectors
from catalog.models import (
    Playlist,
    PlaylistActivity,
    PlaylistExport,
    PlaylistSong,
    new_snapshot_id,
)
from common.errors import (
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    field_error,
)
from common.realtime import access_changed, publish
from common.tasks import enqueue_after_commit
from users.models import User
from users.permissions import is_editor_or_admin

logger = logging.getLogger(__name__)

MAX_SONGS_PER_ADD = 100
MAX_PLAYLIST_SONGS = 10_000
STALE_SNAPSHOT = "The playlist has changed since this snapshot_id; read it again."


# --- playlists -----------------------------------------------------------------------------


def snapshot_matches(current: str, if_match: str | None) -> bool:
    """RFC 9110 If-Match against a snapshot id: ``*``, quoted, weak or bare tags."""
    if if_match is None or not if_match.strip():
        return True
    for tag in if_match.split(","):
        tag = tag.strip()
        if tag == "*":
            return True
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag.strip('"') == current:
            return True
    return False


def _lock(playlist: Playlist, if_match: str | None) -> Playlist:
    """Lock the row (edits of one playlist run one at a time) and check the snapshot."""
    locked = Playlist.objects.select_for_update().get(pk=playlist.pk)
    if not snapshot_matches(locked.snapshot_id, if_match):
        raise PreconditionFailed(STALE_SNAPSHOT)
    return locked


def _touch(playlist: Playlist) -> None:
    playlist.snapshot_id = new_snapshot_id()
    playlist.save(update_fields=["snapshot_id", "updated_at"])


# --- realtime events (DESIGN.md §4): published after commit on ``playlist:<id>`` ------------


# Positions in events are counted over what each subscriber may see, as the API counts them
# (``selectors.playlist_entries_by_id``): a stored position would tell a subscriber how many
# songs it may not see come before. Each event is rendered once per audience
# (``selectors.playlist_song_audiences``); an audience that may not see the song gets none.


def _entry_event(entry: PlaylistSong, position: int) -> dict[str, Any]:
    song, by = entry.song, entry.added_by
    return {
        "position": position,
        "song": {
            "id": song.pk,
            "title": song.title,
            "artist": {"id": song.artist_id, "name": song.artist.name},
            "album": {"id": song.album_id, "title": song.album.title} if song.album else None,
            "duration_ms": song.duration_ms,
            "explicit": song.explicit,
        },
        "added_by": {"id": by.pk, "username": by.username} if by else None,
        "added_at": entry.added_at.isoformat(),
    }


def _positioned_entries(
    playlist: Playlist, audiences: dict[str, Any], entry_ids: list[int]
) -> dict[str, list[tuple[PlaylistSong, int]]]:
    """For each audience (``{}``: the one of everyone), the entries among ``entry_ids`` it may
    see, in order, each with its position as that audience's API shows it."""
    result: dict[str, list[tuple[PlaylistSong, int]]] = {}
    for audience, viewer in (audiences or {selectors.AUDIENCE_EVERYTHING: None}).items():
        if viewer is None:  # sees every entry: stored positions are its own
            entries = PlaylistSong.objects.filter(pk__in=entry_ids).select_related(
                "song__artist", "song__album", "added_by"
            )
            result[audience] = [(e, e.position) for e in entries.order_by("position")]
        else:
            entries = selectors.playlist_entries_by_id(
                playlist=playlist, user=viewer, entry_ids=entry_ids
            )
            result[audience] = [
                (e, e.visible_position)  # type: ignore[attr-defined]  # annotated
                for e in entries.order_by("position")
            ]
    return result


def _entry_positions(
    playlist: Playlist, audiences: dict[str, Any], entry: PlaylistSong
) -> dict[str, int | None]:
    """Where each audience sees ``entry`` now (None: it may not see it)."""
    if not audiences:  # everyone sees every song: the stored position, no query
        return {selectors.AUDIENCE_EVERYTHING: entry.position}
    return {
        audience: entries[0][1] if entries else None
        for audience, entries in _positioned_entries(playlist, audiences, [entry.pk]).items()
    }


def _publish_song_event(
    playlist: Playlist, event: str, variants: dict[str, dict[str, Any] | None]
) -> None:
    """Publish ``event`` with each audience's own data (None: that audience gets nothing).

    With one audience (everyone sees every song), one message for all; otherwise the data for
    ``public`` is the default and the others ride along for the realtime process to pick.
    """
    channel = f"playlist:{playlist.pk}"
    stamp = {"snapshot_id": playlist.snapshot_id}
    shaped = {a: None if data is None else {**stamp, **data} for a, data in variants.items()}
    if list(shaped) == [selectors.AUDIENCE_EVERYTHING]:
        data = shaped[selectors.AUDIENCE_EVERYTHING]
        if data is not None:
            publish(channel, event, data)
        return
    default = shaped.pop(selectors.AUDIENCE_PUBLIC)
    publish(channel, event, default, audiences=shaped)


def _is_collaborator(playlist: Playlist, user) -> bool:
    return Playlist.collaborators.through.objects.filter(
        playlist_id=playlist.pk, user_id=user.pk
    ).exists()


def user_can_edit_playlist_songs(*, user, playlist: Playlist) -> bool:
    if not (user and user.is_authenticated):
        return False
    return playlist.owner_id == user.pk or _is_collaborator(playlist, user)


def _require_song_editor(user, playlist: Playlist) -> None:
    if not user_can_edit_playlist_songs(user=user, playlist=playlist):
        raise PermissionDenied("Only the owner and collaborators may change the songs.")


def _require_owner_or_staff(user, playlist: Playlist) -> None:
    if playlist.owner_id != user.pk and not is_editor_or_admin(user):
        raise PermissionDenied("Only the playlist's owner may change it.")


@transaction.atomic
def playlist_create(*, owner: User, name: str, description: str = "", is_public: bool = False):
    return Playlist.objects.create(
        owner=owner, name=name, description=description, is_public=is_public
    )


@transaction.atomic
def playlist_update(
    *, user, playlist: Playlist, data: Mapping[str, Any], if_match: str | None = None
) -> Playlist:
    _require_owner_or_staff(user, playlist)
    locked = _lock(playlist, if_match)
    was_public = locked.is_public
    for field, value in data.items():
        setattr(locked, field, value)
    locked.snapshot_id = new_snapshot_id()
    locked.save()
    if was_public and not locked.is_public:
        access_changed(f"playlist:{locked.pk}")  # listeners who may not see it now drop off
    fields = {f: getattr(locked, f) for f in ("name", "description", "is_public")}
    publish(f"playlist:{locked.pk}", "updated", {"snapshot_id": locked.snapshot_id, **fields})
    return locked


@transaction.atomic
def playlist_delete(*, user, playlist: Playlist, if_match: str | None = None) -> None:
    _require_owner_or_staff(user, playlist)
    pk = playlist.pk
    _lock(playlist, if_match).delete()
    access_changed(f"playlist:{pk}")  # every subscriber finds it gone: unsubscribed


@transaction.atomic
def playlist_add_songs(
    *,
    user,
    playlist: Playlist,
    song_ids: list[int],
    position: int | None = None,
    if_match: str | None = None,
) -> tuple[Playlist, list[PlaylistSong]]:
    """Insert songs at ``position`` (default: the end), keeping positions contiguous.

    Only songs the caller may see can be added, each at most once per playlist; at most
    ``MAX_SONGS_PER_ADD`` per call and ``MAX_PLAYLIST_SONGS`` per playlist.
    """
    _require_song_editor(user, playlist)
    playlist = _lock(playlist, if_match)
    if not song_ids:
        raise field_error("song_ids", "Give at least one song.", "required")
    if len(song_ids) > MAX_SONGS_PER_ADD:
        raise field_error(
            "song_ids", f"At most {MAX_SONGS_PER_ADD} songs per request.", "max_length"
        )
    if len(set(song_ids)) != len(song_ids):
        raise field_error("song_ids", "A song is listed more than once.", "duplicate")
    unknown = set(song_ids) - selectors.visible_song_ids(user=user, song_ids=song_ids)
    if unknown:
        raise field_error(
            "song_ids", f"Unknown song id(s): {', '.join(map(str, sorted(unknown)))}.", "not_found"
        )
    entries = PlaylistSong.objects.filter(playlist=playlist)
    present = set(entries.filter(song_id__in=song_ids).values_list("song_id", flat=True))
    if present:
        raise field_error(
            "song_ids",
            f"Already in this playlist: {', '.join(map(str, sorted(present)))}.",
            "already_present",
        )
    count = entries.count()
    if count + len(song_ids) > MAX_PLAYLIST_SONGS:
        # No count in the message: it would include songs the caller may not see.
        raise field_error(
            "song_ids", f"A playlist holds at most {MAX_PLAYLIST_SONGS} songs.", "playlist_full"
        )
    position = _stored_insert_position(playlist, user, position, count)
    if position < count:
        # The (playlist, position) constraint is deferred, so shifting in place is safe.
        entries.filter(position__gte=position).update(position=F("position") + len(song_ids))
    created = PlaylistSong.objects.bulk_create(
        [
            PlaylistSong(playlist=playlist, song_id=song_id, position=position + i, added_by=user)
            for i, song_id in enumerate(song_ids)
        ]
    )
    PlaylistActivity.objects.bulk_create(
        [
            PlaylistActivity(
                playlist=playlist, user=user, song_id=song_id, action=PlaylistActivity.Action.ADD
            )
            for song_id in song_ids
        ]
    )
    _touch(playlist)
    audiences = selectors.playlist_song_audiences(playlist=playlist)
    seen = _positioned_entries(playlist, audiences, [e.pk for e in created])
    _publish_song_event(
        playlist,
        "song_added",
        {
            audience: {"entries": [_entry_event(e, at) for e, at in entries]} if entries else None
            for audience, entries in seen.items()
        },
    )
    return playlist, created


# Callers give positions over the songs they may see (``selectors.playlist_entries``); the
# stored positions run over every song. These map one onto the other without revealing how
# many hidden songs there are or where (an out-of-range error names the visible count only).


def _stored_insert_position(playlist: Playlist, user, position: int | None, count: int) -> int:
    """Where to insert so the new songs start at visible ``position`` (None: the very end)."""
    if position is None:
        return count
    visible = selectors.playlist_visible_entries(playlist=playlist, user=user)
    visible_count = visible.count()
    if position > visible_count:
        raise field_error("position", f"Must be between 0 and {visible_count}.", "max_value")
    if position == visible_count:
        return count
    return visible.values_list("position", flat=True)[position]


def _visible_entry(playlist: Playlist, user, song_id: int) -> PlaylistSong:
    entry = (
        selectors.playlist_visible_entries(playlist=playlist, user=user)
        .filter(song_id=song_id)
        .first()
    )
    if entry is None:
        raise NotFound("This song is not in the playlist.")
    return entry


@transaction.atomic
def playlist_move_song(
    *, user, playlist: Playlist, song_id: int, position: int, if_match: str | None = None
) -> tuple[Playlist, PlaylistSong]:
    _require_song_editor(user, playlist)
    playlist = _lock(playlist, if_match)
    entry = _visible_entry(playlist, user, song_id)
    old = entry.position
    # The other songs the caller sees, in order: the entry goes before the one at
    # ``position`` in that list, or right after the last one.
    others_visible = selectors.playlist_visible_entries(playlist=playlist, user=user).exclude(
        pk=entry.pk
    )
    visible_count = others_visible.count() + 1
    if position >= visible_count:
        raise field_error("position", f"Must be between 0 and {visible_count - 1}.", "max_value")
    if position == others_visible.filter(position__lt=old).count():
        return playlist, entry  # already there for this caller: nothing to change
    if position < visible_count - 1:
        anchor = others_visible.values_list("position", flat=True)[position]
        # Its index once the entry is taken out is where the entry goes.
        new = anchor if anchor < old else anchor - 1
    else:
        last = others_visible.values_list("position", flat=True).last()
        new = old if last is None else (last if last < old else last - 1) + 1
    if new == old:
        return playlist, entry
    position = new
    audiences = selectors.playlist_song_audiences(playlist=playlist)
    seen_from = _entry_positions(playlist, audiences, entry)
    others = PlaylistSong.objects.filter(playlist=playlist)
    if position < old:
        others.filter(position__gte=position, position__lt=old).update(position=F("position") + 1)
    else:
        others.filter(position__gt=old, position__lte=position).update(position=F("position") - 1)
    entry.position = position
    entry.save(update_fields=["position"])
    _touch(playlist)
    seen_at = _entry_positions(playlist, audiences, entry)
    # An audience that may not see the song, or sees it where it was, sees nothing move.
    _publish_song_event(
        playlist,
        "song_moved",
        {
            audience: {"song_id": song_id, "from": at_from, "position": seen_at[audience]}
            if at_from is not None and at_from != seen_at[audience]
            else None
            for audience, at_from in seen_from.items()
        },
    )
    return playlist, entry


@transaction.atomic
def playlist_remove_song(
    *, user, playlist: Playlist, song_id: int, if_match: str | None = None
) -> Playlist:
    _require_song_editor(user, playlist)
    playlist = _lock(playlist, if_match)
    entry = _visible_entry(playlist, user, song_id)
    removed_at = entry.position
    audiences = selectors.playlist_song_audiences(playlist=playlist)
    seen_at = _entry_positions(playlist, audiences, entry)
    entry.delete()
    PlaylistSong.objects.filter(playlist=playlist, position__gt=removed_at).update(
        position=F("position") - 1
    )
    PlaylistActivity.objects.create(
        playlist=playlist, user=user, song_id=song_id, action=PlaylistActivity.Action.REMOVE
    )
    _touch(playlist)
    _publish_song_event(
        playlist,
        "song_removed",
        {
            audience: None if at is None else {"song_id": song_id, "position": at}
            for audience, at in seen_at.items()
        },
    )
    return playlist


def _require_owner(user, playlist: Playlist) -> None:
    if playlist.owner_id != user.pk:
        raise PermissionDenied("Only the playlist's owner manages collaborators.")


def require_playlist_member(*, user, playlist: Playlist) -> None:
    """The owner, collaborators and staff; others who can see a public playlist get 403."""
    if is_editor_or_admin(user) or user_can_edit_playlist_songs(user=user, playlist=playlist):
        return
    raise PermissionDenied("Only the owner and collaborators see the activity log.")


@transaction.atomic
def playlist_add_collaborator(*, user, playlist: Playlist, collaborator_id: int) -> bool:
    """Owner only. Adding an existing collaborator again changes nothing (returns False)."""
    _require_owner(user, playlist)
    # A blocked account cannot be given access to anything (it looks like no account).
    collaborator = User.objects.filter(pk=collaborator_id, is_active=True, is_blocked=False).first()
    if collaborator is None:
        raise field_error("user_id", "No such user.", "does_not_exist")
    if collaborator.pk == playlist.owner_id:
        raise field_error("user_id", "The owner cannot be a collaborator.", "is_owner")
    if _is_collaborator(playlist, collaborator):
        return False
    playlist.collaborators.add(collaborator)
    _touch(playlist)  # the representation changed: a new snapshot_id, so a new ETag
    return True


@transaction.atomic
def playlist_remove_collaborator(*, user, playlist: Playlist, collaborator_id: int) -> Playlist:
    """The owner removes anyone; a collaborator may remove (only) themself."""
    if collaborator_id != user.pk:
        _require_owner(user, playlist)
    through = Playlist.collaborators.through.objects.filter(
        playlist_id=playlist.pk, user_id=collaborator_id
    )
    if not through.exists():
        raise NotFound("This user is not a collaborator.")
    through.delete()
    _touch(playlist)  # the representation changed: a new snapshot_id, so a new ETag
    # That user's sockets re-check at once and stop receiving a playlist they may not see.
    access_changed(f"playlist:{playlist.pk}", users=[collaborator_id])
    return playlist


def playlist_export_request(*, user, playlist: Playlist, target_email: str | None = None) -> str:
    """Record an export and queue its e-mail after commit; return the task id.

    Exports go to the account's own address only: a sender-chosen recipient with a
    sender-chosen subject (the playlist name) would make the platform an open relay.
    """
    own = (user.email or "").strip()
    if not own:
        raise field_error("target_email", "Your account has no e-mail address.", "no_address")
    if target_email and target_email.strip().lower() != own.lower():
        raise field_error(
            "target_email", "Exports go to your account's own e-mail address.", "not_your_address"
        )
    task_id = str(uuid.uuid4())
    export = PlaylistExport.objects.create(
        task_id=task_id, playlist=playlist, requested_by=user, target_email=own
    )
    return enqueue_after_commit(
        "catalog.playlist_export",
        kwargs={"export_id": task_id},
        task_id=task_id,
        on_failure=lambda: _export_finish(export.pk, PlaylistExport.Status.FAILED, "queue down"),
    )


def _export_finish(pk: int, status: str, detail: str = "") -> None:
    PlaylistExport.objects.filter(pk=pk).update(
        status=status, detail=detail[:200], finished_at=timezone.now()
    )


def playlist_export_send(*, export_id: str) -> str:
    """Send one recorded export; safe to run twice, or again after a crash.

    The row is locked and its status checked and written in the same transaction as the
    e-mail: a second run of the same export waits for the first and then finds it done; a
    run killed mid-send leaves it ``queued`` for the redelivered task. Re-reads everything:
    if the playlist is gone or the requester may no longer see it, nothing is sent. Returns
    the export's final status (``sent``, ``skipped``), or ``missing`` for an unknown id.
    """
    with transaction.atomic():
        export = (
            PlaylistExport.objects.select_for_update(of=("self",))
            .select_related("playlist__owner", "requested_by")
            .filter(task_id=export_id)
            .first()
        )
        if export is None:
            return "missing"
        if export.status != PlaylistExport.Status.QUEUED:
            return export.status
        user, playlist = export.requested_by, export.playlist
        reason = ""
        if playlist is None:
            reason = "the playlist was deleted"
        elif not user.is_active or user.is_blocked:
            reason = "the account is not active"
        elif not selectors.playlists_visible_to(user=user).filter(pk=playlist.pk).exists():
            reason = "the playlist is no longer visible to you"
        if reason:
            _export_finish(export.pk, PlaylistExport.Status.SKIPPED, reason)
            return PlaylistExport.Status.SKIPPED
        assert playlist is not None
        _export_message(playlist=playlist, user=user, target_email=export.target_email).send(
            fail_silently=False
        )
        _export_finish(export.pk, PlaylistExport.Status.SENT)
        publish(
            f"user:{user.pk}",
            "export_sent",
            {"export_id": export.task_id, "playlist_id": playlist.pk, "name": playlist.name},
        )
    return PlaylistExport.Status.SENT


def playlist_export_fail(*, export_id: str, reason: str) -> None:
    """Mark an export failed for good (the task gave up: a permanent SMTP error or no more
    retries), so its reader does not wait for it."""
    PlaylistExport.objects.filter(task_id=export_id, status=PlaylistExport.Status.QUEUED).update(
        status=PlaylistExport.Status.FAILED, detail=reason[:200], finished_at=timezone.now()
    )


def _export_message(*, playlist: Playlist, user, target_email: str) -> EmailMessage:
    document = selectors.playlist_export_document(playlist=playlist, user=user)
    name = " ".join(playlist.name.split())  # no line breaks in a header
    message = EmailMessage(
        subject=f"Your playlist export: {name}"[:200],
        body=(
            f'Attached is the playlist "{name}" with {len(document["songs"])} songs '
            "as a JSON document.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[target_email],
    )
    message.attach(
        f"playlist-{playlist.pk}.json",
        json.dumps(document, indent=2, ensure_ascii=False),
        "application/json",
    )
    return message
