"""Audio writes: upload, delete, re-process, and the processing run the worker performs.

States (``Song.audio_status``): none -> processing -> ready | failed; a new upload or a
re-run goes back to processing. Each run has its own ``generation`` (a random folder), and
its renditions replace the previous ones in one transaction, so the API never offers a mix
of two runs and a run killed part-way leaves nothing that is served.

Races settled here, all under a lock on the ``SongAudio`` row:
- an upload arrives while an older run is still encoding: the older run finds its
  generation replaced when it finishes, and removes its own folder instead of publishing;
- the audio is deleted while a run is encoding: the same (there is no row to publish to).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from catalog.audio import files
from catalog.audio.probe import AudioRejected, ProbeResult, probe
from catalog.audio.transcode import HIGH_ONLY_ABOVE, TranscodeError, TranscodeResult, transcode
from catalog.caching import catalog_changed
from catalog.models import AudioStatus, Song, SongAudio, SongAudioRendition
from common.errors import PayloadTooLarge, PermissionDenied, ValidationFailed
from common.realtime import publish
from common.tasks import enqueue_after_commit

logger = logging.getLogger(__name__)

PROCESS_TASK = "catalog.audio_process"
MIN_SECONDS = 1.0
MAX_REASON_LENGTH = 1000


def user_can_change_audio(*, user, song: Song) -> bool:
    """The song's own artist, editors and admins (the catalog's rule for editing a song)."""
    from catalog.services import user_can_edit_artist

    return user_can_edit_artist(user=user, artist=song.artist)


def _require_audio_editor(user, song: Song) -> None:
    if not user_can_change_audio(user=user, song=song):
        raise PermissionDenied("Only the song's artist, editors and admins may change its audio.")


@contextlib.contextmanager
def _local_upload(upload: UploadedFile) -> Iterator[str]:
    """A path to the upload: Django's temporary file, or a copy of a small in-memory one."""
    if hasattr(upload, "temporary_file_path"):
        yield upload.temporary_file_path()
        return
    with tempfile.NamedTemporaryFile(suffix=".upload") as copy:
        upload.seek(0)
        shutil.copyfileobj(upload, copy)
        copy.flush()
        yield copy.name


QUEUE_DOWN_REASON = (
    "Processing could not be queued (the task queue was unavailable). "
    "Upload the file again, or ask staff to re-process it."
)


def _enqueue(audio: SongAudio, on_failure: Callable[[], None]) -> str:
    """Queue the run of ``audio.generation`` at commit; ``on_failure`` runs (after the
    commit) when the broker cannot take it, so the song is never left "processing" with no
    task to finish it."""
    task_id = enqueue_after_commit(
        PROCESS_TASK,
        kwargs={"song_id": audio.song_id, "generation": audio.generation},
        on_failure=on_failure,
    )
    audio.task_id = task_id
    audio.save(update_fields=["task_id"])
    return task_id


def _fail_unqueued(song_id: int, generation: str) -> Callable[[], None]:
    """A new upload whose run could not be queued: failed, with the reason. Its original is
    kept, so a staff re-process (or a new upload) can still make it."""

    def fail() -> None:
        song_audio_fail(song_id=song_id, generation=generation, reason=QUEUE_DOWN_REASON)

    return fail


@dataclass(frozen=True)
class _Before:
    """What a re-process changes, to put back when its run cannot be queued."""

    generation: str
    task_id: str
    status: str
    failure_reason: str
    loudness_lufs: float | None
    replay_gain_db: float | None
    waveform: list[float] | None
    processed_at: datetime | None


@transaction.atomic
def _restore_unqueued(song_id: int, generation: str, before: _Before) -> None:
    """A re-process whose run could not be queued: back to the state before it (a ready
    song stays ready with its renditions)."""
    audio = _current(song_id, generation, lock=True)
    if audio is None:  # replaced or deleted meanwhile: nothing of ours to undo
        return
    audio.generation, audio.task_id = before.generation, before.task_id
    audio.failure_reason = before.failure_reason
    audio.loudness_lufs, audio.replay_gain_db = before.loudness_lufs, before.replay_gain_db
    audio.waveform, audio.processed_at = before.waveform, before.processed_at
    audio.save()
    _set_song_status(song_id, before.status)


def _live_generations(audio: SongAudio) -> set[str]:
    return set(audio.renditions.values_list("generation", flat=True))


def _start_generation(audio: SongAudio) -> list[str]:
    """Give ``audio`` a fresh generation; return the storage folder of the one it replaces
    when that one is not being served (a run that never finished)."""
    stale = []
    if audio.pk is not None and audio.generation not in _live_generations(audio):
        stale.append(files.generation_prefix(audio.song_id, audio.generation))
    audio.generation = files.new_token()
    audio.failure_reason = ""
    audio.loudness_lufs = audio.replay_gain_db = audio.waveform = audio.processed_at = None
    return stale


