"""The replica router (music_platform.db_router) on two real PostgreSQL databases.

The suite itself runs without a replica, so this test builds its own pair: it migrates a
primary, copies it into a second database (the "replica", as a streaming replica would be at
that moment) and runs ``router_checks.py`` in a process configured with both URLs. Rows
written afterwards exist in only one of them, so every read shows which database served it.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

CHECKS = Path(__file__).with_name("router_checks.py")


def admin_connection(primary: dict) -> psycopg.Connection:
    return psycopg.connect(
        host=primary["HOST"], port=primary["PORT"] or 5432, user=primary["USER"],
        password=primary["PASSWORD"] or None, dbname="postgres", autocommit=True,
    )  # fmt: skip


@pytest.fixture
def primary_and_replica():
    base = settings.DATABASES["default"]
    # Named after the run's database (mp_<helper> locally, the CI database otherwise), so
    # runs side by side never drop each other's pair.
    name = f"{base['NAME'].removeprefix('test_')}_router"
    names = (name, f"{name}_replica")
    credentials = f"{base['USER']}" + (f":{base['PASSWORD']}" if base["PASSWORD"] else "")
    url = f"postgres://{credentials}@{base['HOST']}:{base['PORT'] or 5432}/"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "music_platform.settings_test",
        "PYTHONPATH": str(settings.BASE_DIR),
        "DATABASE_URL": url + names[0],
        "DATABASE_REPLICA_URL": url + names[1],
    }
    with admin_connection(base) as admin:
        for db in reversed(names):
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{names[0]}"')
    migrate_env = {k: v for k, v in env.items() if k != "DATABASE_REPLICA_URL"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=settings.BASE_DIR, env=migrate_env, check=True, timeout=300,
    )  # fmt: skip
    with admin_connection(base) as admin:
        admin.execute(f'CREATE DATABASE "{names[1]}" TEMPLATE "{names[0]}"')
    yield env, names
    with admin_connection(base) as admin:
        for db in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


@pytest.mark.slow
def test_chart_and_analytics_reads_go_to_the_replica_writes_and_their_reads_to_the_primary(
    primary_and_replica,
):
    env, (primary, replica) = primary_and_replica
    done = subprocess.run(
        [sys.executable, str(CHECKS)],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {
        "databases": {"default": primary, "replica": replica},
        "routes": {"charts": "replica", "analytics": "replica", "users": "default"},
        # read-your-writes: after a write, reads stay on the primary
        "pinned_after_write": "default",
        "read_after_write_sees_it": True,
        # analytics' raw SQL reads follow the same rule as the ORM
        "analytics_sql_after_write": primary,
        "analytics_sql": replica,
        # a fresh request reads charts from the replica, which has not got the row
        "fresh_read_sees_it": False,
        # inside a transaction reads use the primary's snapshot
        "read_in_transaction_sees_it": True,
        # the HTTP API's chart list is served by the replica
        "api_charts": ["on-replica-only"],
        # accounts are read from the primary
        "user_found": True,
        # a request starts unpinned whatever its thread did before, and restores it after
        "api_charts_from_pinned_thread": ["on-replica-only"],
        "route_after_request": "default",
        # tasks read the primary (enqueued after a commit the replica may not have yet)
        "route_in_task": "default",
        "task_sees_new_chart": True,
    }


def test_without_a_replica_the_router_leaves_every_read_to_the_default_database():
    from analytics.models import ListeningEvent
    from charts.models import Chart
    from music_platform.db_router import PrimaryReplicaRouter, read_alias

    assert "replica" not in settings.DATABASES
    router = PrimaryReplicaRouter()
    assert router.db_for_read(Chart) is None
    assert router.db_for_write(ListeningEvent) is None
    assert read_alias(Chart) == "default"
