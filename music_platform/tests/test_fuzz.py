"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis).

Every operation gets a bounded number of generated requests, authenticated as a normal
listener; any 5xx or a response that contradicts the schema fails the test. Endpoints
added later are covered automatically because the schema is read at collection time.
"""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework_simplejwt.tokens import RefreshToken
from schemathesis.checks import content_type_conformance, not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from catalog.tests.factories import PlaylistFactory, SongFactory
from music_platform.wsgi import application
from users.tests.factories import UserFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

FUZZ_CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def keep_db_connection():
    """Do what Django's test client does: keep the test transaction's connection open."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def listener_token(db, keep_db_connection):
    user = UserFactory(username="fuzzer")
    SongFactory.create_batch(3)
    PlaylistFactory(owner=user)
    return str(RefreshToken.for_user(user).access_token)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, listener_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {listener_token}"}, checks=FUZZ_CHECKS
    )
