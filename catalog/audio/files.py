"""Where a song's audio files live in the storage, and how they are written and removed.

Layout (default storage, filesystem or S3):
    audio/<song id>/originals/<random>.<ext>          the upload, as received
    audio/<song id>/<generation>/<quality>/...        one processing run's renditions
The random parts are never shown to clients (signed URLs name renditions by id), so a
file's storage path cannot be guessed from a stream URL.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

logger = logging.getLogger(__name__)


def new_token() -> str:
    return secrets.token_hex(16)


def song_prefix(song_id: int) -> str:
    return f"audio/{song_id}"


def original_name(song_id: int, extension: str) -> str:
    return f"{song_prefix(song_id)}/originals/{new_token()}.{extension}"


def generation_prefix(song_id: int, generation: str) -> str:
    return f"{song_prefix(song_id)}/{generation}"


def is_local(storage=None) -> bool:
    """Whether files have a local path (filesystem storage) rather than living in S3."""
    storage = storage or default_storage
    try:
        storage.path("probe")
    except NotImplementedError:
        return False
    return True


def save_original(song_id: int, extension: str, source: File) -> str:
    name = original_name(song_id, extension)
    saved = default_storage.save(name, source)
    if saved != name:  # a random name never collides; if it did, do not guess
        default_storage.delete(saved)
        raise OSError(f"storage renamed {name} to {saved}")
    return saved


def upload_folder(local: Path, prefix: str) -> None:
    """Copy every file under ``local`` to ``prefix/<relative path>`` in the storage."""
    for path in sorted(p for p in local.rglob("*") if p.is_file()):
        name = f"{prefix}/{path.relative_to(local).as_posix()}"
        with path.open("rb") as handle:
            saved = default_storage.save(name, File(handle))
        if saved != name:
            raise OSError(f"storage renamed {name} to {saved}: the folder was not empty")


def delete_tree(prefix: str) -> None:
    """Remove every file under ``prefix`` (and, on a filesystem, the folders)."""
    storage = default_storage
    if is_local(storage):
        shutil.rmtree(storage.path(prefix), ignore_errors=True)
        return
    try:
        folders, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in files:
        storage.delete(f"{prefix}/{name}")
    for folder in folders:
        delete_tree(f"{prefix}/{folder}")


def delete_quietly(*, prefixes: Iterable[str] = (), names: Iterable[str] = ()) -> None:
    """Best-effort removal after a commit: a storage hiccup must not fail the request."""
    for prefix in prefixes:
        try:
            delete_tree(prefix)
        except Exception:
            logger.warning("could not delete audio folder %s", prefix, exc_info=True)
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            logger.warning("could not delete audio file %s", name, exc_info=True)


def delete_song_files_on_commit(*, song_id: int) -> None:
    prefix = song_prefix(song_id)
    transaction.on_commit(lambda: delete_quietly(prefixes=[prefix]))


@contextlib.contextmanager
def local_copy(name: str) -> Iterator[str]:
    """A local path to the stored file ``name``: the file itself, or a temporary download."""
    if is_local():
        yield default_storage.path(name)
        return
    handle, path = tempfile.mkstemp(suffix=Path(name).suffix)
    try:
        with os.fdopen(handle, "wb") as target, default_storage.open(name, "rb") as source:
            shutil.copyfileobj(source, target, 1024 * 1024)
        yield path
    finally:
        os.unlink(path)


# Errnos of a storage that is briefly unwell (full disk, lost NFS or network, timeouts).
_TEMPORARY_ERRNOS = {
    errno.EIO,
    errno.ENOSPC,
    errno.EAGAIN,
    errno.EBUSY,
    errno.ETIMEDOUT,
    errno.ECONNRESET,
    errno.ECONNREFUSED,
    errno.ECONNABORTED,
    errno.ENETUNREACH,
    errno.EHOSTUNREACH,
    errno.ESTALE,
}


def is_temporary_storage_error(exc: BaseException) -> bool:
    """Whether retrying later may succeed: network trouble with S3, a full or lost disk.
    A missing file or a refused permission will not get better by waiting."""
    try:
        from botocore import exceptions as boto
    except ImportError:  # pragma: no cover - boto3 is a dependency, but only for S3
        boto = None
    if boto is not None:
        if isinstance(exc, boto.ConnectionError | boto.HTTPClientError):
            return True
        if isinstance(exc, boto.ClientError):
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            return status >= 500 or status == 429
    if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
        return False
    if isinstance(exc, TimeoutError | ConnectionError):
        return True
    return isinstance(exc, OSError) and (exc.errno in _TEMPORARY_ERRNOS or exc.errno is None)
