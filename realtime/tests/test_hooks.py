"""The apps' own writes publish on their channels: chart ingest, blocking and deleting users
(through the users services), picks refreshed. The consumer side is in test_consumers."""

from datetime import date

from charts.tests.factories import ChartFactory, ingest
from realtime.tests.conftest import Client, orm, run
from recommendations import services as recommendations_services
from users import services as users_services
from users.tests.factories import UserFactory


def commit(django_capture_on_commit_callbacks, function, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return function(**kwargs)


def test_a_chart_ingest_publishes_snapshot_ingested(db, django_capture_on_commit_callbacks):
    chart = ChartFactory(slug="weekly-top")

    async def scenario():
        async with Client() as ws:
            await ws.subscribe("chart:weekly-top")
            days = {date(2026, 11, 24): ["a", "b"], date(2026, 11, 25): ["b", "a"]}
            await orm(commit)(django_capture_on_commit_callbacks, ingest, chart=chart, days=days)
            message = await ws.receive()
            assert (message["event"], message["data"]) == (
                "snapshot_ingested",
                {"date": "2026-11-25", "dates": ["2026-11-24", "2026-11-25"]},
            )

    run(scenario)


def test_blocking_through_the_users_service_closes_the_socket(
    db, django_capture_on_commit_callbacks
):
    user = UserFactory()

    async def scenario():
        async with Client(user) as ws:
            await ws.subscribe("user:me")
            await orm(commit)(
                django_capture_on_commit_callbacks,
                users_services.user_admin_update,
                user=user,
                is_blocked=True,
            )
            assert await ws.closed_with() == 4403

    run(scenario)


def test_a_picks_refresh_tells_the_listener(db, django_capture_on_commit_callbacks):
    user = UserFactory()

    async def scenario():
        async with Client(user) as ws:
            await ws.subscribe("user:me")
            await orm(commit)(
                django_capture_on_commit_callbacks,
                recommendations_services.user_picks_refresh,
                user_ids=[user.pk],
            )
            message = await ws.receive()
            assert (message["channel"], message["event"]) == ("user:me", "picks_refreshed")
            assert set(message["data"]) == {"generated_at"}

    run(scenario)
