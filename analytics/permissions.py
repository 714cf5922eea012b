"""Who may read which analytics."""

from rest_framework.permissions import BasePermission

from users.permissions import is_editor_or_admin


def can_read_user_engagement(*, viewer, user_id: int) -> bool:
    """A listener reads only their own figures; editors and admins read anyone's."""
    return viewer.pk == user_id or is_editor_or_admin(viewer)


def can_read_artist_engagement(*, viewer, artist) -> bool:
    """The artist account that owns the profile (``Artist.user``), editors and admins."""
    return (artist.user_id is not None and artist.user_id == viewer.pk) or is_editor_or_admin(
        viewer
    )


class IsAnalyticsStaff(BasePermission):
    """Editors and admins (platform-wide figures and raw events)."""

    def has_permission(self, request, view):
        return is_editor_or_admin(request.user)
