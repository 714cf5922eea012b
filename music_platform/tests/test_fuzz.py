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

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

# A 400 for schema-valid input is a bug (the schema promises more than the API takes) unless
# the input is wrong in a way no schema can say: an id or slug that names nothing, a token or
# password that is not the right one, a cursor the server did not issue, a rule across
# fields, a date window relative to today. Those, and only those, pass
# ``positive_data_acceptance``.
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
    ("non_field_errors", "invalid"),  # a rule across fields (e.g. song, or title and artist)
    ("from", "invalid"),  # date windows bounded relative to today
    ("to", "invalid"),
}


def _semantic_refusal(response) -> bool:
    if response.status_code != 400:
        return False
    try:
        errors = response.json()["errors"]
    except (ValueError, KeyError, TypeError):
        return False
    return bool(errors) and all(
        error["code"] in SEMANTIC_REFUSALS
        or (error["attr"], error["code"]) in SEMANTIC_REFUSALS_BY_ATTR
        or (str(error["attr"]).endswith("occurred_at") and error["code"] == "min_value")
        # any rule across fields (no_seeds, too_many_seeds...): no schema can state one
        or error["attr"] == "non_field_errors"
        for error in errors
    )


@schemathesis.check
def positive_data_acceptance_but_semantic_refusals(ctx, response, case):
    """``positive_data_acceptance``, except for the refusals above."""
    if _semantic_refusal(response):
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


# Failures this run still finds (2026-11-26), each a real disagreement between the schema and
# the API, left to the apps' owners: expected failures (XPASS in the summary once fixed);
# anything not listed fails as usual.
_SIGNED_IN = ("listener", "artist", "editor", "admin")
KNOWN_FAILURES: dict[str, tuple[tuple[str, ...], str]] = {
    "GET /api/v1/charts/{slug}/history/": (
        tuple(FUZZ_ROLES),
        "'title' and 'artist' must come together, which the schema does not say",
    ),
    "POST /api/v1/albums/": (
        tuple(FUZZ_ROLES),
        "'artist' is optional in the schema but required unless the caller owns one artist",
    ),
    "POST /api/v1/songs/": (
        ("editor", "admin"),
        "'artist or album' (a rule across fields) is reported on 'artist' as 'required'",
    ),
    # DRF's CharField turns a JSON number into a string ("description": 0 -> "0"); a strict
    # string field for JSON bodies (like common.fields.JSONBooleanField) is the fix.
    "POST /api/v1/artists/": (("editor", "admin"), "string fields take numbers"),
    "POST /api/v1/playlists/": (_SIGNED_IN, "string fields take numbers"),
    "POST /api/v1/analytics/events/": (
        _SIGNED_IN,
        "schema-valid events refused (position_ms/action rules not in the schema)",
    ),
    "PATCH /api/v1/users/me/": (_SIGNED_IN, "a blank email is accepted against the schema"),
    "GET /api/v1/users/": (("admin",), "?is_blocked=null is accepted as 'both'"),
}


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
