"""``seed_demo`` builds a usable demo and is idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command

from catalog import selectors
from catalog.demo import DEMO_PASSWORD, seed_catalog_demo
from catalog.models import Album, AlbumLike, Artist, Playlist, PlaylistActivity, PlaylistSong, Song
from users.models import Role, User

pytestmark = pytest.mark.django_db


def snapshot() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            Artist,
            Album,
            Song,
            Playlist,
            PlaylistSong,
            PlaylistActivity,
            AlbumLike,
        )
    }


@pytest.mark.slow
def test_seed_is_complete_and_idempotent(client_for):
    first = seed_catalog_demo()
    before = snapshot()
    assert first["created"]["users"] == 7
    assert first["totals"]["songs"] >= 200 and first["totals"]["albums"] >= 25
    roles = {info["role"] for info in first["users"].values()}
    assert roles == {Role.LISTENER, Role.ARTIST, Role.EDITOR, Role.ADMIN}
    for username in first["users"]:
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD)
    nova = User.objects.get(username="nova")
    assert nova.artist_profile.albums.exists()
    assert User.objects.get(username="admin").is_superuser
    assert Album.objects.exclude(cover="").count() == len(first["album_ids"])
    assert Playlist.objects.filter(collaborators__isnull=False).exists()
    assert AlbumLike.objects.count() == first["album_likes"] > 0
    # Content in every visibility state, so the role rules show in the demo.
    assert Album.objects.filter(is_public=False).exists()
    assert Album.objects.filter(is_visible=False).exists()
    assert Song.objects.filter(is_visible=False).exists()
    # Positions stay contiguous after the seeded reorders and removals.
    for playlist in Playlist.objects.all():
        positions = list(playlist.entries.order_by("position").values_list("position", flat=True))
        assert positions == list(range(len(positions)))

    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert snapshot() == before
    assert "Created this run: 0 users, 0 genres, 0 artists, 0 albums, 0 songs" in out.getvalue()
    assert f"password: {DEMO_PASSWORD}" in out.getvalue()

    listener = User.objects.get(username="alice")
    visible = selectors.songs_visible_to(user=listener).filter(pk__in=first["song_ids"]).count()
    assert 0 < visible < len(first["song_ids"])
    response = client_for(listener).get("/api/v1/playlists/")
    assert response.status_code == 200 and response.json()["count"] >= 2
