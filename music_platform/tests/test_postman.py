"""``manage.py export_postman``: a valid Postman v2.1.0 collection of every API operation."""

import json
import re

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from jsonschema import Draft7Validator
from rest_framework.test import APIClient

from music_platform.postman import SCHEMA_URL

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")
HTTP_METHODS = ["GET", "PUT", "POST", "PATCH", "DELETE", "COPY", "HEAD", "OPTIONS", "LINK",
                "UNLINK", "PURGE", "LOCK", "UNLOCK", "PROPFIND", "VIEW"]  # fmt: skip
AUTH_TYPES = ["apikey", "awsv4", "basic", "bearer", "digest", "edgegrid", "hawk", "noauth",
              "oauth1", "oauth2", "ntlm"]  # fmt: skip

# The structure of a Postman collection, format v2.1.0 (schema.getpostman.com), for the parts
# an importer reads: written from the format's documentation (no network in tests), strict
# where the format is (required keys, enums), open where it allows more.
_KEY_VALUE = {
    "type": "object",
    "required": ["key"],
    "properties": {
        "key": {"type": "string"},
        "value": {"type": "string"},
        "description": {"type": "string"},
        "disabled": {"type": "boolean"},
    },
}
_VARIABLE = {
    "type": "object",
    "required": ["key"],
    "properties": {
        "key": {"type": "string"},
        "value": {},
        "type": {"enum": ["string", "boolean", "any", "number"]},
        "description": {"type": "string"},
        "disabled": {"type": "boolean"},
    },
}
_AUTH = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"enum": AUTH_TYPES},
        "bearer": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key"],
                "properties": {"key": {"type": "string"}, "type": {"type": "string"}},
            },
        },
    },
}
_URL = {
    "type": "object",
    "required": ["raw"],
    "properties": {
        "raw": {"type": "string"},
        "host": {"type": "array", "items": {"type": "string"}},
        "path": {"type": "array", "items": {"type": "string"}},
        "query": {"type": "array", "items": _KEY_VALUE},
        "variable": {"type": "array", "items": _VARIABLE},
    },
}
_BODY = {
    "type": "object",
    "required": ["mode"],
    "properties": {
        "mode": {"enum": ["raw", "urlencoded", "formdata", "file", "graphql"]},
        "raw": {"type": "string"},
        "formdata": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["key", "type"],
                "properties": {
                    "key": {"type": "string"},
                    "type": {"enum": ["text", "file"]},
                    "value": {"type": "string"},
                    "src": {"type": ["array", "string", "null"]},
                },
            },
        },
    },
    "allOf": [
        {"if": {"properties": {"mode": {"const": "raw"}}}, "then": {"required": ["raw"]}},
        {
            "if": {"properties": {"mode": {"const": "formdata"}}},
            "then": {"required": ["formdata"]},
        },
    ],
}
_REQUEST = {
    "type": "object",
    "required": ["method", "url"],
    "properties": {
        "method": {"enum": HTTP_METHODS},
        "url": _URL,
        "header": {"type": "array", "items": _KEY_VALUE},
        "body": _BODY,
        "auth": _AUTH,
        "description": {"type": "string"},
    },
}
_EVENT = {
    "type": "object",
    "required": ["listen", "script"],
    "properties": {
        "listen": {"enum": ["test", "prerequest"]},
        "script": {
            "type": "object",
            "properties": {
                "type": {"type": "string"},
                "exec": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
}
_RESPONSE = {
    "type": "object",
    "required": ["code", "body"],
    "properties": {
        "name": {"type": "string"},
        "originalRequest": _REQUEST,
        "status": {"type": "string"},
        "code": {"type": "integer", "minimum": 100, "maximum": 599},
        "header": {"type": "array", "items": _KEY_VALUE},
        "body": {"type": "string"},
    },
}
_ITEM = {
    "type": "object",
    "required": ["name", "request"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "request": _REQUEST,
        "response": {"type": "array", "items": _RESPONSE},
        "event": {"type": "array", "items": _EVENT},
    },
}
COLLECTION_V21 = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["info", "item"],
    "properties": {
        "info": {
            "type": "object",
            "required": ["name", "schema"],
            "properties": {
                "_postman_id": {"type": "string"},
                "name": {"type": "string"},
                "description": {"type": "string"},
                "schema": {"const": SCHEMA_URL},
            },
        },
        "item": {
            "type": "array",
            "items": {  # folders (item-groups), each holding requests
                "type": "object",
                "required": ["name", "item"],
                "properties": {
                    "name": {"type": "string"},
                    "description": {"type": "string"},
                    "item": {"type": "array", "minItems": 1, "items": _ITEM},
                },
            },
        },
        "auth": _AUTH,
        "variable": {"type": "array", "items": _VARIABLE},
    },
}


@pytest.fixture(scope="module")
def openapi() -> dict:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))


