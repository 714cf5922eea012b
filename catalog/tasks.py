"""Catalog Celery tasks: thin wrappers around ``catalog.services``."""

from __future__ import annotations

import smtplib

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.utils.time import get_exponential_backoff_interval

from catalog import services
from common.tasks import TEMPORARY_ERRORS

EXPORT_MAX_RETRIES = 6
EXPORT_BACKOFF_SECONDS = 30
EXPORT_BACKOFF_MAX_SECONDS = 30 * 60


def is_temporary_mail_error(exc: BaseException) -> bool:
    """Connection trouble and 4xx SMTP replies are worth retrying; 5xx replies are not."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(exc, smtplib.SMTPException):  # other protocol errors will not go away
        return False
    return isinstance(exc, OSError)  # refused or reset connections, timeouts, DNS failures


@shared_task(
    bind=True,
    name="catalog.playlist_export",
    acks_late=True,  # a worker killed mid-send leaves the message for another worker
    reject_on_worker_lost=True,
    max_retries=EXPORT_MAX_RETRIES,
    soft_time_limit=120,
    time_limit=180,
)
def playlist_export(self, *, export_id: str) -> str:
    """E-mail a recorded playlist export (idempotent by its row); temporary SMTP errors are
    retried with backoff, and an export that can never be sent is marked failed."""
    try:
        return services.playlist_export_send(export_id=export_id)
    except OSError as exc:  # smtplib.SMTPException is an OSError
        if not is_temporary_mail_error(exc) or self.request.retries >= self.max_retries:
            services.playlist_export_fail(export_id=export_id, reason=f"mail refused: {exc}")
            raise
        countdown = get_exponential_backoff_interval(
            factor=EXPORT_BACKOFF_SECONDS,
            retries=self.request.retries,
            maximum=EXPORT_BACKOFF_MAX_SECONDS,
            full_jitter=True,
        )
        raise self.retry(exc=exc, countdown=countdown) from exc


# --- Audio (issue 16) ------------------------------------------------------------------------

AUDIO_MAX_RETRIES = 5
AUDIO_BACKOFF_SECONDS = 30
AUDIO_BACKOFF_MAX_SECONDS = 30 * 60


@shared_task(
    bind=True,
    name="catalog.audio_process",
    acks_late=True,  # a worker killed part-way gets the message again; the run restarts
    reject_on_worker_lost=True,
    max_retries=AUDIO_MAX_RETRIES,
    # 30 minutes of audio take about 2.5 minutes at 12x real time; the rest is headroom.
    soft_time_limit=15 * 60,
    time_limit=16 * 60,
)
def audio_process(self, *, song_id: int, generation: str) -> str:
    """Make a song's renditions, loudness and waveform (``catalog.audio.services``)."""
    from catalog.audio import services as audio
    from catalog.audio.files import is_temporary_storage_error

    try:
        return audio.song_audio_process(song_id=song_id, generation=generation)
    except SoftTimeLimitExceeded:
        return audio.song_audio_fail(
            song_id=song_id, generation=generation, reason="Processing took too long."
        )
    except Exception as exc:
        temporary = isinstance(exc, TEMPORARY_ERRORS) or is_temporary_storage_error(exc)
        if temporary and self.request.retries < self.max_retries:
            countdown = get_exponential_backoff_interval(
                factor=AUDIO_BACKOFF_SECONDS,
                retries=self.request.retries,
                maximum=AUDIO_BACKOFF_MAX_SECONDS,
                full_jitter=True,
            )
            raise self.retry(exc=exc, countdown=countdown) from exc
        reason = (
            "The storage stayed unavailable; upload again or ask staff to re-process."
            if temporary
            else "Processing stopped on an unexpected error; staff have been notified."
        )
        audio.song_audio_fail(song_id=song_id, generation=generation, reason=reason)
        raise
