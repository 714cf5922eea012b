from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.tests.factories import OwnedArtistFactory, SongFactory
from users.tests.factories import AdminFactory, ArtistUserFactory, EditorFactory, UserFactory


@pytest.fixture
def listener(db):
    return UserFactory()


@pytest.fixture
def editor(db):
    return EditorFactory()


@pytest.fixture
def admin_user(db):
    return AdminFactory()


@pytest.fixture
def song(db):
    return SongFactory(duration_ms=200_000)


@pytest.fixture
def owned_artist(db):
    return OwnedArtistFactory(user=ArtistUserFactory())


@pytest.fixture
def today():
    return timezone.now().date()


@pytest.fixture
def days_ago():
    def at(days: int, hour: int = 12):
        moment = timezone.now() - timedelta(days=days)
        return moment.replace(hour=hour, minute=0, second=0, microsecond=0)

    return at
