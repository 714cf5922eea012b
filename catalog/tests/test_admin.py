"""The catalog admin: every model's pages open for staff, bulk actions, cover checks."""

import pytest
from django.contrib.admin.sites import site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import Album, AlbumLike, Artist, Genre, Playlist, PlaylistActivity, Song
from catalog.tests.factories import (
    AlbumFactory,
    AlbumLikeFactory,
    PlaylistActivityFactory,
    PlaylistFactory,
    SongFactory,
)
from catalog.tests.images import image_bytes
from users.tests.factories import EditorFactory, UserFactory

pytestmark = pytest.mark.django_db

MODELS = [Genre, Artist, Album, Song, Playlist, PlaylistActivity, AlbumLike]


@pytest.fixture
def editor_client(client):
    client.force_login(EditorFactory())
    return client


@pytest.fixture
def some_of_everything():
    album = AlbumFactory()
    songs = SongFactory.create_batch(3, album=album, artist=album.artist)
    playlist = PlaylistFactory(songs=songs)
    PlaylistActivityFactory(playlist=playlist, song=songs[0])
    AlbumLikeFactory(album=album)
    return album


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_and_change_pages_open_for_editors(model, editor_client, some_of_everything):
    assert model in site._registry
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    response = editor_client.get(reverse(f"{prefix}_changelist"))
    assert response.status_code == 200
    response = editor_client.get(reverse(f"{prefix}_changelist"), {"q": "a"})
    assert response.status_code == 200
    obj = model.objects.first()
    response = editor_client.get(reverse(f"{prefix}_change", args=[obj.pk]))
    assert response.status_code == 200


def test_listeners_are_kept_out(client, some_of_everything):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:catalog_album_changelist"))
    assert response.status_code == 302


def test_publish_and_hide_actions(editor_client):
    albums = AlbumFactory.create_batch(2)
    url = reverse("admin:catalog_album_changelist")
    ids = [a.pk for a in albums]
    editor_client.post(url, {"action": "hide", "_selected_action": ids})
    assert not Album.objects.filter(pk__in=ids, is_visible=True).exists()
    editor_client.post(url, {"action": "publish", "_selected_action": ids})
    assert Album.objects.filter(pk__in=ids, is_visible=True).count() == 2


def test_album_inline_lists_songs_in_track_order(editor_client):
    album = AlbumFactory()
    SongFactory(album=album, artist=album.artist, title="Second", track_number=2)
    SongFactory(album=album, artist=album.artist, title="First", track_number=1)
    html = editor_client.get(
        reverse("admin:catalog_album_change", args=[album.pk])
    ).content.decode()
    assert html.index('value="First"') < html.index('value="Second"')


def test_admin_cover_upload_is_checked(editor_client):
    album = AlbumFactory()
    url = reverse("admin:catalog_album_change", args=[album.pk])
    form = {
        "title": album.title,
        "artist": album.artist.pk,
        "genre": album.genre.pk,
        "year": album.year,
        "is_public": "on",
        "is_visible": "on",
        "songs-TOTAL_FORMS": "0",
        "songs-INITIAL_FORMS": "0",
        "songs-MIN_NUM_FORMS": "0",
        "songs-MAX_NUM_FORMS": "1000",
    }
    fake = SimpleUploadedFile("cover.png", b"not an image at all", content_type="image/png")
    response = editor_client.post(url, {**form, "cover": fake})
    assert response.status_code == 200  # the form is shown again with the error
    album.refresh_from_db()
    assert not album.cover
    real = SimpleUploadedFile("holiday.png", image_bytes("PNG"), content_type="image/png")
    response = editor_client.post(url, {**form, "cover": real})
    assert response.status_code == 302
    album.refresh_from_db()
    assert album.cover.name.startswith("covers/") and "holiday" not in album.cover.name
    changelist = editor_client.get(reverse("admin:catalog_album_changelist")).content.decode()
    assert album.cover.url in changelist  # thumbnail


def test_playlist_inline_keeps_positions_contiguous(editor_client):
    songs = SongFactory.create_batch(3)
    playlist = PlaylistFactory(songs=songs)
    entries = list(playlist.entries.order_by("position"))
    url = reverse("admin:catalog_playlist_change", args=[playlist.pk])
    data = {
        "owner": playlist.owner.pk,
        "name": playlist.name,
        "description": "",
        "entries-TOTAL_FORMS": "3",
        "entries-INITIAL_FORMS": "3",
        "entries-MIN_NUM_FORMS": "0",
        "entries-MAX_NUM_FORMS": "1000",
    }
    for i, entry in enumerate(entries):
        data.update(
            {
                f"entries-{i}-id": entry.pk,
                f"entries-{i}-playlist": playlist.pk,
                f"entries-{i}-song": entry.song_id,
                f"entries-{i}-position": {0: 5, 1: 9, 2: 7}[i],
                f"entries-{i}-added_by": entry.added_by_id,
            }
        )
    data["entries-1-DELETE"] = "on"
    response = editor_client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    assert list(playlist.entries.order_by("position").values_list("position", "song_id")) == [
        (0, songs[0].pk),
        (1, songs[2].pk),
    ]
    assert PlaylistActivity.objects.filter(playlist=playlist, action="remove").count() == 1
