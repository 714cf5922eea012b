import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from users.models import Role, User
from users.tests.factories import AdminFactory, EditorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {
        "anonymous": None,
        "listener": UserFactory(username="listener"),
        "other": UserFactory(username="other"),
        "editor": EditorFactory(username="editor"),
        "admin": AdminFactory(username="admin"),
    }


EXPECTED = {
    # (method, path template, body): {caller: status}
    ("get", "/api/v1/users/", None): {
        "anonymous": 401,
        "listener": 403,
        "other": 403,
        "editor": 403,
        "admin": 200,
    },
    ("get", "/api/v1/users/{listener}/", None): {
        "anonymous": 200,
        "listener": 200,
        "other": 200,
        "editor": 200,
        "admin": 200,
    },
    ("patch", "/api/v1/users/{listener}/", (("role", "artist"),)): {
        "anonymous": 401,
        "listener": 403,
        "other": 403,
        "editor": 403,
        "admin": 200,
    },
    ("get", "/api/v1/users/me/", None): {
        "anonymous": 401,
        "listener": 200,
        "other": 200,
        "editor": 200,
        "admin": 200,
    },
}


@pytest.mark.parametrize("caller", ["anonymous", "listener", "other", "editor", "admin"])
@pytest.mark.parametrize("call", list(EXPECTED), ids=lambda c: f"{c[0]} {c[1]}")
def test_permission_matrix(client_for, people, caller, call):
    method, template, body = call
    path = template.format(listener=people["listener"].id)
    data = dict(body) if body else None
    response = getattr(client_for(people[caller]), method)(path, data, format="json")
    assert response.status_code == EXPECTED[call][caller], response.content
    if response.status_code >= 400:
        assert response.json()["type"] == "client_error"


@pytest.mark.parametrize(
    "caller,status", [("anonymous", 401), ("other", 403), ("editor", 403), ("listener", 204)]
)
def test_delete_permissions(client_for, people, caller, status):
    target = people["listener"]
    response = client_for(people[caller]).delete(f"/api/v1/users/{target.id}/")
    assert response.status_code == status
    assert User.objects.filter(pk=target.pk).exists() == (status != 204)


def test_admin_deletes_a_user_and_their_tokens_stop_working(client_for, people):
    target = people["listener"]
    access = str(RefreshToken.for_user(target).access_token)
    assert client_for(people["admin"]).delete(f"/api/v1/users/{target.id}/").status_code == 204
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert client.get("/api/v1/users/me/").status_code == 401


def test_public_profile_hides_email(client_for, people):
    target = people["listener"]
    response = client_for(people["other"]).get(f"/api/v1/users/{target.id}/")
    assert response.json() == {
        "id": target.id,
        "username": "listener",
        "display_name": "",
        "bio": "",
        "country": "",
        "role": "listener",
        "date_joined": target.date_joined.isoformat().replace("+00:00", "Z"),
    }


def test_unknown_user_is_404(client_for):
    response = client_for().get("/api/v1/users/999999/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_me_patch_updates_profile_but_not_role(client_for, people):
    user = people["listener"]
    response = client_for(user).patch(
        "/api/v1/users/me/",
        {"display_name": "Lis", "bio": "hi", "country": "DE", "role": "admin"},
        format="json",
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.display_name, user.country, user.role) == ("Lis", "DE", Role.LISTENER)


@pytest.mark.parametrize(
    "body,attr",
    [
        ({"country": "Germany"}, "country"),
        ({"email": "nope"}, "email"),
        ({"email": ""}, "email"),  # an account keeps an address: blank is refused
        ({"display_name": 5}, "display_name"),  # a string field takes no number
        ({"bio": ["x"]}, "bio"),
    ],
)
def test_me_patch_bad_input(client_for, people, body, attr):
    user = people["listener"]
    response = client_for(user).patch("/api/v1/users/me/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == attr
    user.refresh_from_db()
    assert user.email == "listener@example.com"


def test_admin_role_change_updates_staff_flag(client_for, people):
    target = people["listener"]
    response = client_for(people["admin"]).patch(
        f"/api/v1/users/{target.id}/", {"role": "editor"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["role"] == "editor"
    target.refresh_from_db()
    assert target.is_staff


def test_admin_patch_rejects_unknown_role(client_for, people):
    target = people["listener"]
    response = client_for(people["admin"]).patch(
        f"/api/v1/users/{target.id}/", {"role": "superstar"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "invalid_choice",
        "detail": '"superstar" is not a valid choice.',
        "attr": "role",
    }


def test_admin_list_filters(client_for, people):
    UserFactory(username="blocked1", is_blocked=True)
    admin = client_for(people["admin"])
    by_role = admin.get("/api/v1/users/?role=editor").json()
    assert [u["username"] for u in by_role["results"]] == ["editor"]
    blocked = admin.get("/api/v1/users/?is_blocked=true").json()
    assert [u["username"] for u in blocked["results"]] == ["blocked1"]
    search = admin.get("/api/v1/users/?search=OTH").json()
    assert [u["username"] for u in search["results"]] == ["other"]
    assert admin.get("/api/v1/users/?role=nope").status_code == 400
    everyone = admin.get("/api/v1/users/?search=e").json()
    assert "blocked1" in [u["username"] for u in everyone["results"]]
    page = admin.get("/api/v1/users/?limit=2").json()
    assert page["count"] == 5 and len(page["results"]) == 2 and page["next"]


@pytest.mark.parametrize("value", ["null", "none", "1", "yes", "True"])
def test_admin_list_is_blocked_is_true_or_false_only(client_for, people, value):
    """It used to read "null" as "no filter" and "1" or "yes" as true: the schema says boolean."""
    response = client_for(people["admin"]).get(f"/api/v1/users/?is_blocked={value}")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "invalid", "detail": "Must be true or false.", "attr": "is_blocked"}
    ]


def test_user_list_query_count_is_constant(client_for, people, django_assert_num_queries):
    admin = client_for(people["admin"])
    # 1 query for the auth user, 1 count, 1 page
    with django_assert_num_queries(3):
        admin.get("/api/v1/users/?limit=2")
    UserFactory.create_batch(60)
    with django_assert_num_queries(3):
        response = admin.get("/api/v1/users/?limit=100")
    assert len(response.json()["results"]) == 64


def test_staff_and_superuser_flags_follow_the_role():
    user = UserFactory(role=Role.EDITOR)
    assert (user.is_staff, user.is_superuser) == (True, False)
    user.role = Role.ADMIN
    user.save()
    assert (user.is_staff, user.is_superuser) == (True, True)
    user.role = Role.LISTENER
    user.save()
    assert (user.is_staff, user.is_superuser) == (False, False)


def test_createsuperuser_makes_an_admin():
    user = User.objects.create_superuser("root", "root@example.com", "x-Long-passphrase-1")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.ADMIN, True, True)


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=-1", "offset=-5", "limit=abc", "limit=1&limit=2"]
)
def test_bad_pagination_parameters_are_400(client_for, people, query):
    response = client_for(people["admin"]).get(f"/api/v1/users/?{query}")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
