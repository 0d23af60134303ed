"""Blur regions into a stored photo: decode, pixelate the boxes, encode once."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image, ImageFilter

from trove.blur.boxes import Box
from trove.media.decode import decode, displayable
from trove.media.formats import DEFAULT_MAX_PIXELS, probe
from trove.media.hashing import sha256_hex
from trove.media.icc import clean_icc_profile
from trove.media.thumbnails import render_thumbnails

#: Blocks along a box's longer side: a face becomes a few flat colours, which no
#: "deblurring" can undo (each block is one average of hundreds of pixels).
BLOCKS = 6
QUALITY = 90


@dataclass(frozen=True)
class BlurredImage:
    """A photo with regions blurred, ready to store in place of the unblurred one."""

    data: bytes
    format: str  # "jpeg", "png" or "webp": the stored format is kept
    width: int
    height: int
    sha256: str
    thumbnails: dict[int, bytes] = field(default_factory=dict)


def pixelate(picture: Image.Image, boxes: Sequence[Box]) -> Image.Image:
    """Return ``picture`` (RGB or L) with each box replaced by coarse, softened blocks."""
    out = picture.copy()
    for box in boxes:
        left, top, right, bottom = box.pixels(out.size)
        width, height = right - left, bottom - top
        if width < 1 or height < 1:
            continue
        region = out.crop((left, top, right, bottom))
        block = max(1, max(width, height) // BLOCKS)
        coarse = region.resize(
            (max(1, -(-width // block)), max(1, -(-height // block))), Image.Resampling.BOX
        )
        flat = coarse.resize((width, height), Image.Resampling.NEAREST)
        out.paste(flat.filter(ImageFilter.GaussianBlur(max(1, block // 2))), (left, top))
    return out


def render_blurred(
    data: bytes,
    fmt: str,
    boxes: Sequence[Box],
    *,
    thumb_sizes: tuple[int, ...] = (320, 1280),
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> BlurredImage:
    """Return the stripped photo ``data`` with ``boxes`` pixelated, upright, and thumbnails.

    The picture is re-encoded (JPEG and WebP at high quality, PNG losslessly) and written
    upright, so it carries no orientation tag; only the colour profile is kept.
    """
    info = probe(data, max_pixels=max_pixels)
    picture = displayable(decode(data, fmt), info.orientation)
    blurred = pixelate(picture, boxes)
    params: dict[str, object] = {}
    icc = picture.info.get("icc_profile")
    if icc and (cleaned := clean_icc_profile(icc)):
        params["icc_profile"] = cleaned
    stored = "jpeg" if fmt == "heic" else fmt
    buffer = io.BytesIO()
    if stored == "png":
        blurred.save(buffer, "PNG", optimize=False, **params)
    elif stored == "webp":
        blurred.save(buffer, "WEBP", quality=QUALITY, **params)
    else:
        blurred.save(buffer, "JPEG", quality=QUALITY, subsampling=0, **params)
    encoded = buffer.getvalue()
    blurred.info["icc_profile"] = params.get("icc_profile")
    thumbnails, _smallest = render_thumbnails(blurred, thumb_sizes)
    return BlurredImage(
        data=encoded,
        format=stored,
        width=blurred.width,
        height=blurred.height,
        sha256=sha256_hex(encoded),
        thumbnails=thumbnails,
    )
