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


#: The quality of a cover crop: shown at a fifth of the zoom's size, JPEG's artefacts at 80
#: stay below what a 2× screen shows, and the file is a fifth smaller than at 85.
COVER_QUALITY = 80


def cover_crop(thumbnail: bytes, box: tuple[int, int]) -> bytes:
    """Return the centre of an upright JPEG thumbnail cut to ``box``'s shape, at most ``box``.

    That is what a box of that shape shows of the picture with CSS ``object-fit: cover``
    (centred), so a card whose box is ``box`` at 2× gets every pixel it shows and no more.
    """
    with Image.open(io.BytesIO(thumbnail)) as picture:
        out, cut = covered(picture.size, box)
        region = picture.crop(_centred(picture.size, cut))
        params = {}
        if icc := picture.info.get("icc_profile"):
            params["icc_profile"] = icc  # already cleaned when the thumbnail was made
        if region.size != out:
            region = region.resize(out, RESAMPLE)
        buffer = io.BytesIO()
        region.save(buffer, "JPEG", quality=COVER_QUALITY, optimize=True, **params)
    return buffer.getvalue()


def covered(size: tuple[int, int], box: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """Return (output size, centred region size) of a ``size`` picture cut to cover ``box``."""
    width, height = size
    box_w, box_h = box
    if width * box_h > height * box_w:  # wider than the box: the sides are cut
        region = (max(1, round(height * box_w / box_h)), height)
    else:
        region = (width, max(1, round(width * box_h / box_w)))
    if region[0] <= box_w:
        return region, region
    return box, region


def _centred(size: tuple[int, int], region: tuple[int, int]) -> tuple[int, int, int, int]:
    left, top = (size[0] - region[0]) // 2, (size[1] - region[1]) // 2
    return left, top, left + region[0], top + region[1]


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
