"""Run by test_db_router.py in its own process, with DATABASE_URL (the primary) and
DATABASE_REPLICA_URL (a copy of it taken after migrating) set: every step reads the real
databases and prints what it saw as one JSON object for the test to compare.

Not a test module (no ``test_`` prefix): the test suite's own processes have no replica.
"""

import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "music_platform.settings_test")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connections, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from analytics.models import ListeningEvent  # noqa: E402
from charts.models import Chart  # noqa: E402
from charts.tests.factories import ChartFactory  # noqa: E402
from music_platform import db_router  # noqa: E402
from users.models import User  # noqa: E402
from users.tests.factories import UserFactory  # noqa: E402


def database_of(alias: str) -> str:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT current_database()")
        return cursor.fetchone()[0]


def analytics_sql_database() -> str:
    from analytics.sql import read_cursor

    with read_cursor() as cursor:
        cursor.execute("SELECT current_database()")
        return cursor.fetchone()[0]


def api_chart_slugs(client: Client) -> list[str]:
    cache.clear()  # the list must come from a database, not from Redis
    response = client.get("/api/v1/charts/", {"limit": 100})
    assert response.status_code == 200, response.content
    return sorted(chart["slug"] for chart in response.json()["results"])


def main() -> None:
    setup_test_environment()  # the test client's host, outbox
    seen: dict[str, object] = {
        "databases": {alias: database_of(alias) for alias in ("default", "replica")},
        "routes": {
            "charts": db_router.read_alias(Chart),
            "analytics": db_router.read_alias(ListeningEvent),
            "users": db_router.read_alias(User),
        },
    }

    # A chart written now exists on the primary only (the replica was copied before).
    db_router.unpin()
    ChartFactory(slug="on-primary-only")
    seen["pinned_after_write"] = db_router.read_alias(Chart)
    seen["read_after_write_sees_it"] = Chart.objects.filter(slug="on-primary-only").exists()

    # Analytics' raw SQL (selectors) follows the router like the ORM: the primary while
    # pinned by the write above, the replica once a new request starts.
    seen["analytics_sql_after_write"] = analytics_sql_database()
    db_router.unpin()
    seen["analytics_sql"] = analytics_sql_database()

    # A new request starts unpinned: its chart reads go to the replica.
    db_router.unpin()
    seen["fresh_read_sees_it"] = Chart.objects.filter(slug="on-primary-only").exists()
    with transaction.atomic():
        seen["read_in_transaction_sees_it"] = Chart.objects.filter(slug="on-primary-only").exists()

    # Only the replica has this one (as if it were a newer state): the API lists it.
    with connections["replica"].cursor() as cursor:
        cursor.execute(
            "INSERT INTO charts_chart (slug, name, source, country, kind, feed_url, size,"
            " active, etag, last_modified, created_at, updated_at) VALUES ('on-replica-only',"
            " 'Replica', 'spotify_csv', 'us', 'songs', '', 10, true, '', '', now(), now())"
        )
    client = Client()
    seen["api_charts"] = api_chart_slugs(client)

    # Other apps read the primary: a user created now is found at once.
    db_router.unpin()
    user = UserFactory(username="fresh-listener")
    db_router.unpin()
    seen["user_found"] = User.objects.filter(pk=user.pk).exists()

    # Each request starts unpinned (PrimaryPinMiddleware), whatever the thread did before,
    # and gives the caller's state back afterwards.
    db_router.pin_to_primary()
    seen["api_charts_from_pinned_thread"] = api_chart_slugs(client)
    seen["route_after_request"] = db_router.read_alias(Chart)
    # A Celery task reads the primary: the rows it was enqueued for may not be replicated yet.
    from celery import signals

    db_router.unpin()
    signals.task_prerun.send(sender=None, task_id="t", task=None)
    seen["route_in_task"] = db_router.read_alias(Chart)
    seen["task_sees_new_chart"] = Chart.objects.filter(slug="on-primary-only").exists()
    print(json.dumps(seen, sort_keys=True))


if __name__ == "__main__":
    main()
