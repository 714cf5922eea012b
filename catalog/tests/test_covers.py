"""Cover uploads: content-checked images only, size and pixel limits, random names,
old files deleted, nothing stored on rejection."""

from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.images import MAX_IMAGE_BYTES
from catalog.models import Album
from catalog.tests.factories import AlbumFactory, OwnedArtistFactory
from catalog.tests.images import image_bytes, png_bomb
from users.tests.factories import EditorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def album():
    return AlbumFactory()


@pytest.fixture
def editor():
    return EditorFactory()


def upload(client, album, data: bytes, name: str = "cover.png", content_type: str = "image/png"):
    return client.put(
        f"/api/v1/albums/{album.pk}/cover/",
        {"cover": SimpleUploadedFile(name, data, content_type=content_type)},
        format="multipart",
    )


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")])
def test_real_images_are_accepted_under_a_random_name(
    fmt, ext, album, editor, client_for, settings
):
    response = upload(client_for(editor), album, image_bytes(fmt), name="My Holiday.PNG")
    assert response.status_code == 200, response.json()
    album.refresh_from_db()
    name = album.cover.name
    assert name.startswith("covers/") and name.endswith(f".{ext}")
    assert "holiday" not in name.lower()
    assert len(Path(name).stem) == 32  # 128 random bits, hex
    assert response.json() == {"cover_url": f"http://testserver{settings.MEDIA_URL}{name}"}
    assert default_storage.exists(name)
    detail = client_for(None).get(f"/api/v1/albums/{album.pk}/").json()
    assert detail["cover_url"] == response.json()["cover_url"]


def test_replacing_a_cover_deletes_the_old_file(
    album, editor, client_for, settings, django_capture_on_commit_callbacks
):
    client = client_for(editor)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, album, image_bytes("PNG"))
    album.refresh_from_db()
    old = album.cover.name
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(client, album, image_bytes("JPEG"), name="new.jpg").status_code == 200
    album.refresh_from_db()
    assert album.cover.name != old
    assert not default_storage.exists(old)
    assert [p.name for p in stored_files(settings)] == [Path(album.cover.name).name]


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"just some text, honestly\n" * 10, "cover.png", "invalid_image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "cover.svg", "invalid_image"),
        (image_bytes("GIF"), "cover.gif", "invalid_image"),
        (image_bytes("BMP"), "cover.png", "invalid_image"),
        (image_bytes("PNG")[:60], "cover.png", "invalid_image"),  # truncated
        (b"", "cover.png", None),
    ],
)
def test_non_images_are_rejected_and_nothing_is_stored(
    data, name, code, album, editor, client_for, settings
):
    response = upload(client_for(editor), album, data, name=name)
    assert response.status_code == 400
    if code:
        assert response.json()["errors"][0] == {
            "code": code,
            "detail": "Upload a valid JPEG, PNG or WebP image.",
            "attr": "cover",
        }
    album.refresh_from_db()
    assert not album.cover
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("extra", "status", "code"),
    [
        (1, 400, "file_too_large"),  # just over: the file itself is measured
        (1024 * 1024, 413, "request_too_large"),  # far over: refused from Content-Length
    ],
)
def test_oversized_files_are_rejected(extra, status, code, album, editor, client_for, settings):
    big = image_bytes("PNG") + b"\0" * (MAX_IMAGE_BYTES + extra)  # a PNG with trailing junk
    response = upload(client_for(editor), album, big)
    assert response.status_code == status
    assert response.json()["errors"][0]["code"] == code
    album.refresh_from_db()
    assert not album.cover
    assert stored_files(settings) == []


@pytest.mark.parametrize("size", [(30_000, 30_000), (6_000, 6_000)])
def test_decompression_bombs_and_huge_images_are_rejected(
    size, album, editor, client_for, settings
):
    bomb = png_bomb(*size)
    assert len(bomb) < MAX_IMAGE_BYTES
    response = upload(client_for(editor), album, bomb)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "image_too_large"
    album.refresh_from_db()
    assert not album.cover
    assert stored_files(settings) == []


def test_owner_may_upload_listener_may_not(client_for, settings):
    artist = OwnedArtistFactory()
    album = AlbumFactory(artist=artist)
    assert upload(client_for(UserFactory()), album, image_bytes()).status_code == 403
    assert upload(client_for(None), album, image_bytes()).status_code == 401
    assert stored_files(settings) == []
    assert upload(client_for(artist.user), album, image_bytes()).status_code == 200


def test_hidden_album_cover_is_404_to_outsiders(client_for):
    album = AlbumFactory(is_visible=False)
    assert upload(client_for(UserFactory()), album, image_bytes()).status_code == 404


def test_missing_field_and_wrong_content_type(album, editor, client_for):
    client = client_for(editor)
    assert (
        client.put(f"/api/v1/albums/{album.pk}/cover/", {}, format="multipart").status_code == 400
    )
    response = client.put(f"/api/v1/albums/{album.pk}/cover/", {"cover": "x"}, format="json")
    assert response.status_code == 415


def test_deleting_an_album_deletes_its_cover(
    album, editor, client_for, settings, django_capture_on_commit_callbacks
):
    client = client_for(editor)
    upload(client, album, image_bytes())
    album.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(f"/api/v1/albums/{album.pk}/").status_code == 204
    assert not Album.objects.filter(pk=album.pk).exists()
    assert stored_files(settings) == []
