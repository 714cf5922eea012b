"""The API docs render with no internet: Swagger UI and ReDoc come from this server."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_their_assets_from_this_server(client, path):
    html = client.get(path).content.decode()
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_the_operations_in_headless_chromium(live_server, browser_dom):
    dom = browser_dom(f"{live_server.url}/api/docs/")
    assert 'class="swagger-ui' in dom, dom[-2000:]
    assert "opblock-tag" in dom  # operation groups drawn from /api/schema/
    assert "/api/v1/songs/" in dom
