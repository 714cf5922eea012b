"""The test suite's own shortcuts (root conftest) keep what they replace: the cached OpenAPI
schema is a private copy for each caller and still reports its warnings, and the quicker flush
after a transactional test still leaves every table empty."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.tests.factories import PlaylistFactory, SongFactory
from conftest import SCHEMA_CACHE


class _Undocumented(APIView):
    """A view drf-spectacular cannot describe (no serializer): generating warns."""

    def get(self, request):
        return Response({})


urlpatterns = [path("undocumented/", _Undocumented.as_view())]


def test_each_caller_gets_its_own_copy_of_the_cached_schema():
    first = SchemaGenerator().get_schema(request=None, public=True)
    first["paths"].clear()
    second = SchemaGenerator().get_schema(request=None, public=True)
    assert "/api/v1/songs/" in second["paths"]
    assert SCHEMA_CACHE.entries  # the second came from the cache


def test_a_cached_schema_still_fails_on_its_warnings(tmp_path, capsys):
    for _ in range(2):  # the first generates, the second is served from the cache
        with pytest.raises(CommandError, match="warnings"):
            call_command(
                "spectacular",
                "--urlconf",
                __name__,
                "--fail-on-warn",
                "--file",
                str(tmp_path / "schema.yml"),
            )
        assert "unable to guess serializer" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_the_flush_after_a_transactional_test_empties_every_table():
    PlaylistFactory(songs=SongFactory.create_batch(2))
    assert connection.ops.sql_flush.only_tables_with_rows
    call_command("flush", verbosity=0, interactive=False)
    counts = {
        model._meta.db_table: model._base_manager.count()
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
    }
    assert {table: count for table, count in counts.items() if count} == {
        # content types and permissions, created again after a flush (post_migrate), as always
        "django_content_type": counts["django_content_type"],
        "auth_permission": counts["auth_permission"],
    }
