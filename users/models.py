from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class Role(models.TextChoices):
    LISTENER = "listener", "Listener"
    ARTIST = "artist", "Artist"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"


STAFF_ROLES = (Role.EDITOR, Role.ADMIN)


class CaseInsensitiveUserManager(UserManager):
    def get_by_natural_key(self, username):
        return self.get(username__iexact=username)


class User(AbstractUser):
    """An account. ``role`` drives permissions; ``is_staff`` follows the role."""

    # Always an address its owner confirmed (by a mailed link), or blank while none is.
    email = models.EmailField("email address", max_length=254, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.LISTENER)
    display_name = models.CharField(max_length=80, blank=True)
    bio = models.TextField(max_length=2000, blank=True)
    country = models.CharField(
        max_length=2,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{2}$", "Use an ISO 3166-1 alpha-2 code, e.g. US.")],
    )
    is_blocked = models.BooleanField(default=False, db_index=True)
    blocked_at = models.DateTimeField(null=True, blank=True)

    objects = CaseInsensitiveUserManager()

    REQUIRED_FIELDS = ["email"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            # Accounts wait without an address until their owner confirms one (registration
            # never writes an unconfirmed address), so only non-blank e-mails are unique.
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="user_email_ci_unique"
            ),
        ]
        indexes = [models.Index(fields=["role"])]

    def save(self, *args, **kwargs):
        # The role is the source of truth: editors and admins work in the Django admin, and
        # admins hold every permission there (periodic tasks, groups). `createsuperuser`
        # creates an admin.
        if self._state.adding and self.is_superuser:
            self.role = Role.ADMIN
        self.is_superuser = self.role == Role.ADMIN
        self.is_staff = self.role in STAFF_ROLES
        super().save(*args, **kwargs)

    @property
    def is_editor_or_admin(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN

    def __str__(self) -> str:
        return self.username
