"""Album likes: idempotent, counted right, cached in Redis (cache-aside) and invalidated."""

import pytest
from django.core.cache import cache

from catalog import selectors
from catalog.models import AlbumLike
from catalog.tests.factories import AlbumFactory, AlbumLikeFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def album():
    return AlbumFactory()


def likes_url(album) -> str:
    return f"/api/v1/albums/{album.pk}/likes/"


def like_url(album) -> str:
    return f"/api/v1/albums/{album.pk}/like/"


def test_count_comes_from_the_database_then_the_cache(album, client_for):
    AlbumLikeFactory.create_batch(3, album=album)
    client = client_for(None)
    first = client.get(likes_url(album))
    assert first.status_code == 200
    assert first.json() == {"likes": 3}
    assert first["X-Data-Source"] == "database"
    second = client.get(likes_url(album))
    assert second.json() == {"likes": 3}
    assert second["X-Data-Source"] == "cache"
    assert cache.get(selectors.album_likes_cache_key(album.pk)) == 3


def test_like_and_unlike_are_idempotent_and_invalidate_the_cache(album, client_for):
    user = UserFactory()
    client = client_for(user)
    AlbumLikeFactory(album=album)
    client.get(likes_url(album))
    assert client.get(likes_url(album))["X-Data-Source"] == "cache"

    response = client.post(like_url(album))
    assert response.status_code == 200
    assert response.json() == {"likes": 2}
    assert response["X-Data-Source"] == "database"  # the cached 1 was dropped
    again = client.post(like_url(album))
    assert again.json() == {"likes": 2}
    assert again["X-Data-Source"] == "cache"  # nothing changed, the cache stays
    assert AlbumLike.objects.filter(user=user, album=album).count() == 1

    response = client.delete(like_url(album))
    assert response.status_code == 200
    assert response.json() == {"likes": 1}
    assert response["X-Data-Source"] == "database"
    again = client.delete(like_url(album))
    assert again.json() == {"likes": 1}
    assert client.get(likes_url(album)).json() == {"likes": 1}


def test_counts_are_per_album(client_for):
    first, second = AlbumFactory(), AlbumFactory()
    AlbumLikeFactory.create_batch(2, album=first)
    client = client_for(UserFactory())
    client.post(like_url(second))
    assert client.get(likes_url(first)).json() == {"likes": 2}
    assert client.get(likes_url(second)).json() == {"likes": 1}


def test_anonymous_cannot_like(album, client_for):
    assert client_for(None).post(like_url(album)).status_code == 401
    assert client_for(None).delete(like_url(album)).status_code == 401


def test_redis_outage_falls_back_to_the_database(album, client_for, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens here
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2},
        }
    }
    # pytest-django's settings fixture resets the cache handlers on change and on restore.
    AlbumLikeFactory(album=album)
    for _ in range(2):
        response = client_for(None).get(likes_url(album))
        assert response.json() == {"likes": 1}
        assert response["X-Data-Source"] == "database"