def _notify(audio: SongAudio, event: str, data: dict) -> None:
    """Tell the uploader's open apps (``user:me`` on the realtime socket), after commit."""
    if audio.uploaded_by_id is not None:
        publish(f"user:{audio.uploaded_by_id}", event, data)


def _set_song_status(song_id: int, status: str, **fields) -> None:
    Song.objects.filter(pk=song_id).update(audio_status=status, updated_at=timezone.now(), **fields)
    catalog_changed()  # the song's cached representations show its audio status


# --- upload, delete, re-process -------------------------------------------------------------


def song_audio_upload(*, user, song: Song, upload: UploadedFile, enqueue: bool = True) -> str:
    """Check an upload by decoding it, store it and queue its processing; return the task id
    (``enqueue=False``: no task, for callers that process at once, like the demo).

    Refusals are 400s on the ``audio`` field (codes: invalid_audio, no_audio_stream,
    too_short, too_long, decode_error) or a 413; nothing is stored when one is raised.
    """
    _require_audio_editor(user, song)
    size = upload.size or 0
    if size > settings.AUDIO_MAX_BYTES:
        raise PayloadTooLarge(f"An audio file may be at most {settings.AUDIO_MAX_BYTES} bytes.")
    with _local_upload(upload) as path:
        try:
            result = probe(
                path,
                file_size=size,
                min_seconds=MIN_SECONDS,
                max_seconds=settings.AUDIO_MAX_SECONDS,
            )
        except AudioRejected as exc:
            raise ValidationFailed(exc.detail, code=exc.code, attr="audio") from exc
    upload.seek(0)
    original = files.save_original(song.pk, result.extension, upload)
    committed = []
    try:
        with transaction.atomic():
            # Registered first, so it runs before the enqueue that may raise after commit.
            transaction.on_commit(lambda: committed.append(True))
            return _record_upload(
                user=user, song=song, result=result, original=original, size=size, enqueue=enqueue
            )
    except BaseException:
        if not committed:  # rolled back: the stored file belongs to nothing
            files.delete_quietly(names=[original])
        raise


def _record_upload(
    *, user, song: Song, result: ProbeResult, original: str, size: int, enqueue: bool
) -> str:
    audio = SongAudio.objects.select_for_update().filter(song_id=song.pk).first()
    stale_names = []
    if audio is None:
        audio = SongAudio(song_id=song.pk)
    else:
        stale_names.append(audio.original)
    stale_prefixes = _start_generation(audio)
    audio.original = original
    audio.original_format = result.format
    audio.original_size = size
    audio.codec = result.codec
    audio.sample_rate = result.sample_rate
    audio.channels = result.channels
    audio.source_bit_rate = result.source_bit_rate
    audio.duration_ms = result.duration_ms
    audio.uploaded_by = user
    audio.uploaded_at = timezone.now()
    audio.save()
    _set_song_status(song.pk, AudioStatus.PROCESSING, duration_ms=result.duration_ms)
    transaction.on_commit(lambda: files.delete_quietly(prefixes=stale_prefixes, names=stale_names))
    return _enqueue(audio, _fail_unqueued(song.pk, audio.generation)) if enqueue else ""


@transaction.atomic
def song_audio_delete(*, user, song: Song) -> None:
    """Remove the song's audio and (after commit) every file of it; idempotent."""
    _require_audio_editor(user, song)
    # The post_delete receiver of SongAudio removes the files once this commits.
    SongAudio.objects.filter(song_id=song.pk).delete()
    _set_song_status(song.pk, AudioStatus.NONE)


@transaction.atomic
def song_audio_reprocess(*, song_id: int) -> str | None:
    """Run processing again from the stored original (staff action); None without audio."""
    audio = SongAudio.objects.select_for_update().filter(song_id=song_id).first()
    if audio is None:
        return None
    live = _live_generations(audio)
    before = _Before(
        generation=audio.generation,
        task_id=audio.task_id,
        status=Song.objects.values_list("audio_status", flat=True).get(pk=song_id),
        failure_reason=audio.failure_reason,
        loudness_lufs=audio.loudness_lufs,
        replay_gain_db=audio.replay_gain_db,
        waveform=audio.waveform,
        processed_at=audio.processed_at,
    )
    stale_prefixes = _start_generation(audio)
    audio.save()
    _set_song_status(song_id, AudioStatus.PROCESSING)
    transaction.on_commit(lambda: files.delete_quietly(prefixes=stale_prefixes))
    generation = audio.generation
    if before.generation in live:  # the served renditions: put them back if not queued

        def on_failure() -> None:
            _restore_unqueued(song_id, generation, before)

    else:  # nothing served to go back to (a failed or unfinished run)
        on_failure = _fail_unqueued(song_id, generation)
    return _enqueue(audio, on_failure)


