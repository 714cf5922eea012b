"""Catalog Celery tasks: thin wrappers around ``catalog.services``."""

from __future__ import annotations

import smtplib

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval

from catalog import services

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
    max_retries=EXPORT_MAX_RETRIES,
    soft_time_limit=120,
    time_limit=180,
)
def playlist_export(self, *, playlist_id: int, requested_by_id: int, target_email: str) -> str:
    """E-mail a playlist as a JSON attachment; retried with backoff on temporary SMTP errors."""
    try:
        return services.playlist_export_send(
            playlist_id=playlist_id,
            requested_by_id=requested_by_id,
            target_email=target_email,
            export_id=self.request.id,
        )
    except OSError as exc:  # smtplib.SMTPException is an OSError
        if not is_temporary_mail_error(exc):
            raise
        countdown = get_exponential_backoff_interval(
            factor=EXPORT_BACKOFF_SECONDS,
            retries=self.request.retries,
            maximum=EXPORT_BACKOFF_MAX_SECONDS,
            full_jitter=True,
        )
        raise self.retry(exc=exc, countdown=countdown) from exc
