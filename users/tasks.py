from celery import shared_task
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken


@shared_task(name="users.flush_expired_tokens", acks_late=True, time_limit=300)
def flush_expired_tokens() -> int:
    """Delete expired refresh tokens (and their blacklist rows). Safe to run twice."""
    deleted, _ = OutstandingToken.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
