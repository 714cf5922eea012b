"""GET /recommendations/me/ is stored per caller: never shared, never stale after a write."""

import pytest
from django.core.cache import cache

from catalog.tests.factories import ArtistFactory, SongFactory
from recommendations import services
from recommendations.models import UserPicks
from users.models import Role
from users.tests.factories import UserFactory

URL = "/api/v1/recommendations/me/"
pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.content
    return [t["song"]["id"] for t in response.json()["tracks"]]


def test_second_read_is_the_stored_page_with_the_same_body_and_headers(client_for):
    SongFactory.create_batch(3)
    user = UserFactory()
    services.user_picks_refresh(user_ids=[user.pk])
    client = client_for(user)

    first, second = client.get(URL), client.get(URL)

    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    assert second.content == first.content
    assert second["X-Data-Source"] == "cache"
    assert second["ETag"] == first["ETag"]
    assert second["Cache-Control"] == "private, no-cache"
    assert client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_picks_computed_on_the_spot_are_stored_from_the_next_read(client_for):
    SongFactory.create_batch(2)
    client = client_for(UserFactory())

    # The refresh inside the first read bumps the picks after the lookup: that page is
    # stored under the old generation, the next read stores it anew, the third is a hit.
    responses = [client.get(URL) for _ in range(3)]

    assert [r["X-Cache"] for r in responses] == ["miss", "miss", "hit"]
    assert [r["X-Data-Source"] for r in responses] == ["computed", "cache", "cache"]
    assert responses[0].content == responses[1].content == responses[2].content


def test_recomputed_picks_are_served_at_once(client_for):
    old = SongFactory(popularity=10)
    user = UserFactory()
    services.user_picks_refresh(user_ids=[user.pk])
    client = client_for(user)
    assert ids(client.get(URL)) == [old.id]
    assert client.get(URL)["X-Cache"] == "hit"

    new = SongFactory(popularity=90)
    # SongFactory's save bumped the catalog; read again so the page is stored anew.
    assert ids(client.get(URL)) == [old.id]
    assert client.get(URL)["X-Cache"] == "hit"
    services.user_picks_refresh(user_ids=[user.pk])

    response = client.get(URL)
    assert response["X-Cache"] == "miss"
    assert ids(response) == [new.id, old.id]
    assert response.json()["generated_at"] == UserPicks.objects.get(
        user=user
    ).generated_at.isoformat().replace("+00:00", "Z")


def test_a_hidden_song_leaves_the_stored_page(client_for):
    keep, hide = SongFactory(popularity=10), SongFactory(popularity=20)
    user = UserFactory()
    services.user_picks_refresh(user_ids=[user.pk])
    client = client_for(user)
    assert ids(client.get(URL)) == [hide.id, keep.id]
    assert client.get(URL)["X-Cache"] == "hit"

    hide.is_visible = False
    hide.save()

    assert ids(client.get(URL)) == [keep.id]


def test_new_preferences_are_served_at_once(client_for, django_capture_on_commit_callbacks):
    loved = ArtistFactory(name="Loved")
    SongFactory.create_batch(2, popularity=100)
    favourite = SongFactory(artist=loved, popularity=1)
    user = UserFactory()
    services.user_picks_refresh(user_ids=[user.pk])
    client = client_for(user)
    assert ids(client.get(URL))[0] != favourite.id
    assert client.get(URL)["X-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(
            "/api/v1/users/me/preferences/",
            {"favorite_genres": [], "favorite_artists": [loved.id], "moods": []},
            format="json",
        )
    assert response.status_code == 200, response.content

    assert ids(client.get(URL))[0] == favourite.id


def test_pages_are_never_shared_between_users(client_for):
    indie_artist, jazz_artist = ArtistFactory(name="I"), ArtistFactory(name="J")
    SongFactory.create_batch(2, popularity=100)
    indie_song = SongFactory(artist=indie_artist, popularity=1)
    jazz_song = SongFactory(artist=jazz_artist, popularity=1)
    alice, bob = UserFactory(), UserFactory()
    for user, artist in ((alice, indie_artist), (bob, jazz_artist)):
        client_for(user).put(
            "/api/v1/users/me/preferences/",
            {"favorite_genres": [], "favorite_artists": [artist.id], "moods": []},
            format="json",
        )

    services.user_picks_refresh(user_ids=[alice.pk, bob.pk])
    alice_first = client_for(alice).get(URL)
    bob_first = client_for(bob).get(URL)
    alice_again, bob_again = client_for(alice).get(URL), client_for(bob).get(URL)

    assert ids(alice_first)[0] == indie_song.id
    assert ids(bob_first)[0] == jazz_song.id
    assert (alice_again["X-Cache"], bob_again["X-Cache"]) == ("hit", "hit")
    assert alice_again.content == alice_first.content
    assert bob_again.content == bob_first.content


def test_a_promoted_account_does_not_get_its_listener_page(client_for):
    shown = SongFactory(popularity=10)
    hidden = SongFactory(popularity=90, is_visible=False)
    user = UserFactory()
    services.user_picks_refresh(user_ids=[user.pk])
    UserPicks.objects.filter(user=user).update(
        items=[
            {"song": hidden.id, "score": 0.9, "reason": "Popular right now"},
            {"song": shown.id, "score": 0.5, "reason": "Popular right now"},
        ]
    )
    assert ids(client_for(user).get(URL)) == [shown.id]
    assert client_for(user).get(URL)["X-Cache"] == "hit"

    user.role = Role.EDITOR
    user.save()

    response = client_for(user).get(URL)
    assert response["X-Cache"] == "miss"


def test_picks_deleted_outside_the_services_are_not_served(client_for):
    SongFactory.create_batch(2)
    user = UserFactory()
    services.user_picks_refresh(user_ids=[user.pk])
    client = client_for(user)
    client.get(URL)
    assert client.get(URL)["X-Cache"] == "hit"

    UserPicks.objects.filter(user=user).delete()  # the admin, a script
    cache.delete(services.picks_cache_key(user.pk))  # as bench/recommendations.py does

    response = client.get(URL)
    assert (response["X-Cache"], response["X-Data-Source"]) == ("miss", "computed")
