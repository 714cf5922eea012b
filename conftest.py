"""Project-wide pytest fixtures (real PostgreSQL and Redis) and the `realdata` marker."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken


def _required(variable: str) -> bool:
    return os.environ.get(variable, "").lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str, *, required_by: str) -> None:
    """Skip with ``reason``; fail instead when CI sets ``required_by`` (a missing dependency
    of a mandatory check must never pass silently as a skip)."""
    if _required(required_by):
        pytest.fail(f"{reason} ({required_by}=1 makes this a failure)", pytrace=False)
    pytest.skip(reason)


def music_data_path(*parts: str) -> Path:
    """A path under the real datasets (``settings.MUSIC_DATA_DIR``)."""
    return Path(settings.MUSIC_DATA_DIR).joinpath(*parts)


def pytest_runtest_setup(item):
    marker = item.get_closest_marker("realdata")
    if marker is None:
        return
    missing = [
        str(music_data_path(folder))
        for folder in (marker.args or ("",))
        if not music_data_path(folder).exists()
    ]
    if missing:
        skip_or_fail(
            f"real datasets not found: MUSIC_DATA_DIR={settings.MUSIC_DATA_DIR} lacks "
            + ", ".join(missing),
            required_by="REQUIRE_MUSIC_DATA",
        )


@pytest.fixture
def music_data_dir() -> Path:
    """The real datasets' folder; use it in tests marked ``realdata``."""
    return Path(settings.MUSIC_DATA_DIR)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def bearer_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def client_for():
    """``client_for(user)`` -> an APIClient authenticated with a real JWT (None: anonymous)."""

    def make(user=None) -> APIClient:
        return bearer_client(user) if user is not None else APIClient()

    return make
