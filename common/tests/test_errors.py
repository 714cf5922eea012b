"""Bad input at the HTTP layer is a 4xx in the standard format, never a 500 (DESIGN.md §3)."""

import json

import pytest
from django.urls import clear_url_caches
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from common.api import validated_query
from users.models import User

pytestmark = pytest.mark.django_db

ANONYMOUS_WRITES = ["/api/v1/auth/register/", "/api/v1/auth/token/"]


def error(code: str, detail: str, attr=None, kind: str = "client_error") -> dict:
    return {"type": kind, "errors": [{"code": code, "detail": detail, "attr": attr}]}


@pytest.mark.parametrize("url", ANONYMOUS_WRITES)
@pytest.mark.parametrize("size", [1024 * 1024 + 1, 3 * 1024 * 1024])
def test_json_bodies_over_the_limit_are_413(api_client, url, size):
    body = json.dumps({"username": "a" * size, "email": "a@example.com", "password": "x"})
    response = api_client.post(url, data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "request_too_large"
    assert not User.objects.exists()


@pytest.mark.parametrize("url", ANONYMOUS_WRITES)
def test_a_form_body_is_415_on_json_endpoints(api_client, url):
    body = "username=someone&email=a%40example.com&password=long-enough-password"
    response = api_client.post(url, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["errors"][0]["code"] == "unsupported_media_type"
    assert not User.objects.exists()


def test_an_upload_with_too_many_form_fields_is_400(api_client):
    from catalog.tests.factories import AlbumFactory
    from users.tests.factories import EditorFactory

    album = AlbumFactory()
    api_client.force_authenticate(EditorFactory())
    boundary = "b0undary"
    parts = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="field{i}"\r\n\r\n1\r\n'
        for i in range(1100)
    )
    response = api_client.put(
        f"/api/v1/albums/{album.pk}/cover/",
        data=(parts + f"--{boundary}--\r\n").encode(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    assert response.json() == error(
        "too_many_fields", "The request has too many form fields or files."
    )


@pytest.mark.parametrize("url", ANONYMOUS_WRITES)
@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_json_nested_thousands_deep_is_400(api_client, url, opening):
    closing = "]" if opening == "[" else "}"
    body = opening * 5000 + "1" + closing * 5000
    response = api_client.post(url, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == error("parse_error", "JSON parse error - nested too deeply.")


def test_unknown_api_urls_are_json_404_also_in_debug(client, settings):
    settings.DEBUG = True
    clear_url_caches()
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == error("not_found", "Not found.")


class _Query(serializers.Serializer):
    genre = serializers.CharField(required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50)


def _query(query: str, **options):
    request = APIRequestFactory().get("/x/?" + query)
    from rest_framework.request import Request

    return validated_query(_Query, Request(request), **options)


def test_validated_query_returns_typed_values():
    assert _query("genre=pop&limit=5") == {"genre": "pop", "limit": 5}


@pytest.mark.parametrize(
    ("query", "attr", "code"),
    [
        ("colour=red", "colour", "unknown_parameter"),
        ("genre=a&genre=b", "genre", "multiple_values"),
        ("genre=", "genre", "blank"),
        ("limit=%20", "limit", "blank"),
        ("limit=51", "limit", "max_value"),
        ("genre=a%00b", "genre", "null_characters_not_allowed"),
    ],
)
def test_validated_query_names_the_bad_parameter(query, attr, code):
    with pytest.raises(serializers.ValidationError) as raised:
        _query(query)
    assert [(attr, e.code) for e in raised.value.detail[attr]] == [(attr, code)]


def test_validated_query_accepts_names_handled_elsewhere():
    assert _query("limit=5&offset=10", allowed=("offset",)) == {"limit": 5}


def test_a_query_string_over_4_kb_is_a_json_414(client):
    response = client.get("/api/v1/songs/?search=" + "a" * 4100)
    assert response.status_code == 414
    assert response.json() == error("uri_too_long", "The query string is longer than 4096 bytes.")


def test_a_post_to_an_unknown_api_url_is_a_json_404_not_a_csrf_page(client):
    csrf_client = type(client)(enforce_csrf_checks=True)
    response = csrf_client.post("/api/v1/no-such-thing/", {"a": 1})
    assert response.status_code == 404
    assert response.json() == error("not_found", "Not found.")


def test_a_csrf_failure_is_json(client, django_user_model):
    user = django_user_model.objects.create_user("csrf", "csrf@example.com", "pw-123456789")
    csrf_client = type(client)(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    response = csrf_client.post("/admin/logout/")
    assert response.status_code == 403
    assert response.json() == error("csrf_failed", "CSRF verification failed.")
