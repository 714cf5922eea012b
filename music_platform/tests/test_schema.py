import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_openapi_schema_generates_without_warnings_or_errors(tmp_path, capsys):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")
    assert out.stat().st_size > 1000
    captured = capsys.readouterr()
    assert "Warning" not in captured.err and "Error" not in captured.err


@pytest.mark.django_db
def test_docs_pages_are_served(api_client):
    assert api_client.get("/api/schema/").status_code == 200
    assert api_client.get("/api/docs/").status_code == 200
