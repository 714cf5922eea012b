"""The API documentation is usable: every operation has a summary and a description, every
parameter a description, and the main operations show example requests and responses."""

import pytest
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")

# The operations client developers start from: each shows an example request (when it takes
# a body) and an example response.
MAIN_OPERATIONS = {
    ("post", "/api/v1/auth/register/"): {"request", "response"},
    ("post", "/api/v1/auth/token/"): {"request", "response"},
    ("get", "/api/v1/songs/"): {"response"},
    ("get", "/api/v1/songs/{id}/"): {"response"},
    ("post", "/api/v1/playlists/"): {"request", "response"},
    ("post", "/api/v1/playlists/{id}/songs/"): {"request", "response"},
    ("post", "/api/v1/analytics/events/"): {"request", "response"},
    ("get", "/api/v1/recommendations/"): {"response"},
    ("get", "/api/v1/recommendations/me/"): {"response"},
}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def test_the_schema_has_operations(schema):
    assert len(list(operations(schema))) > 50


def test_every_operation_has_a_summary_and_a_description(schema):
    missing = []
    for method, path, op in operations(schema):
        lacking = [key for key in ("summary", "description") if not (op.get(key) or "").strip()]
        if lacking:
            missing.append(f"{method.upper()} {path}: no {' or '.join(lacking)}")
    assert missing == [], "operations without summary/description:\n" + "\n".join(missing)


def test_summaries_are_short_and_distinct(schema):
    summaries = [(op["summary"], method, path) for method, path, op in operations(schema)]
    too_long = [f"{m.upper()} {p}: {s!r}" for s, m, p in summaries if len(s) > 80]
    assert too_long == []
    seen: dict[str, str] = {}
    duplicates = []
    for summary, method, path in summaries:
        key = summary.strip().lower()
        if key in seen:
            duplicates.append(f"{summary!r}: {seen[key]} and {method.upper()} {path}")
        seen[key] = f"{method.upper()} {path}"
    assert duplicates == []


def test_every_parameter_has_a_description(schema):
    missing = [
        f"{method.upper()} {path}: {parameter['in']} parameter {parameter['name']!r}"
        for method, path, op in operations(schema)
        for parameter in op.get("parameters", [])
        if not (parameter.get("description") or "").strip()
    ]
    assert missing == [], "parameters without a description:\n" + "\n".join(missing)


def _has_request_example(op: dict) -> bool:
    content = op.get("requestBody", {}).get("content", {})
    return any(media.get("examples") or media.get("example") for media in content.values())


def _has_response_example(op: dict) -> bool:
    return any(
        media.get("examples") or media.get("example")
        for code, response in op.get("responses", {}).items()
        if str(code).startswith("2")
        for media in response.get("content", {}).values()
    )


@pytest.mark.parametrize(("method", "path"), sorted(MAIN_OPERATIONS), ids=str)
def test_main_operations_show_examples(schema, method, path):
    op = schema["paths"][path][method]
    wanted = MAIN_OPERATIONS[(method, path)]
    if "request" in wanted:
        assert _has_request_example(op), f"{method.upper()} {path} has no request example"
    if "response" in wanted:
        assert _has_response_example(op), f"{method.upper()} {path} has no response example"
