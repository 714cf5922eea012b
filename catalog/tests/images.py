"""Image bytes for upload tests, made in memory."""

import io
import struct
import zlib

from PIL import Image


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 64), color=(200, 40, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid 1-bit greyscale PNG of ``width`` x ``height`` zero pixels: ~100 KB on disk,
    gigabytes once decoded (a decompression bomb)."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row) for _ in range(height)]
    parts.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


def jpeg_with_gps(size: tuple[int, int] = (120, 80), orientation: int | None = None) -> bytes:
    """A real camera-style JPEG: EXIF with a GPS position, the camera make and model, a
    comment, and optionally an orientation tag."""
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Industries"  # Make
    exif[0x0110] = "Model X-GPS"  # Model
    if orientation is not None:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"  # GPSLatitudeRef
    gps[2] = (48.0, 51.0, 29.64)  # GPSLatitude: 48 deg 51' 29.64"
    gps[3] = "E"
    gps[4] = (2.0, 17.0, 40.2)
    out = io.BytesIO()
    image = Image.new("RGB", size, (30, 120, 200))
    image.paste((250, 250, 0), (0, 0, size[0] // 4, size[1] // 4))  # a marked top-left corner
    image.save(out, format="JPEG", exif=exif, comment=b"shot at home")
    return out.getvalue()


def png_with_extras() -> bytes:
    """A valid PNG with a text chunk, followed by an HTML page after its IEND."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "secret-author-name")
    out = io.BytesIO()
    Image.new("RGBA", (50, 50), (10, 200, 10, 128)).save(out, format="PNG", pnginfo=info)
    return out.getvalue() + b"<html><script>alert(document.cookie)</script></html>"