@pytest.fixture
def collection(tmp_path) -> dict:
    out = tmp_path / "collection.json"
    call_command("export_postman", "--output", str(out), "--base-url", "http://localhost:9000/")
    return json.loads(out.read_text())


def requests_of(collection: dict):
    for folder in collection["item"]:
        for item in folder["item"]:
            yield folder["name"], item


def openapi_path(url: dict) -> str:
    """``{{baseUrl}}/api/v1/songs/:id/`` -> ``/api/v1/songs/{id}/``."""
    path = url["raw"].removeprefix("{{baseUrl}}")
    return re.sub(r":(\w+)", r"{\1}", path)


def test_the_collection_is_valid_postman_v2_1(collection):
    errors = sorted(Draft7Validator(COLLECTION_V21).iter_errors(collection), key=str)
    assert errors == [], "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:20])


def test_the_structure_check_catches_a_broken_collection(collection):
    broken = json.loads(json.dumps(collection))
    first = broken["item"][0]["item"][0]["request"]
    first["method"] = "FETCH"
    del broken["info"]["schema"]
    messages = [e.message for e in Draft7Validator(COLLECTION_V21).iter_errors(broken)]
    assert any("FETCH" in m for m in messages)
    assert any("'schema' is a required property" in m for m in messages)


def test_one_request_per_operation_in_its_tags_folder(collection, openapi):
    expected = {
        (method.upper(), path): operation["tags"][0]
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }
    exported = [
        ((item["request"]["method"], openapi_path(item["request"]["url"])), folder)
        for folder, item in requests_of(collection)
    ]
    assert len(exported) == len(set(exported)), "an operation is exported twice"
    assert dict(exported) == expected


def test_bearer_auth_and_base_url_variables(collection):
    variables = {v["key"]: v["value"] for v in collection["variable"]}
    assert variables["baseUrl"] == "http://localhost:9000"
    assert "accessToken" in variables
    assert collection["auth"] == {
        "type": "bearer",
        "bearer": [{"key": "token", "value": "{{accessToken}}", "type": "string"}],
    }
    by_path = {openapi_path(i["request"]["url"]): i for _, i in requests_of(collection)}
    # Operations that take no token say so; the others inherit the collection's bearer.
    assert by_path["/api/v1/auth/register/"]["request"]["auth"] == {"type": "noauth"}
    assert "auth" not in by_path["/api/v1/users/me/library/albums/"]["request"]
    for _, item in requests_of(collection):
        assert item["request"]["url"]["raw"].startswith("{{baseUrl}}/api/")


def test_every_operation_with_a_body_has_an_example_body(collection, openapi):
    with_body = {
        (method.upper(), path)
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
        if method in METHODS and "requestBody" in operation
    }
    for _, item in requests_of(collection):
        request = item["request"]
        key = (request["method"], openapi_path(request["url"]))
        if key not in with_body:
            continue
        body = request["body"]
        if body["mode"] == "raw":
            json.loads(body["raw"])
        else:
            assert body["formdata"], key
    register = next(
        i for _, i in requests_of(collection) if i["request"]["url"]["raw"].endswith("register/")
    )
    assert json.loads(register["request"]["body"]["raw"]) == {
        "username": "ada",
        "email": "ada@example.com",
        "password": "a-Long-passphrase-42",
    }
    assert register["response"][0]["code"] == 201


def test_the_log_in_requests_keep_the_tokens(collection):
    scripted = {
        openapi_path(item["request"]["url"])
        for _, item in requests_of(collection)
        if any("accessToken" in "".join(e["script"]["exec"]) for e in item.get("event", []))
    }
    assert {"/api/v1/auth/register/", "/api/v1/auth/token/"} <= scripted


def _send(client: APIClient, item: dict, *, access: str | None = None):
    """Send a collection request as Postman would, with {{baseUrl}} as the test server."""
    request = item["request"]
    url = request["url"]
    path = "/" + "/".join(
        next((v["value"] for v in url.get("variable", []) if f":{v['key']}" == part), part)
        for part in url["path"]
    )
    if access:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    body = request.get("body", {}).get("raw")
    return client.generic(request["method"], path, data=body or "", content_type="application/json")


def test_the_example_requests_work_against_the_api(collection):
    by_name = {item["name"]: item for _, item in requests_of(collection)}
    client = APIClient()

    signed_up = _send(client, by_name["Sign up (and get tokens)"])
    assert signed_up.status_code == 201, signed_up.content
    logged_in = _send(client, by_name["Log in: get an access/refresh token pair"])
    assert logged_in.status_code == 200, logged_in.content
    library = _send(client, by_name["Albums I liked"], access=logged_in.json()["access"])
    assert library.status_code == 200, library.content
    created = _send(client, by_name["Create a playlist"])
    assert created.status_code == 201, created.content
    assert created.json()["name"] == "Late train home"
