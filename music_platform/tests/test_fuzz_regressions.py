"""Bugs the schemathesis run found, pinned by plain tests (fast, not fuzzed)."""

import pytest

from charts.tests.factories import FeedChartFactory
from users.tests.factories import AdminFactory, EditorFactory

pytestmark = pytest.mark.django_db


def test_options_on_a_view_without_serializer_class_is_not_a_500(client_for):
    chart = FeedChartFactory()
    client = client_for(EditorFactory())
    client.raise_request_exception = False
    for path in (f"/api/v1/charts/{chart.slug}/ingest/", "/api/v1/charts/0/ingest/"):
        response = client.options(path)
        assert response.status_code == 200, response.content
        assert "actions" not in response.json()


@pytest.mark.parametrize("path", ["/api/v1/artists/", "/api/v1/genres/", "/api/v1/playlists/"])
def test_a_limit_above_the_documented_maximum_is_a_400(path, client_for):
    client = client_for(None)
    assert client.get(path, {"limit": 100}).status_code == 200
    response = client.get(path, {"limit": 101})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "invalid", "detail": "Give a whole number from 1 to 100, once.", "attr": "limit"}
    ]


def test_the_admin_user_list_refuses_blank_and_unknown_parameters(client_for):
    client = client_for(AdminFactory())
    assert client.get("/api/v1/users/", {"search": "adm"}).status_code == 200
    blank = client.get("/api/v1/users/?search=")
    assert blank.status_code == 400
    assert blank.json()["errors"][0]["code"] == "blank"
    assert client.get("/api/v1/users/?nope=1").json()["errors"][0]["code"] == "unknown_parameter"


def test_string_query_parameters_are_documented_non_blank(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    search = next(
        p for p in schema["paths"]["/api/v1/albums/"]["get"]["parameters"] if p["name"] == "search"
    )
    assert search["schema"]["minLength"] == 1
