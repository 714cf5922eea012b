"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis).

Every operation gets a bounded number of generated requests, valid and invalid ones
(schemathesis' positive and negative generation), sent as each role in turn: anonymous,
listener, artist, editor and admin. Every check schemathesis has runs on every response
(no 5xx, the response matches the schema, invalid data is rejected with a 4xx, valid data is
not, declared auth is not ignored, deleted resources stay gone, headers and content types as
declared...). Endpoints added later are covered automatically: the schema is read at
collection time.
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.specs.openapi.checks import positive_data_acceptance

from catalog.tests.factories import AlbumFactory, OwnedArtistFactory, PlaylistFactory, SongFactory
from music_platform.wsgi import application
from users.tests.factories import AdminFactory, ArtistUserFactory, EditorFactory, UserFactory

# JSON, not the view's default YAML: the same schema, rendered and parsed in a fraction of the
# time (every xdist worker loads it when collecting, `make test-fast` included).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

# A 400 for schema-valid input is a bug (the schema promises more than the API takes) unless
# the input is wrong in a way no schema can say: an id or slug that names nothing, a token or
# password that is not the right one, a cursor the server did not issue, a date window
# relative to today, or a rule across fields (or by role) that OpenAPI 3 cannot state. Those,
# and only those, pass ``positive_data_acceptance``.
SEMANTIC_REFUSALS = {
    "does_not_exist",  # a well-formed reference to a row that is not there
    "not_found",
    "invalid_token",  # e-mail confirmation and password-reset links
    "wrong_password",
    "token_not_valid",
}
SEMANTIC_REFUSALS_BY_ATTR = {
    ("cursor", "invalid"),  # cursors are opaque: only ones the server issued work
    ("refresh", "invalid"),  # a refresh token is only valid if the server signed it
    ("from", "invalid"),  # date windows bounded relative to today
    ("to", "invalid"),
}
# Rules across fields or by role, each with its own code. Accepted only where the operation
# documents it: the code listed for that attr in its 400 response (or, where that response
# leaves codes open, named as `code` in the operation's description). A refusal with a
# generic code ('required', 'invalid') or an undocumented one fails.
RULE_CODES = {
    "artist_required",  # POST /albums/: editors and admins name the artist
    "artist_or_album",  # POST /songs/: editors and admins give an artist or an album
    "artist_profile_exists",  # POST /artists/: an artist account manages one profile
    "song_id_or_song_ids",  # POST /playlists/{id}/songs/: exactly one of the two
    "song_or_title_artist",  # GET /charts/{slug}/history/: one way of naming the track
    "title_artist_together",
    "no_seeds",  # recommendation seeds: 1 to 5 across three parameters
    "too_many_seeds",
    "past_song_end",  # POST /analytics/events/: position_ms against the song and the action
    "complete_before_end",
    "skip_at_end",
}


def _resolve(node: dict) -> dict:
    """``node`` with its local ``$ref`` followed."""
    while "$ref" in node:
        target = schema.raw_schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _error_items(node: dict):
    """The error item schemas (``{attr, code, detail}``) of an error response schema."""
    node = _resolve(node)
    for key in ("oneOf", "anyOf", "allOf"):
        for option in node.get(key, ()):
            yield from _error_items(option)
    properties = node.get("properties", {})
    if "errors" in properties:
        yield from _error_items(_resolve(properties["errors"]).get("items", {}))
    elif "code" in properties:
        yield node


def _documents_rule(operation, attr: str, code: str) -> bool:
    """Whether ``operation`` documents a 400 ``code`` for ``attr`` (see RULE_CODES)."""
    definition = operation.definition.raw
    content = definition.get("responses", {}).get("400", {}).get("content", {})
    for media in content.values():
        for item in _error_items(media.get("schema", {})):
            attrs = _resolve(item["properties"]["attr"]).get("enum")
            codes = _resolve(item["properties"]["code"]).get("enum")
            if attrs is not None and attr not in attrs:
                continue
            if codes is not None and code in codes:
                return True
            if codes is None and f"`{code}`" in definition.get("description", ""):
                return True
    return False


def _semantic_refusal(response, operation) -> bool:
    if response.status_code != 400:
        return False
    try:
        errors = response.json()["errors"]
    except (ValueError, KeyError, TypeError):
        return False
    return bool(errors) and all(_semantic_error(error, operation) for error in errors)


def _semantic_error(error: dict, operation) -> bool:
    code, attr = error["code"], error["attr"]
    if code in RULE_CODES:
        return _documents_rule(operation, attr, code)
    return (
        code in SEMANTIC_REFUSALS
        or (attr, code) in SEMANTIC_REFUSALS_BY_ATTR
        # a time window relative to now ("occurred_at" of an event, in a batch "<i>.occurred_at")
        or (str(attr).endswith("occurred_at") and code in ("min_value", "max_value"))
    )


@schemathesis.check
def positive_data_acceptance_but_semantic_refusals(ctx, response, case):
    """``positive_data_acceptance``, except for the refusals above."""
    if _semantic_refusal(response, case.operation):
        return None
    return positive_data_acceptance(ctx, response, case)


FUZZ_ROLES = ["anonymous", "listener", "artist", "editor", "admin"]


@pytest.fixture
def keep_db_connection():
    """Do what Django's test client does: keep the test transaction's connection open."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _account(role: str):
    if role == "anonymous":
        return None
    if role == "artist":
        user = ArtistUserFactory(username="fuzz-artist")
        artist = OwnedArtistFactory(user=user)
        album = AlbumFactory(artist=artist)
        SongFactory.create_batch(2, artist=artist, album=album)
        return user
    factory = {"listener": UserFactory, "editor": EditorFactory, "admin": AdminFactory}[role]
    return factory(username=f"fuzz-{role}")


@pytest.fixture(params=FUZZ_ROLES)
def fuzz_role(request, db, keep_db_connection) -> tuple[str, dict[str, str]]:
    SongFactory.create_batch(3)
    user = _account(request.param)
    if user is None:
        PlaylistFactory(is_public=True)
        return request.param, {}
    PlaylistFactory(owner=user)
    return request.param, {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


# Operations where the server and the schema still disagree, as {label: (roles, reason)}:
# expected failures until fixed. None are left: each disagreement found so far was fixed at
# its root (strict JSON fields, documented rule codes, bounds stated in the schema).
KNOWN_FAILURES: dict[str, tuple[tuple[str, ...], str]] = {}


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    # No shrinking: a failure already names the request (curl line); shrinking one could take
    # minutes and the run is meant to stay bounded.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, fuzz_role, request):
    role, headers = fuzz_role
    roles, reason = KNOWN_FAILURES.get(case.operation.label, ((), ""))
    if role in roles:
        # Not strict: some of these fail only on some generated examples (an XPASS is then
        # reported, not failed), and schemathesis' pytest plugin cannot report a strict XPASS.
        request.applymarker(pytest.mark.xfail(reason=f"known: {reason}", strict=False))
    case.call_and_validate(
        headers=headers,
        excluded_checks=[positive_data_acceptance],
        additional_checks=[positive_data_acceptance_but_semantic_refusals],
    )


# --- the check itself (fast: real requests, no fuzzing) ---------------------------------------


@pytest.mark.django_db
def test_a_rule_code_is_a_semantic_refusal_only_where_documented(client_for):
    response = client_for(EditorFactory()).post("/api/v1/albums/", {"title": "A"}, format="json")
    assert response.json()["errors"][0]["code"] == "artist_required"
    assert _semantic_refusal(response, schema["/api/v1/albums/"]["POST"])
    # The same refusal from an operation that does not document it fails the check.
    assert not _semantic_refusal(response, schema["/api/v1/playlists/"]["POST"])


@pytest.mark.django_db
def test_a_rule_code_of_an_open_error_format_must_be_named_in_the_description(client_for):
    song = SongFactory(duration_ms=200_000)
    body = {"song": song.pk, "action": "complete", "position_ms": 1_000}
    response = client_for(UserFactory()).post("/api/v1/analytics/events/", body, format="json")
    assert response.json()["errors"][0]["code"] == "complete_before_end"
    assert _semantic_refusal(response, schema["/api/v1/analytics/events/"]["POST"])
    assert not _semantic_refusal(response, schema["/api/v1/analytics/summary/"]["GET"])


@pytest.mark.django_db
def test_generic_refusals_are_not_semantic(client_for):
    client = client_for(UserFactory())
    blank = client.patch("/api/v1/users/me/", {"email": ""}, format="json")
    assert not _semantic_refusal(blank, schema["/api/v1/users/me/"]["PATCH"])
    # Any error "across fields" used to pass; only the documented rule codes do now.
    not_object = client.post("/api/v1/analytics/events/", ["x"], format="json")
    assert not_object.json()["errors"][0]["attr"] == "0.non_field_errors"
    whole = client.post("/api/v1/analytics/events/", "x", format="json")
    assert whole.json()["errors"][0] == {
        "code": "invalid",
        "detail": "Send one event object or a list of events.",
        "attr": "non_field_errors",
    }
    assert not _semantic_refusal(whole, schema["/api/v1/analytics/events/"]["POST"])
