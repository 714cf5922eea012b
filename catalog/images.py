"""Image upload checks: the content decides, never the file name or declared type."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from rest_framework import serializers

MAX_IMAGE_BYTES = 5 * 1024 * 1024
# 25 megapixels (5000x5000) is far above any cover art and keeps a decode under ~100 MB.
MAX_IMAGE_PIXELS = 25_000_000
ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    extension: str
    width: int
    height: int


def check_image_upload(upload, *, field: str = "cover") -> CheckedImage:
    """Read and validate an uploaded image; raise a 400 ``ValidationError`` on anything else.

    Checks, in order: byte size, that Pillow identifies a JPEG, PNG or WebP from the content,
    the pixel count from the header (before any decoding, so a decompression bomb is refused
    cheaply), then a full decode so a truncated or corrupt file is refused too.
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
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise reject(
                f"The image has too many pixels; at most {MAX_IMAGE_PIXELS:,} are accepted.",
                "image_too_large",
            ) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            raise reject("Upload a valid JPEG, PNG or WebP image.", "invalid_image") from exc

    if image_format not in ALLOWED_FORMATS:
        raise reject("Upload a valid JPEG, PNG or WebP image.", "invalid_image")
    return CheckedImage(
        data=data, extension=ALLOWED_FORMATS[image_format], width=width, height=height
    )
