"""The staff analytics dashboard loads the live panel's script, which the realtime app ships."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from users.tests.factories import EditorFactory


@pytest.mark.django_db
def test_the_dashboard_loads_the_live_panel():
    client = Client()
    client.force_login(EditorFactory())
    response = client.get("/admin/analytics/")
    assert response.status_code == 200
    assert b'<script src="/static/realtime/live.js"></script>' in response.content


def test_the_live_panel_subscribes_to_analytics_live():
    path = finders.find("realtime/live.js")
    assert path is not None
    script = Path(path).read_text()
    assert '{ action: "subscribe", channel: "analytics:live" }' in script
    assert 'body.event === "live_stats"' in script
