"""The staff dashboard at /admin/analytics/: the page, the data it draws, a real browser."""

import http.server
import threading
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone

from analytics import services
from analytics.tests.factories import ListeningEventFactory
from catalog.tests.factories import SongFactory
from users.models import User
from users.tests.factories import ArtistUserFactory, EditorFactory, UserFactory

PAGE = "/admin/analytics/"
DATA = "/admin/analytics/data/"


def _staff_client(user=None) -> Client:
    client = Client()
    client.force_login(user or EditorFactory())
    return client


@pytest.fixture
def played(db):
    song = SongFactory(title="Night Drive")
    listener = UserFactory()
    now = timezone.now()
    for days, action in ((0, "play"), (0, "complete"), (1, "play"), (2, "skip"), (3, "like")):
        ListeningEventFactory(
            user=listener, song=song, action=action, occurred_at=now - timedelta(days=days)
        )
    for _ in range(3):  # implausible repeats: stored, flagged, counted only as flagged
        ListeningEventFactory(
            user=listener, song=song, occurred_at=now, flagged=True, flag_reason="repeat"
        )
    services.rollup_run()
    return song


@pytest.mark.django_db
def test_dashboard_page_loads_chartjs_and_its_data_endpoint(played):
    response = _staff_client().get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    for needle in (
        "/static/analytics/chart.umd.js",
        "/static/analytics/dashboard.js",
        'data-url="/admin/analytics/data/"',
        'id="chart-daily"',
        'id="chart-actions"',
        'id="chart-songs"',
        'id="chart-artists"',
        'type="date"',
    ):
        assert needle in html, needle
    assert "cdn" not in html.lower()
    # The chart library is served from our own static files.
    chart_js = Path(finders.find("analytics/chart.umd.js")).read_text()
    assert "Chart.js v4" in chart_js[:200]
    assert finders.find("analytics/dashboard.js")


@pytest.mark.django_db
def test_dashboard_data_endpoint(played):
    today = timezone.now().date()
    params = {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()}
    response = _staff_client().get(DATA, params)
    assert response.status_code == 200
    body = response.json()
    assert body["events_by_action"] == {"play": 2, "complete": 1, "skip": 1, "like": 1, "share": 0}
    assert [d["day"] for d in body["daily"]][0] == params["from"]
    assert len(body["daily"]) == 7
    assert body["daily"][-1]["plays"] == 1
    assert body["daily"][-1]["flagged_plays"] == 3 and body["daily"][0]["flagged_plays"] == 0
    assert (body["flagged_plays"], body["flagged_events"]) == (3, 3)
    assert body["top_songs"][0]["song"]["title"] == "Night Drive"
    assert body["top_artists"][0]["plays"] == 2
    assert body["data_through"] and body["generated_at"]
    bad = _staff_client().get(DATA, {"from": "2025-03-01", "to": "2025-01-01"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["attr"] == "from"


@pytest.mark.django_db
def test_dashboard_is_for_editors_and_admins_only():
    anonymous = Client().get(PAGE)
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
    listener = Client()
    listener.force_login(UserFactory())
    assert listener.get(PAGE).status_code == 302
    assert listener.get(DATA).status_code == 302
    artist = Client()
    artist.force_login(ArtistUserFactory())
    assert artist.get(PAGE).status_code == 302
    # Staff flag without an editor/admin role (set behind the model's back) is refused.
    odd = UserFactory()
    User.objects.filter(pk=odd.pk).update(is_staff=True)
    odd.refresh_from_db()
    assert _staff_client(odd).get(PAGE).status_code == 403
    assert _staff_client(odd).get(DATA).status_code == 403


# --- a real browser (skipped without Chromium; required in CI) ---------------------------


def _cookie_proxy(target: str, cookie: str) -> http.server.ThreadingHTTPServer:
    """A loopback reverse proxy that adds the session cookie (Chromium's command line
    cannot set cookies)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            request = urllib.request.Request(target + self.path, headers={"Cookie": cookie})
            try:
                with urllib.request.urlopen(request, timeout=10) as upstream:
                    status, headers, body = upstream.status, upstream.headers, upstream.read()
            except urllib.error.HTTPError as error:
                status, headers, body = error.code, error.headers, error.read()
            self.send_response(status)
            self.send_header("Content-Type", headers.get("Content-Type", "text/html"))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_dashboard_draws_charts_in_headless_chromium(live_server, played, browser_dom):
    client = _staff_client()
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    proxy = _cookie_proxy(live_server.url, cookie)
    url = f"http://127.0.0.1:{proxy.server_address[1]}{PAGE}"
    try:
        dom = browser_dom(url)
    finally:
        proxy.shutdown()
    assert 'data-loaded="true"' in dom, dom[-2000:]
    assert 'id="card-play">2<' in dom
    assert 'id="card-flagged">3<' in dom
    assert "data through" in dom
