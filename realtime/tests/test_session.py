"""Staff pages signed in with a Django session (no JWT) open sockets from our own origin only."""

from __future__ import annotations

import pytest
from django.test import Client as DjangoClient

from realtime.tests.conftest import Client, run
from users.tests.factories import EditorFactory

pytestmark = pytest.mark.django_db


def session_headers(user, origin: str) -> list[tuple[bytes, bytes]]:
    browser = DjangoClient()
    browser.force_login(user)
    cookie = browser.cookies["sessionid"].value
    return [(b"origin", origin.encode()), (b"cookie", f"sessionid={cookie}".encode())]


def test_a_signed_in_editor_on_our_origin_gets_analytics_live(settings):
    settings.REALTIME_ANALYTICS_INTERVAL = 60
    editor = EditorFactory()
    headers = session_headers(editor, "http://testserver")

    async def scenario():
        async with Client(headers=headers) as ws:
            assert await ws.subscribe("analytics:live") == {
                "type": "subscribed",
                "channel": "analytics:live",
            }
            assert (await ws.receive())["event"] == "live_stats"

    run(scenario)


def test_the_same_cookie_from_another_site_is_anonymous(settings):
    editor = EditorFactory()
    headers = session_headers(editor, "https://evil.example")

    async def scenario():
        async with Client(headers=headers) as ws:
            reply = await ws.subscribe("analytics:live")
            assert (reply["type"], reply["code"]) == ("error", "forbidden")
            assert (await ws.subscribe("user:me"))["code"] == "forbidden"

    run(scenario)


def test_a_blocked_users_session_counts_for_nothing():
    editor = EditorFactory()
    headers = session_headers(editor, "http://testserver")
    editor.is_blocked = True
    editor.save(update_fields=["is_blocked"])

    async def scenario():
        async with Client(headers=headers) as ws:
            reply = await ws.subscribe("analytics:live")
            if "closed" not in reply:  # the session no longer names a user: anonymous
                assert (reply["type"], reply["code"]) == ("error", "forbidden")
            else:  # or it does, and the account check closes it
                assert reply == {"closed": 4403}

    run(scenario)
