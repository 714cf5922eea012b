"""Admin access by role: editors and admins edit content, only admins manage users."""

from functools import wraps

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.views.decorators.cache import never_cache

from users.permissions import is_admin, is_editor_or_admin


def editor_page_required(view):
    """For the staff dashboards in the admin: logged-in staff (else the admin login page)
    with the editor or admin role (else 403); never cached."""

    @staff_member_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_editor_or_admin(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return never_cache(wrapped)


class EditorAdminMixin:
    """For content ModelAdmins: editors and admins may view and change everything."""

    def has_module_permission(self, request):
        return is_editor_or_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_editor_or_admin(request.user)

    def has_add_permission(self, request, *args):
        return is_editor_or_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_editor_or_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_editor_or_admin(request.user)


class ReadOnlyEditorAdminMixin(EditorAdminMixin):
    """Staff can look, nobody edits by hand (logs, derived data)."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return is_admin(request.user)


class AdminOnlyMixin:
    def has_module_permission(self, request):
        return is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_add_permission(self, request, *args):
        return is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_admin(request.user)
