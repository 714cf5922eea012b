from celery import shared_task
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from common.tasks import retry_policy
from users import services


@shared_task(name="users.flush_expired_tokens", acks_late=True, time_limit=300)
def flush_expired_tokens() -> int:
    """Delete expired refresh tokens (and their blacklist rows). Safe to run twice."""
    deleted, _ = OutstandingToken.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted


@shared_task(name="users.send_email_confirmation", time_limit=60, **retry_policy())
def send_email_confirmation(*, user_id: int, email: str) -> str:
    return services.email_send_confirmation(user_id=user_id, email=email)


@shared_task(name="users.send_password_reset", time_limit=60, **retry_policy())
def send_password_reset(*, email: str) -> str:
    return services.password_reset_send(email=email)
