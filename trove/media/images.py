"""Thumbnails, hashes and the one code path that turns an upload into a stored photo."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field

from PIL import Image

from trove.media.errors import CorruptImage, MediaError
from trove.media.formats import DEFAULT_MAX_PIXELS, detect_format, open_image, probe
from trove.media.orient import upright
from trove.media.strip import strip_metadata

#: Photos whose perceptual hashes differ in at most this many bits look the same.
NEAR_DUPLICATE_DISTANCE = 6
THUMB_QUALITY = 85


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 of ``data`` as hex."""
    return hashlib.sha256(data).hexdigest()


def hamming(a: int, b: int) -> int:
    """Return how many bits differ between two hashes."""
    return (a ^ b).bit_count()


def _decode_for(data: bytes, longest: int, max_pixels: int) -> tuple[Image.Image, int, int]:
    """Decode at the smallest scale that still serves ``longest``; return it upright.

    For JPEG, ``draft`` lets the decoder produce a 1/2, 1/4 or 1/8 scale picture directly,
    so a 12 MP photo is never decoded at full size for a thumbnail.
    """
    info = probe(data, max_pixels=max_pixels)
    image = open_image(data, max_pixels=max_pixels)
    if info.format == "jpeg":
        image.draft("RGB", (longest, longest))
    try:
        image.load()
    except (OSError, ValueError, SyntaxError) as error:
        raise CorruptImage(f"The image could not be decoded ({str(error)[:80]}).") from None
    image = upright(image, info.orientation)
    return image, info.width, info.height


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode not in ("RGB", "L"):
        return image.convert("RGB")
    return image


def _thumbnails_from(image: Image.Image, sizes: tuple[int, ...]) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    source = _flatten(image)
    for size in sorted(sizes, reverse=True):
        thumb = source.copy()
        thumb.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=2.0)
        buffer = io.BytesIO()
        thumb.save(buffer, "JPEG", quality=THUMB_QUALITY, optimize=False, progressive=False)
        out[size] = buffer.getvalue()
        source = thumb if thumb.size[0] >= 2 * size else source
    return out


def _dhash(image: Image.Image) -> int:
    small = image.convert("L").resize((9, 8), Image.Resampling.BILINEAR)
    pixels = small.tobytes()
    value = 0
    for row in range(8):
        offset = row * 9
        for col in range(8):
            value = (value << 1) | (pixels[offset + col] > pixels[offset + col + 1])
    return value


def make_thumbnails(
    data: bytes, sizes: tuple[int, ...] = (320, 1280), *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> dict[int, bytes]:
    """Return JPEG thumbnails whose longest side is each size (never upscaled), upright."""
    image, _w, _h = _decode_for(data, max(sizes), max_pixels)
    return _thumbnails_from(image, sizes)


def perceptual_hash(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> int:
    """Return a 64-bit difference hash of the upright picture (near copies differ little)."""
    image, _w, _h = _decode_for(data, 64, max_pixels)
    return _dhash(image)


@dataclass
class ProcessedImage:
    """A stripped photo ready to store, with its thumbnails and hashes."""

    data: bytes
    format: str
    width: int
    height: int
    sha256: str
    phash: int
    thumbnails: dict[int, bytes] = field(default_factory=dict)


def process_image(
    data: bytes,
    *,
    thumb_sizes: tuple[int, ...] = (320, 1280),
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> ProcessedImage:
    """Strip, check, thumbnail and hash an upload (the media job and benchmarks use this)."""
    probe(data, max_pixels=max_pixels)  # refuse bombs before any decoding
    clean = strip_metadata(data)
    kind = detect_format(clean)
    try:
        image, width, height = _decode_for(clean, max(thumb_sizes), max_pixels)
    except MediaError:
        raise
    thumbnails = _thumbnails_from(image, thumb_sizes)
    smallest = Image.open(io.BytesIO(thumbnails[min(thumb_sizes)]))
    return ProcessedImage(
        data=clean,
        format=kind,
        width=width,
        height=height,
        sha256=sha256_hex(clean),
        phash=_dhash(smallest),
        thumbnails=thumbnails,
    )
