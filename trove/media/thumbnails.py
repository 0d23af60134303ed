"""JPEG thumbnails: upright, never upscaled, transparency on white, from a scaled decode."""

from __future__ import annotations

import io

from PIL import Image

from trove.media.decode import decode, flattened
from trove.media.exif import upright
from trove.media.formats import DEFAULT_MAX_PIXELS, probe
from trove.media.icc import clean_icc_profile

QUALITY = 85
# The JPEG decoder has already done the big power-of-two reduction, so what is left is a
# factor under 2 (then 4, from one thumbnail to the next, which ``reducing_gap`` halves
# first). Area averaging (Pillow's BOX, OpenCV's INTER_AREA) is the classic filter for
# shrinking: no aliasing, no ringing, and a third of the cost of Lanczos.
RESAMPLE = Image.Resampling.BOX


def make_thumbnails(
    data: bytes,
    sizes: tuple[int, ...] = (320, 1280),
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> dict[int, bytes]:
    """Return JPEG thumbnails whose longest side is each size (never upscaled), upright."""
    _check_sizes(sizes)
    info = probe(data, max_pixels=max_pixels)
    picture = decode(data, info.format, longest=max(sizes), mode="RGB")
    thumbnails, _smallest = render_thumbnails(flattened(picture), sizes, info.orientation)
    return thumbnails


def render_thumbnails(
    picture: Image.Image, sizes: tuple[int, ...], orientation: int = 1
) -> tuple[dict[int, bytes], Image.Image]:
    """Return upright JPEG thumbnails of an RGB/L picture, and the smallest as an image.

    The picture is turned after it is made small: turning a thumbnail costs a fraction of
    turning the decoded picture.
    """
    _check_sizes(sizes)
    icc = picture.info.get("icc_profile")
    params = {}
    if icc and (cleaned := clean_icc_profile(icc)):
        params["icc_profile"] = cleaned  # keeps wide-gamut colours right, minus its text
    encoded: dict[int, bytes] = {}
    source = picture
    thumb = picture
    for size in sorted(set(sizes), reverse=True):
        target = fit(picture.size, size)
        if source.size != target:
            # Each smaller size is made from the previous one: less work, same result.
            source = source.resize(target, RESAMPLE, reducing_gap=2.0)
        thumb = upright(source, orientation)
        buffer = io.BytesIO()
        thumb.save(buffer, "JPEG", quality=QUALITY, **params)
        encoded[size] = buffer.getvalue()
    return {size: encoded[size] for size in sizes}, thumb


def fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """Return ``size`` scaled so its longest side is at most ``longest`` (never larger)."""
    width, height = size
    if max(width, height) <= longest:
        return width, height
    if width >= height:
        return longest, max(1, round(height * longest / width))
    return max(1, round(width * longest / height)), longest


def _check_sizes(sizes: tuple[int, ...]) -> None:
    if not sizes or any(not isinstance(size, int) or size < 1 for size in sizes):
        raise ValueError(f"thumbnail sizes must be positive integers, not {sizes!r}")
