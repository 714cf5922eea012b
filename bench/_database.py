"""A throw-away benchmark database: ``<prefix>_<name>`` of the configured database (prefix
``bench`` by default), created and migrated for the run, dropped after it unless kept (shared
by the benchmark scripts)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bench_database(*, keep: bool, prefix: str = "bench") -> Iterator[None]:
    from django.conf import settings
    from django.db import connection

    database = settings.DATABASES["default"]
    database.setdefault("TEST", {})["NAME"] = f"{prefix}_{database['NAME']}"
    old_name = database["NAME"]
    print(f"Creating and migrating {database['TEST']['NAME']} ...", flush=True)
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        if not keep:
            connection.creation.destroy_test_db(old_name, verbosity=0)
