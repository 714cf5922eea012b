"""Cover uploads: content-checked images only, size and pixel limits, random names,
re-encoded (no metadata, nothing appended, upright) with 64/300/640 px renditions, old files
deleted, nothing stored on rejection."""

import io
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.images import COVER_SIZES, MAX_IMAGE_BYTES, cover_file_names, cover_size_name
from catalog.models import Album
from catalog.tests.factories import AlbumFactory, OwnedArtistFactory
from catalog.tests.images import image_bytes, jpeg_with_gps, png_bomb, png_with_extras
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
    base = f"http://testserver{settings.MEDIA_URL}"
    assert detail["cover_sizes"] == {
        str(box): f"{base}{cover_size_name(name, box)}" for box in COVER_SIZES
    }
    assert [p.relative_to(settings.MEDIA_ROOT).as_posix() for p in stored_files(settings)] == (
        sorted(cover_file_names([name]))
    )
    for box in COVER_SIZES:
        with default_storage.open(cover_size_name(name, box)) as stored:
            assert Image.open(stored).format == fmt


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
    assert not any(default_storage.exists(n) for n in cover_file_names([old]))
    assert [p.relative_to(settings.MEDIA_ROOT).as_posix() for p in stored_files(settings)] == (
        sorted(cover_file_names([album.cover.name]))
    )


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


def stored_image(name: str) -> tuple[bytes, Image.Image]:
    with default_storage.open(name) as stored:
        data = stored.read()
    return data, Image.open(io.BytesIO(data))


def test_exif_with_gps_is_stripped_from_the_cover_and_every_size(album, editor, client_for):
    original = jpeg_with_gps()
    assert b"SpyCam Industries" in original and Image.open(io.BytesIO(original)).getexif()
    response = upload(client_for(editor), album, original, name="me.jpg", content_type="image/jpeg")
    assert response.status_code == 200, response.json()
    album.refresh_from_db()
    for name in cover_file_names([album.cover.name]):
        data, image = stored_image(name)
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert not image.getexif().get_ifd(0x8825)  # no GPS block
        assert "exif" not in image.info and "comment" not in image.info
        assert b"SpyCam" not in data and b"Model X-GPS" not in data and b"shot at home" not in data


def test_orientation_is_applied_to_the_pixels(album, editor, client_for):
    # Orientation 6: the camera held sideways; viewers rotate 90 degrees clockwise.
    sideways = jpeg_with_gps(size=(120, 80), orientation=6)
    response = upload(client_for(editor), album, sideways, name="me.jpg", content_type="image/jpeg")
    assert response.status_code == 200
    album.refresh_from_db()
    _, image = stored_image(album.cover.name)
    assert image.size == (80, 120)
    # The yellow corner marked top-left in the sensor's frame is now top-right.
    red, green, blue = image.convert("RGB").getpixel((75, 3))
    assert red > 200 and green > 200 and blue < 80


def test_text_chunks_and_html_appended_to_a_png_are_not_stored(album, editor, client_for):
    response = upload(client_for(editor), album, png_with_extras())
    assert response.status_code == 200
    album.refresh_from_db()
    for name in cover_file_names([album.cover.name]):
        data, image = stored_image(name)
        assert image.format == "PNG" and image.mode == "RGBA"  # transparency kept
        assert b"<script" not in data and b"<html" not in data
        assert b"secret-author-name" not in data and "Author" not in image.info
        assert data.endswith(b"IEND\xaeB`\x82")  # nothing after the image


def test_sizes_fit_their_box_keeping_the_aspect_ratio_and_never_upscale(album, editor, client_for):
    big = image_bytes("JPEG", size=(1200, 800))
    assert upload(client_for(editor), album, big, name="c.jpg").status_code == 200
    album.refresh_from_db()
    assert stored_image(album.cover.name)[1].size == (1200, 800)
    sizes = {
        box: stored_image(cover_size_name(album.cover.name, box))[1].size for box in COVER_SIZES
    }
    assert sizes == {64: (64, 43), 300: (300, 200), 640: (640, 427)}

    small = AlbumFactory()
    assert upload(client_for(editor), small, image_bytes("PNG", size=(100, 50))).status_code == 200
    small.refresh_from_db()
    sizes = {
        box: stored_image(cover_size_name(small.cover.name, box))[1].size for box in COVER_SIZES
    }
    assert sizes == {64: (64, 32), 300: (100, 50), 640: (100, 50)}


def test_a_failed_save_leaves_no_files(album, editor, client_for, settings, monkeypatch):
    def broken_save(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Album, "save", broken_save)
    client = client_for(editor)
    client.raise_request_exception = False
    assert upload(client, album, image_bytes("PNG")).status_code == 500
    assert stored_files(settings) == []


# --- every way of deleting an album removes every cover file, after commit -------------------


def with_cover(album, editor, client_for, django_capture_on_commit_callbacks) -> list[str]:
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(client_for(editor), album, image_bytes()).status_code == 200
    album.refresh_from_db()
    names = cover_file_names([album.cover.name])
    assert all(default_storage.exists(name) for name in names) and len(names) == 4
    return names


@pytest.fixture
def admin_site_client(client, editor):
    client.force_login(editor)
    return client


def test_the_admin_delete_page_removes_the_cover_files(
    album, editor, client_for, admin_site_client, settings, django_capture_on_commit_callbacks
):
    with_cover(album, editor, client_for, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_site_client.post(
            f"/admin/catalog/album/{album.pk}/delete/", {"post": "yes"}
        )
    assert response.status_code == 302
    assert not Album.objects.filter(pk=album.pk).exists()
    assert stored_files(settings) == []


def test_the_admin_bulk_delete_action_removes_the_cover_files(
    editor, client_for, admin_site_client, settings, django_capture_on_commit_callbacks
):
    albums = AlbumFactory.create_batch(2)
    kept = AlbumFactory()
    for album in [*albums, kept]:
        with_cover(album, editor, client_for, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_site_client.post(
            "/admin/catalog/album/",
            {
                "action": "delete_selected",
                "_selected_action": [a.pk for a in albums],
                "post": "yes",
            },
        )
    assert response.status_code == 302
    assert list(Album.objects.values_list("pk", flat=True)) == [kept.pk]
    kept.refresh_from_db()
    assert [p.relative_to(settings.MEDIA_ROOT).as_posix() for p in stored_files(settings)] == (
        sorted(cover_file_names([kept.cover.name]))
    )


@pytest.mark.parametrize("way", ["api", "admin"])
def test_deleting_an_artist_removes_its_albums_cover_files(
    way, editor, client_for, admin_site_client, settings, django_capture_on_commit_callbacks
):
    artist = OwnedArtistFactory()
    for album in AlbumFactory.create_batch(2, artist=artist):
        with_cover(album, editor, client_for, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        if way == "api":
            response = client_for(editor).delete(f"/api/v1/artists/{artist.pk}/")
            assert response.status_code == 204
        else:
            response = admin_site_client.post(
                f"/admin/catalog/artist/{artist.pk}/delete/", {"post": "yes"}
            )
            assert response.status_code == 302
    assert not Album.objects.filter(artist_id=artist.pk).exists()
    assert stored_files(settings) == []


def test_a_rolled_back_album_delete_keeps_the_cover_files(
    album, editor, client_for, settings, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from catalog.services import album_delete

    names = with_cover(album, editor, client_for, django_capture_on_commit_callbacks)
    pk = album.pk
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        album_delete(user=editor, album=album)
        raise RuntimeError("the request failed after the delete")
    assert callbacks == []
    assert Album.objects.filter(pk=pk).exists()
    assert all(default_storage.exists(name) for name in names)
