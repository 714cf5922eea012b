import pytest

from users.models import User
from users.tests.factories import AdminFactory, EditorFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_editor_uses_the_admin_but_not_the_users_section(client):
    client.force_login(EditorFactory())
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/users/user/").status_code == 403


def test_listener_cannot_use_the_admin(client):
    client.force_login(UserFactory())
    assert client.get("/admin/").status_code == 302


def test_admin_blocks_users_with_the_bulk_action(client):
    admin = AdminFactory()
    target = UserFactory()
    client.force_login(admin)
    response = client.post(
        "/admin/users/user/",
        {"action": "block_users", "_selected_action": [target.pk, admin.pk]},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    admin.refresh_from_db()
    assert target.is_blocked and target.blocked_at
    assert not admin.is_blocked  # an admin cannot lock themselves out


def test_admin_user_list_search_and_filters(client):
    client.force_login(AdminFactory())
    UserFactory(username="zed", is_blocked=True)
    response = client.get("/admin/users/user/?is_blocked__exact=1&q=zed")
    assert response.status_code == 200
    assert b"zed" in response.content
    assert User.objects.filter(is_blocked=True).count() == 1
