"""A Postman collection (format v2.1.0) built from our OpenAPI schema, for client developers.

One request per operation, in one folder per tag; the collection authenticates with a bearer
token held in the ``accessToken`` variable, and requests address ``{{baseUrl}}``. The log-in
requests (register, token, token refresh) store the tokens they receive in the collection's
variables, so "Log in" then any other request works as is. Request bodies are the schema's
examples where it has them, else built from the body's schema; the schema's response examples
become the requests' saved examples.
"""

from __future__ import annotations

import json
import uuid
from http import HTTPStatus
from typing import Any

SCHEMA_URL = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
METHODS = ("get", "post", "put", "patch", "delete")
# Requests whose answer carries a token pair: a test script keeps it in the variables.
TOKEN_OPERATIONS = {
    ("post", "/api/v1/auth/register/"),
    ("post", "/api/v1/auth/token/"),
    ("post", "/api/v1/auth/token/refresh/"),
    ("post", "/api/v1/users/me/password/"),
}
KEEP_TOKENS = [
    "// Keep the token pair of this answer for the other requests.",
    "if (pm.response.code < 300) {",
    "    const body = pm.response.json();",
    "    pm.collectionVariables.set('accessToken', body.access);",
    "    pm.collectionVariables.set('refreshToken', body.refresh);",
    "}",
]
# Placeholders for values the schema gives no example or default for.
_STRING_FORMATS = {
    "date-time": "2026-01-01T12:00:00Z",
    "date": "2026-01-01",
    "email": "ada@example.com",
    "uri": "https://example.org/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}
_MAX_DEPTH = 8


class _Schema:
    """The OpenAPI document, with ``$ref`` resolution."""

    def __init__(self, document: dict) -> None:
        self.document = document

    def resolve(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 20:
            target: Any = self.document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node, seen = target, seen + 1
        return node

    def example(self, node: Any, depth: int = 0) -> Any:
        """A value that fits ``node`` (writable fields only, as a request body has)."""
        node = self.resolve(node)
        if not isinstance(node, dict) or depth > _MAX_DEPTH:
            return None
        for key in ("example", "default"):
            if key in node:
                return node[key]
        if node.get("enum"):
            return next((value for value in node["enum"] if value is not None), None)
        for combinator in ("allOf", "oneOf", "anyOf"):
            if node.get(combinator):
                if combinator == "allOf":
                    merged: dict = {}
                    for part in node["allOf"]:
                        value = self.example(part, depth + 1)
                        if isinstance(value, dict):
                            merged.update(value)
                        elif value is not None:
                            return value
                    return merged
                return self.example(node[combinator][0], depth + 1)
        kind = node.get("type")
        if kind == "object" or "properties" in node:
            return {
                name: self.example(prop, depth + 1)
                for name, prop in node.get("properties", {}).items()
                if not self.resolve(prop).get("readOnly")
            }
        if kind == "array":
            item = self.example(node.get("items", {}), depth + 1)
            return [] if item is None else [item] * max(1, node.get("minItems", 1))
        if kind == "integer":
            return max(1, node.get("minimum", 1))
        if kind == "number":
            return node.get("minimum", 0.5)
        if kind == "boolean":
            return False
        if kind == "string":
            return _STRING_FORMATS.get(node.get("format", ""), "")
        return None


def _description(operation: dict) -> str:
    return (operation.get("description") or operation.get("summary") or "").strip()


def _parameter_value(schema: _Schema, parameter: dict) -> str:
    """A path variable gets a placeholder that fits its type (``1`` for an id); a query or
    header parameter only a value the schema gives (example, default, first choice)."""
    node = schema.resolve(parameter.get("schema", {}))
    if parameter.get("example") is not None:
        value = parameter["example"]
    elif parameter["in"] == "path" or any(k in node for k in ("example", "default", "enum")):
        value = schema.example(node)
    else:
        value = None
    if (value is None or value == "") and parameter["in"] == "path":
        name = parameter["name"]
        value = "1" if name in ("id", "pk") or name.endswith("_id") else ""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _url(schema: _Schema, path: str, parameters: list[dict]) -> dict:
    segments = [f":{part[1:-1]}" if part.startswith("{") else part for part in path.split("/")]
    postman_path = segments[1:]  # the path starts with "/"; a trailing "/" stays as ""
    url: dict[str, Any] = {
        "raw": "{{baseUrl}}" + "/".join(segments),
        "host": ["{{baseUrl}}"],
        "path": postman_path,
    }
    query = [
        {
            "key": parameter["name"],
            "value": _parameter_value(schema, parameter),
            "description": parameter.get("description", ""),
            # Optional parameters are listed, switched off: tick the ones you want.
            "disabled": not parameter.get("required", False),
        }
        for parameter in parameters
        if parameter["in"] == "query"
    ]
    if query:
        url["query"] = query
    variables = [
        {
            "key": parameter["name"],
            "value": _parameter_value(schema, parameter),
            "description": parameter.get("description", ""),
        }
        for parameter in parameters
        if parameter["in"] == "path"
    ]
    if variables:
        url["variable"] = variables
    return url


def _first_example(media: dict) -> Any:
    if "example" in media:
        return media["example"]
    for example in (media.get("examples") or {}).values():
        if "value" in example:
            return example["value"]
    return None


def _body(schema: _Schema, operation: dict) -> tuple[dict | None, list[dict]]:
    """The Postman body and the headers it needs."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        media = content["application/json"]
        value = _first_example(media)
        if value is None:
            value = schema.example(media.get("schema", {}))
        body = {
            "mode": "raw",
            "raw": json.dumps(value, indent=2),
            "options": {"raw": {"language": "json"}},
        }
        return body, [{"key": "Content-Type", "value": "application/json"}]
    if "multipart/form-data" in content:
        form = schema.resolve(content["multipart/form-data"].get("schema", {}))
        fields = []
        for name, prop in form.get("properties", {}).items():
            prop = schema.resolve(prop)
            if prop.get("readOnly"):
                continue
            if prop.get("format") == "binary":
                fields.append({"key": name, "type": "file", "src": []})
            else:
                value = schema.example(prop)
                fields.append(
                    {"key": name, "type": "text", "value": "" if value is None else str(value)}
                )
        return {"mode": "formdata", "formdata": fields}, []
    return None, []


def _headers(schema: _Schema, parameters: list[dict]) -> list[dict]:
    return [
        {
            "key": parameter["name"],
            "value": _parameter_value(schema, parameter),
            "description": parameter.get("description", ""),
            "disabled": not parameter.get("required", False),
        }
        for parameter in parameters
        if parameter["in"] == "header"
    ]


def _auth(operation: dict) -> dict | None:
    """None: the collection's bearer token; ``noauth`` where the operation takes no token."""
    security = operation.get("security") or []
    if any("jwtAuth" in requirement for requirement in security):
        return None
    return {"type": "noauth"}


def _responses(operation: dict, request: dict) -> list[dict]:
    saved = []
    for code, response in operation.get("responses", {}).items():
        if not str(code).startswith("2"):
            continue  # the error format is documented once, in the schema
        media = response.get("content", {}).get("application/json", {})
        for name, example in (media.get("examples") or {}).items():
            if "value" not in example:
                continue
            status = int(code) if str(code).isdigit() else 200
            saved.append(
                {
                    "name": example.get("summary") or name,
                    "originalRequest": request,
                    "status": HTTPStatus(status).phrase,
                    "code": status,
                    "_postman_previewlanguage": "json",
                    "header": [{"key": "Content-Type", "value": "application/json"}],
                    "body": json.dumps(example["value"], indent=2),
                }
            )
    return saved


def _item(schema: _Schema, method: str, path: str, operation: dict, shared: list[dict]) -> dict:
    parameters = [schema.resolve(p) for p in (*shared, *operation.get("parameters", []))]
    body, body_headers = _body(schema, operation)
    request: dict[str, Any] = {
        "method": method.upper(),
        "header": [
            {"key": "Accept", "value": "application/json"},
            *body_headers,
            *_headers(schema, parameters),
        ],
        "url": _url(schema, path, parameters),
        "description": _description(operation),
    }
    if body is not None:
        request["body"] = body
    auth = _auth(operation)
    if auth is not None:
        request["auth"] = auth
    item: dict[str, Any] = {
        "name": operation.get("summary") or f"{method.upper()} {path}",
        "request": request,
        "response": _responses(operation, request),
    }
    if (method, path) in TOKEN_OPERATIONS:
        item["event"] = [
            {"listen": "test", "script": {"type": "text/javascript", "exec": KEEP_TOKENS}}
        ]
    return item


def collection_from_schema(document: dict, *, base_url: str) -> dict:
    """The Postman collection (v2.1.0) of every operation of the OpenAPI ``document``."""
    schema = _Schema(document)
    folders: dict[str, list[dict]] = {}
    for path, path_item in document.get("paths", {}).items():
        shared = path_item.get("parameters", [])
        for method in METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            tag = (operation.get("tags") or ["other"])[0]
            folders.setdefault(tag, []).append(_item(schema, method, path, operation, shared))
    info = document.get("info", {})
    tag_descriptions = {tag["name"]: tag.get("description", "") for tag in document.get("tags", [])}
    return {
        "info": {
            # Stable across exports of the same API, so a re-import updates the collection.
            "_postman_id": str(uuid.uuid5(uuid.NAMESPACE_URL, info.get("title", "api"))),
            "name": info.get("title", "API"),
            "description": info.get("description", ""),
            "version": info.get("version", ""),
            "schema": SCHEMA_URL,
        },
        "auth": {
            "type": "bearer",
            "bearer": [{"key": "token", "value": "{{accessToken}}", "type": "string"}],
        },
        "variable": [
            {"key": "baseUrl", "value": base_url.rstrip("/"), "type": "string"},
            {"key": "accessToken", "value": "", "type": "string"},
            {"key": "refreshToken", "value": "", "type": "string"},
        ],
        "item": [
            {"name": tag, "description": tag_descriptions.get(tag, ""), "item": items}
            for tag, items in sorted(folders.items())
        ],
    }
