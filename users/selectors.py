from django.db.models import Q, QuerySet

from users.models import User


def user_list(
    *, role: str | None = None, is_blocked: bool | None = None, search: str = ""
) -> QuerySet:
    qs = User.objects.all().order_by("id")
    if role:
        qs = qs.filter(role=role)
    if is_blocked is not None:
        qs = qs.filter(is_blocked=is_blocked)
    if search:
        qs = qs.filter(
            Q(username__icontains=search)
            | Q(email__icontains=search)
            | Q(display_name__icontains=search)
        )
    return qs
