"""The staff UI: who sees what, and switching the active model."""

import pytest
from django.test import Client

from recommendations.models import RecommendationLog, RecommendationModel, UserPicks
from recommendations.tests.factories import UserPreferencesFactory
from users.tests.factories import AdminFactory, EditorFactory

pytestmark = pytest.mark.django_db


def staff_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def rows():
    first = RecommendationModel.objects.create(artifact="a.pkl", algorithm="Recommender")
    second = RecommendationModel.objects.create(
        artifact="b.pkl", algorithm="Recommender", is_active=True
    )
    RecommendationLog.objects.create(kind="build", status="success", model=second)
    preferences = UserPreferencesFactory(moods=["calm"])
    UserPicks.objects.create(user=preferences.user, generated_at="2024-01-01T00:00:00Z")
    return first, second


@pytest.mark.parametrize(
    ("path", "editor_status"),
    [
        ("recommendationmodel", 200),
        ("recommendationlog", 200),
        ("userpicks", 200),
        ("userpreferences", 403),
    ],
)
def test_changelists(rows, path, editor_status):
    url = f"/admin/recommendations/{path}/"

    assert staff_client(AdminFactory()).get(url).status_code == 200
    assert staff_client(EditorFactory()).get(url).status_code == editor_status


def test_logs_are_read_only(rows):
    log = RecommendationLog.objects.get()
    url = f"/admin/recommendations/recommendationlog/{log.pk}/change/"

    response = staff_client(AdminFactory()).post(url, {"status": "failed"})

    assert response.status_code == 403
    log.refresh_from_db()
    assert log.status == "success"


def test_admin_switches_the_active_model(rows):
    first, second = rows
    data = {"action": "activate", "_selected_action": [first.pk]}

    response = staff_client(AdminFactory()).post(
        "/admin/recommendations/recommendationmodel/", data
    )

    assert response.status_code == 302
    assert list(RecommendationModel.objects.filter(is_active=True)) == [first]


def test_editor_may_not_switch_models(rows):
    first, second = rows
    data = {"action": "activate", "_selected_action": [first.pk]}

    staff_client(EditorFactory()).post("/admin/recommendations/recommendationmodel/", data)

    assert list(RecommendationModel.objects.filter(is_active=True)) == [second]
