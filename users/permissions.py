"""Reusable DRF permission classes (used by every app)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission


def is_editor_or_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_editor_or_admin)


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_admin_role)


class IsEditorOrAdmin(BasePermission):
    def has_permission(self, request, view):
        return is_editor_or_admin(request.user)


class IsAdmin(BasePermission):
    def has_permission(self, request, view):
        return is_admin(request.user)


class IsEditorOrAdminOrReadOnly(BasePermission):
    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or is_editor_or_admin(request.user)


class IsOwnerOrStaff(BasePermission):
    """Object access for its owner, editors and admins.

    The owner is ``obj.owner``/``obj.user`` by default or ``view.owner_field``; an object
    that *is* a user is owned by itself.
    """

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request, view, obj):
        if is_editor_or_admin(request.user):
            return True
        field = getattr(view, "owner_field", None)
        if field:
            owner = getattr(obj, field)
        elif hasattr(obj, "owner"):
            owner = obj.owner
        elif hasattr(obj, "user"):
            owner = obj.user
        else:
            owner = obj
        return owner == request.user


class IsSelfOrAdmin(BasePermission):
    def has_object_permission(self, request, view, obj):
        return obj == request.user or is_admin(request.user)
