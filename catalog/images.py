"""Image uploads: the content decides, never the file name or declared type.

Every accepted image is decoded and re-encoded: only pixels are kept, so EXIF (GPS position,
camera, dates), XMP, ICC and text chunks, and anything appended after the image data (HTML
after a valid PNG) never reach storage. The EXIF orientation is applied to the pixels first, so
a phone photo stored sideways with an orientation tag comes out upright.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError
from rest_framework import serializers

MAX_IMAGE_BYTES = 5 * 1024 * 1024
# 25 megapixels (5000x5000) is far above any cover art and keeps a decode under ~100 MB.
MAX_IMAGE_PIXELS = 25_000_000
ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
# The square boxes clients ask for (list thumbnail, player, full screen); an image smaller
# than a box is stored at its own size, never upscaled.
COVER_SIZES = (64, 300, 640)
JPEG_QUALITY = 88
WEBP_QUALITY = 85


@dataclass(frozen=True)
class CheckedImage:
    """A validated upload, re-encoded: ``data`` holds the clean bytes, ``image`` the pixels."""

    data: bytes
    extension: str
    width: int
    height: int
    image: Image.Image
    image_format: str

    def resized(self, box: int) -> bytes:
        """The image fitted into a ``box`` x ``box`` square, in the same format."""
        copy = self.image.copy()
        copy.thumbnail((box, box), Image.Resampling.LANCZOS)
        return _encode(copy, self.image_format)


def _encode(image: Image.Image, image_format: str) -> bytes:
    out = io.BytesIO()
    if image_format == "JPEG":
        image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    elif image_format == "WEBP":
        image.save(out, format="WEBP", quality=WEBP_QUALITY)
    else:
        image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _pixels_only(image: Image.Image, image_format: str) -> Image.Image:
    """Upright pixels in a plain mode, with no metadata left to copy on save."""
    upright = ImageOps.exif_transpose(image)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    if image_format == "JPEG" or not has_alpha:
        mode = "L" if upright.mode in ("L", "1") else "RGB"
    else:
        mode = "RGBA"
    clean = upright.convert(mode) if upright.mode != mode else upright.copy()
    # Pillow falls back to ``info`` for exif/icc_profile/text when saving: empty it.
    clean.info = {}
    return clean


def check_image_upload(upload, *, field: str = "cover") -> CheckedImage:
    """Read, validate and re-encode an uploaded image; raise a 400 ``ValidationError`` on
    anything else.

    Checks, in order: byte size, that Pillow identifies a JPEG, PNG or WebP from the content,
    the pixel count from the header (before any decoding, so a decompression bomb is refused
    cheaply), then a full decode so a truncated or corrupt file is refused too. The returned
    bytes are a fresh encoding of the decoded pixels, in the same format.
    """

    def reject(message: str, code: str):
        return serializers.ValidationError({field: [serializers.ErrorDetail(message, code=code)]})

    size = getattr(upload, "size", None)
    if size is not None and size > MAX_IMAGE_BYTES:
        raise reject(
            f"The image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB.", "file_too_large"
        )
    data = upload.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise reject(
            f"The image is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB.", "file_too_large"
        )
    if not data:
        raise reject("The file is empty.", "empty")

    with warnings.catch_warnings():
        # Pillow warns (and past 2x its limit raises) on huge images; both mean "refuse".
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=list(ALLOWED_FORMATS)) as image:
                image_format = image.format
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise reject(
                        f"The image has {width}x{height} pixels; at most {MAX_IMAGE_PIXELS:,} "
                        "pixels are accepted.",
                        "image_too_large",
                    )
                image.load()
                if image_format not in ALLOWED_FORMATS:
                    raise reject("Upload a valid JPEG, PNG or WebP image.", "invalid_image")
                clean = _pixels_only(image, image_format)
                encoded = _encode(clean, image_format)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise reject(
                f"The image has too many pixels; at most {MAX_IMAGE_PIXELS:,} are accepted.",
                "image_too_large",
            ) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            raise reject("Upload a valid JPEG, PNG or WebP image.", "invalid_image") from exc

    return CheckedImage(
        data=encoded,
        extension=ALLOWED_FORMATS[image_format],
        width=clean.width,
        height=clean.height,
        image=clean,
        image_format=image_format,
    )


def cover_size_name(name: str, box: int) -> str:
    """The storage name of a cover's ``box`` px rendition: covers/ab.jpg -> covers/ab-300.jpg."""
    path = PurePosixPath(name)
    return str(path.with_name(f"{path.stem}-{box}{path.suffix}"))


def cover_file_names(names: Iterable[str | None]) -> list[str]:
    """Every stored file of these covers: each original and its renditions."""
    return [
        stored
        for name in names
        if name
        for stored in (name, *(cover_size_name(name, box) for box in COVER_SIZES))
    ]


def delete_images_on_commit(
    *, covers: Iterable[str | None] = (), images: Iterable[str | None] = ()
) -> None:
    """Once the transaction commits (never if it rolls back), remove these covers with their
    renditions and these other images, as audio files are removed (``delete_quietly``)."""
    from catalog.audio.files import delete_quietly

    stored = [*cover_file_names(covers), *filter(None, images)]
    if stored:
        transaction.on_commit(lambda: delete_quietly(names=stored))


def save_cover(field_file, checked: CheckedImage) -> list[str]:
    """Store a re-encoded cover in ``field_file`` (not saving the model) and its renditions
    next to it. Returns every name written, for clean-up if the transaction fails."""
    field_file.save(f"cover.{checked.extension}", ContentFile(checked.data), save=False)
    written = [field_file.name]
    try:
        save_cover_sizes(field_file.name, checked)
    except Exception:
        for stored in cover_file_names(written):
            if default_storage.exists(stored):
                default_storage.delete(stored)
        raise
    return cover_file_names(written)


def save_cover_sizes(name: str, checked: CheckedImage) -> None:
    for box in COVER_SIZES:
        target = cover_size_name(name, box)
        stored = default_storage.save(target, ContentFile(checked.resized(box)))
        if stored != target:  # the original's name is random: a clash means a broken store
            default_storage.delete(stored)
            raise OSError(f"could not store the {box} px cover at {target}")
