"""Recognise formats from their bytes and read dimensions without decoding pixels."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from trove.media.errors import CorruptImage, ImageTooLarge, UnsupportedFormat

HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
DEFAULT_MAX_PIXELS = 100_000_000
UNSUPPORTED_MESSAGE = "This file is not a JPEG, PNG, WebP or HEIC photo."

_heif_registered = False


def register_heif() -> None:
    """Teach Pillow to open HEIC/HEIF (pillow-heif), once."""
    global _heif_registered
    if not _heif_registered:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _heif_registered = True


def detect_format(data: bytes) -> str:
    """Return "jpeg", "png", "webp" or "heic" from the file's first bytes."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "heic"
    if data[4:8] == b"ftyp":
        # HEIF files may name their brand only among the compatible brands.
        size = int.from_bytes(data[:4], "big")
        brands = data[16 : min(size, 64)]
        if any(brands[i : i + 4] in HEIF_BRANDS for i in range(0, len(brands), 4)):
            return "heic"
    raise UnsupportedFormat(UNSUPPORTED_MESSAGE)


@dataclass(frozen=True)
class ImageInfo:
    """What an image's header says."""

    format: str
    width: int  # as displayed, after the EXIF orientation
    height: int
    orientation: int


def open_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open ``data`` lazily with Pillow, refusing too many pixels before any decoding."""
    if detect_format(data) == "heic":
        register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise ImageTooLarge(_too_large_message(None, None, max_pixels)) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as error:
        raise CorruptImage(f"The image could not be read ({_short(error)}).") from None
    width, height = image.size
    if width <= 0 or height <= 0:
        raise CorruptImage("The image has no pixels.")
    if width * height > max_pixels:
        raise ImageTooLarge(_too_large_message(width, height, max_pixels))
    return image


def probe(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageInfo:
    """Return format and displayed size from the header only (no full decode)."""
    kind = detect_format(data)
    image = open_image(data, max_pixels=max_pixels)
    try:
        orientation = int(image.getexif().get(0x0112, 1) or 1)
    except Exception:  # a broken EXIF block is dropped by stripping anyway
        orientation = 1
    if orientation not in range(1, 9):
        orientation = 1
    width, height = image.size
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return ImageInfo(kind, width, height, orientation)


def _too_large_message(width: int | None, height: int | None, max_pixels: int) -> str:
    limit = f"{max_pixels / 1_000_000:g} megapixels"
    if width and height:
        return f"The image is {width} × {height} pixels; the most this site accepts is {limit}."
    return f"The image has too many pixels; the most this site accepts is {limit}."


def _short(error: BaseException) -> str:
    text = str(error).strip().rstrip(".") or type(error).__name__
    return text[:120]
