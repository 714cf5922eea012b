"""The staff charts dashboard at /admin/charts/dashboard/: the page, its JSON, a real browser."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from analytics.tests.test_dashboard import _cookie_proxy
from catalog.tests.factories import SongFactory
from charts.models import ChartTrack
from users.models import User
from users.tests.factories import ArtistUserFactory, EditorFactory, UserFactory

from .factories import ChartFactory, ingest

PAGE = "/admin/charts/dashboard/"
DATA = "/admin/charts/dashboard/data/"
HISTORY = "/admin/charts/dashboard/history/"
D1 = date(2026, 11, 1)
D2, D3 = D1 + timedelta(1), D1 + timedelta(2)


def staff(user=None) -> Client:
    client = Client()
    client.force_login(user or EditorFactory())
    return client


@pytest.fixture
def chart(db):
    song = SongFactory(title="Climber", spotify_id="id-Climber")
    chart = ChartFactory(slug="platform-daily-songs", name="Top songs today")
    ingest(
        chart,
        {
            D1: ["Steady", "Leaver", "Climber"],
            D2: ["Climber", "Steady", "Leaver"],
            D3: ["Climber", "Newbie", "Steady"],
        },
    )
    return chart, song


def row(position, title, **fields):
    base = {
        "position": position,
        "title": title,
        "artist_name": f"Artist of {title}",
        "song": None,
        "artist": None,
        "previous_position": None,
        "movement": None,
        "is_new": False,
        "is_reentry": False,
        "peak_position": position,
        "days_on_chart": 1,
    }
    base.update(fields)
    base["track"] = ChartTrack.objects.get(key=f"spotify:id-{title}").pk
    return base


@pytest.mark.django_db
def test_data_has_entries_movers_new_and_dropped(chart):
    _, song = chart
    body = staff().get(DATA, {"chart": "platform-daily-songs", "date": str(D3)}).json()
    climber = row(
        1,
        "Climber",
        song=song.pk,
        artist=song.artist_id,
        previous_position=1,
        movement=0,
        days_on_chart=3,
    )
    newbie = row(2, "Newbie", is_new=True)
    steady = row(3, "Steady", previous_position=2, movement=-1, peak_position=1, days_on_chart=3)
    assert body == {
        "chart": {
            "slug": "platform-daily-songs",
            "name": "Top songs today",
            "kind": "songs",
            "source": "spotify_csv",
        },
        "date": str(D3),
        "previous_date": str(D2),
        "dates": [str(D3), str(D2), str(D1)],
        "entry_count": 3,
        "entries": [climber, newbie, steady],
        "movers_up": [],
        "movers_down": [steady],
        "new_entries": [newbie],
        "dropped": [
            row(3, "Leaver", previous_position=2, movement=-1, peak_position=2, days_on_chart=2)
        ],
    }
    latest = staff().get(DATA, {"chart": "platform-daily-songs"}).json()
    assert latest["date"] == str(D3)
    history = staff().get(HISTORY, {"chart": "platform-daily-songs", "track": climber["track"]})
    assert history.json()["points"] == [
        {"date": str(D1), "position": 3},
        {"date": str(D2), "position": 1},
        {"date": str(D3), "position": 1},
    ]


@pytest.mark.django_db
def test_bad_input_is_a_4xx_in_the_standard_format(chart):
    client = staff()
    for params, status, attr in (
        ({"chart": "platform-daily-songs", "date": "2026-13-01"}, 400, "date"),
        ({"chart": "platform-daily-songs", "extra": "1"}, 400, "extra"),
        ({}, 400, "chart"),
        ({"chart": "platform-daily-songs", "date": "2020-01-01"}, 404, None),
        ({"chart": "nope"}, 404, None),
    ):
        response = client.get(DATA, params)
        assert response.status_code == status, params
        assert response.json()["errors"][0]["attr"] == attr, params
    for params, status in (
        ({"chart": "platform-daily-songs", "track": "x"}, 400),
        ({"chart": "platform-daily-songs", "track": "999999"}, 404),
    ):
        assert client.get(HISTORY, params).status_code == status


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_chart(django_assert_num_queries):
    small, big = ChartFactory(slug="small"), ChartFactory(slug="big")
    ingest(small, {D1: ["a"], D2: ["a"]})
    ingest(big, {D1: [f"t{n}" for n in range(60)], D2: [f"t{n}" for n in reversed(range(60))]})
    client = staff()
    client.get(DATA, {"chart": "small"})  # session and user loaded once
    counts = []
    for slug in ("small", "big"):
        with django_assert_num_queries(10) as context:
            client.get(DATA, {"chart": slug})
        counts.append(len(context.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_the_dashboard_is_for_editors_and_admins_only(chart):
    assert Client().get(PAGE).status_code == 302
    for user in (UserFactory(), ArtistUserFactory()):
        assert staff(user).get(PAGE).status_code == 302
        assert staff(user).get(DATA, {"chart": "platform-daily-songs"}).status_code == 302
    odd = UserFactory()
    User.objects.filter(pk=odd.pk).update(is_staff=True)
    odd.refresh_from_db()
    assert staff(odd).get(PAGE).status_code == 403
    assert staff(odd).get(HISTORY, {"chart": "x", "track": 1}).status_code == 403


@pytest.mark.django_db
def test_the_page_loads_its_scripts_from_our_static_files(chart):
    html = staff().get(PAGE).content.decode()
    for needle in (
        "/static/analytics/chart.umd.js",
        "/static/charts/chart_socket.js",
        "/static/charts/dashboard.js",
        'data-url="/admin/charts/dashboard/data/"',
        '<option value="platform-daily-songs" selected>',
    ):
        assert needle in html, needle
    assert "cdn" not in html.lower()
    assert finders.find("charts/dashboard.js") and finders.find("charts/chart_socket.js")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_renders_in_headless_chromium(live_server, chart, browser_dom):
    client = staff()
    proxy = _cookie_proxy(live_server.url, f"sessionid={client.cookies['sessionid'].value}")
    try:
        dom = browser_dom(f"http://127.0.0.1:{proxy.server_address[1]}{PAGE}")
    finally:
        proxy.shutdown()
    assert 'data-loaded="true"' in dom, dom[-3000:]
    assert "Top songs today, 2026-11-03 (3 entries)" in dom
    # The top entries with their arrows; the first one's history drawn (3 days).
    assert '<td class="move-new">NEW</td><td>Newbie</td>' in dom
    assert '<td class="move-down">▼ 1</td><td>Steady</td>' in dom
    assert 'data-history-points="3"' in dom
    assert "Leaver – Artist of Leaver (was #3)" in dom
    # No realtime process in this test: the page says so instead of polling.
    assert "realtime service unreachable" in dom


@pytest.mark.django_db
def test_the_analytics_dashboard_has_a_charts_panel():
    html = staff().get("/admin/analytics/").content.decode()
    for needle in (
        'id="chartpanel" data-url="/admin/charts/dashboard/data/"',
        'data-charts-url="/api/v1/charts/?limit=100" data-default="platform-daily-songs"',
        '<script src="/static/charts/chart_socket.js"></script>',
        '<script src="/static/charts/panel.js"></script>',
    ):
        assert needle in html, needle
    script = Path(finders.find("charts/panel.js")).read_text()
    assert "window.followChart(" in script and '"new snapshot "' in script
    socket = Path(finders.find("charts/chart_socket.js")).read_text()
    assert 'channel: "chart:" + slug' in socket and 'body.event === "snapshot_ingested"' in socket


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_charts_panel_renders_in_headless_chromium(live_server, chart, browser_dom):
    ChartFactory(slug="empty-chart", name="Nothing yet")  # no snapshot: not offered
    client = staff()
    proxy = _cookie_proxy(live_server.url, f"sessionid={client.cookies['sessionid'].value}")
    try:
        dom = browser_dom(f"http://127.0.0.1:{proxy.server_address[1]}/admin/analytics/")
    finally:
        proxy.shutdown()
    panel = dom[dom.index('id="chartpanel"') :]
    assert 'data-loaded="true"' in panel[:400], panel[:3000]
    assert '<option value="platform-daily-songs">Top songs today</option>' in panel
    assert "Nothing yet" not in panel
    assert "2026-11-03 (3 entries)" in panel
    assert '<td class="move-new">NEW</td><td>Newbie – Artist of Newbie</td>' in panel
    assert '<td class="move-down">▼ 1</td><td>Steady – Artist of Steady</td>' in panel