# --- the processing run (called by the catalog.audio_process task) --------------------------


def _current(song_id: int, generation: str, *, lock: bool = False) -> SongAudio | None:
    """The song's audio if ``generation`` is still the one to make, else None."""
    queryset = SongAudio.objects.select_for_update() if lock else SongAudio.objects
    audio = queryset.filter(song_id=song_id).first()
    return audio if audio is not None and audio.generation == generation else None


def _discard(song_id: int, generation: str) -> str:
    files.delete_tree(files.generation_prefix(song_id, generation))
    return "obsolete"


def song_audio_process(*, song_id: int, generation: str, processes: int | None = None) -> str:
    """Make every rendition of ``generation``; returns ready, failed, obsolete or done.

    Safe to run twice and after a kill: a finished generation is left alone, and an
    unfinished one starts again from an empty folder.
    """
    audio = _current(song_id, generation)
    if audio is None:
        return _discard(song_id, generation)
    if SongAudioRendition.objects.filter(audio=audio, generation=generation).exists():
        return "done"
    prefix = files.generation_prefix(song_id, generation)
    files.delete_tree(prefix)  # what an interrupted run of this generation left
    include_high = audio.source_bit_rate is None or audio.source_bit_rate > HIGH_ONLY_ABOVE
    work = Path(tempfile.mkdtemp(prefix="audio-"))
    try:
        try:
            with files.local_copy(audio.original) as source:
                result = transcode(
                    source,
                    work,
                    expected_ms=audio.duration_ms,
                    include_high=include_high,
                    processes=processes or settings.AUDIO_ENCODER_PROCESSES,
                )
        except TranscodeError as exc:
            return song_audio_fail(
                song_id=song_id, generation=generation, reason=f"The audio cannot be decoded: {exc}"
            )
        except FileNotFoundError:
            if _current(song_id, generation) is None:  # replaced or deleted meanwhile
                return _discard(song_id, generation)
            raise
        files.upload_folder(work, prefix)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _publish(song_id, generation, result)


@transaction.atomic
def _publish(song_id: int, generation: str, result: TranscodeResult) -> str:
    audio = _current(song_id, generation, lock=True)
    if audio is None:
        prefix = files.generation_prefix(song_id, generation)
        transaction.on_commit(lambda: files.delete_quietly(prefixes=[prefix]))
        return "obsolete"
    prefix = files.generation_prefix(song_id, generation)
    missing = [
        r.quality
        for r in result.renditions
        if not default_storage.exists(f"{prefix}/{r.folder}/{r.entry}")
    ]
    if missing:  # never mark a song ready with a rendition that is not there
        raise OSError(f"renditions missing from the storage after upload: {missing}")
    replaced = _live_generations(audio) - {generation}
    audio.renditions.all().delete()
    SongAudioRendition.objects.bulk_create(
        SongAudioRendition(
            audio=audio,
            quality=r.quality,
            generation=generation,
            folder=f"{prefix}/{r.folder}",
            entry=r.entry,
            codec=r.codec,
            bit_rate=r.bit_rate,
            size_bytes=r.size_bytes,
        )
        for r in result.renditions
    )
    audio.loudness_lufs = min(max(result.loudness_lufs, -70.0), 5.0)
    audio.replay_gain_db = result.replay_gain_db
    audio.waveform = result.waveform
    audio.failure_reason = ""
    audio.processed_at = timezone.now()
    audio.save()
    _set_song_status(song_id, AudioStatus.READY)
    _notify(audio, "audio_ready", {"song_id": song_id, "duration_ms": audio.duration_ms})
    old = [files.generation_prefix(song_id, g) for g in replaced]
    transaction.on_commit(lambda: files.delete_quietly(prefixes=old))
    return "ready"


@transaction.atomic
def song_audio_fail(*, song_id: int, generation: str, reason: str) -> str:
    """Mark ``generation`` failed with ``reason``; its files and the renditions it was to
    replace are removed (the upload replaced them)."""
    audio = _current(song_id, generation, lock=True)
    prefixes = [files.generation_prefix(song_id, generation)]
    if audio is None:
        transaction.on_commit(lambda: files.delete_quietly(prefixes=prefixes))
        return "obsolete"
    prefixes += [files.generation_prefix(song_id, g) for g in _live_generations(audio)]
    audio.renditions.all().delete()
    audio.failure_reason = reason[:MAX_REASON_LENGTH]
    audio.processed_at = timezone.now()
    audio.save(update_fields=["failure_reason", "processed_at"])
    _set_song_status(song_id, AudioStatus.FAILED)
    _notify(audio, "audio_failed", {"song_id": song_id, "reason": audio.failure_reason})
    transaction.on_commit(lambda: files.delete_quietly(prefixes=prefixes))
    logger.warning("audio of song %s failed: %s", song_id, reason)
    return "failed"
