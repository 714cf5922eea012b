"""Admin access by role: editors and admins edit content, only admins manage users."""

from users.permissions import is_admin, is_editor_or_admin


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
