"""Decoding pixels: as little as needed, and every failure as a ``MediaError``.

JPEG is decoded through ``Image.draft``, which makes libjpeg produce a 1/2, 1/4 or 1/8 scale
picture directly (the IDCT runs at that size), so a thumbnail of a 12 MP photo never costs a
full-size decode. Other formats have no such shortcut and are decoded whole.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image

from trove.media.errors import (
    N_,
    TRUNCATED,
    CorruptImage,
    MediaError,
    describe,
    too_many_pixels,
)
from trove.media.exif import upright
from trove.media.formats import probe
from trove.media.icc import clean_icc_profile

WHITE = (255, 255, 255)


def open_pillow(data: bytes) -> Image.Image:
    """Open ``data`` with Pillow without decoding (callers enforce the pixel limit first)."""
    info = probe(data, max_pixels=2**62)
    limit = Image.MAX_IMAGE_PIXELS
    try:
        if limit is not None and info.width * info.height > limit:
            # Our own limit (probe's max_pixels) was enforced before any decoding; Pillow's
            # global one would warn between its limit and ours. catch_warnings swaps
            # process-wide state, so it is used only in this rare case.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                return Image.open(io.BytesIO(data))
        return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        # Pillow refuses twice its warning limit.
        raise too_many_pixels(info.width, info.height, 2 * (limit or 0)) from None
    except MemoryError:
        raise
    except Exception as error:  # Pillow raises a zoo of types on crafted input
        raise _decode_error(error) from None


def decode(
    data: bytes,
    fmt: str,
    *,
    longest: int | None = None,
    mode: str | None = None,
    all_frames: bool = False,
) -> Image.Image:
    """Return the first frame, a JPEG at the smallest scale whose longest side ≥ ``longest``.

    ``mode`` ("RGB" or "L") lets libjpeg convert colours itself; ``all_frames`` decodes
    every frame of an animation too, so damage anywhere is found.
    """
    if fmt == "heic":
        return decode_heic(data)
    image = open_pillow(data)
    try:
        if fmt == "jpeg" and (longest is not None or mode is not None):
            image.draft(mode, _draft_size(image.size, longest))
        image.load()
        if all_frames and getattr(image, "n_frames", 1) > 1:
            first = image.copy()
            for index in range(1, image.n_frames):
                image.seek(index)
                image.load()
            return first
    except (MediaError, MemoryError):
        raise
    except Exception as error:  # Pillow raises a zoo of types on crafted input
        raise _decode_error(error) from None
    return image


def _draft_size(size: tuple[int, int], longest: int | None) -> tuple[int, int] | None:
    """Return the box to pass to ``draft`` so the scaled picture keeps ``longest`` pixels."""
    if longest is None:
        return None
    width, height = size
    for scale in (8, 4, 2):
        if -(-max(width, height) // scale) >= longest and min(width, height) >= scale:
            # Pillow picks the largest scale s with size // box >= s; this box gives exactly s.
            return width // scale, height // scale
    return None


def decode_heic(data: bytes) -> Image.Image:
    """Return the HEIC's primary picture, upright (libheif applies rotation and mirroring)."""
    import pillow_heif  # imported on demand: only HEIC needs libheif

    try:
        heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=True)
        declared = heif.size
        image = heif.to_pillow()
        icc = heif.info.get("icc_profile")
    except Exception as error:  # libheif reports damage as assorted exception types
        raise CorruptImage(
            N_("The HEIC image cannot be decoded (%(detail)s)."), detail=describe(error)
        ) from None
    if image.size != declared:
        # The pixel limit was checked against the declared size; a picture that decodes to
        # another size is damaged or crafted, and must not slip past that limit.
        raise CorruptImage(
            N_(
                "The HEIC image is damaged: it declares %(width)s×%(height)s pixels "
                "but decodes to %(real_width)s×%(real_height)s."
            ),
            width=declared[0],
            height=declared[1],
            real_width=image.size[0],
            real_height=image.size[1],
        )
    # Keep only what later steps need: a cleaned colour profile, no EXIF or XMP.
    image.info.clear()
    cleaned = clean_icc_profile(icc) if icc else None
    if cleaned:
        image.info["icc_profile"] = cleaned
    return image


def displayable(image: Image.Image, orientation: int = 1) -> Image.Image:
    """Return an upright RGB or L image, transparency flattened onto white."""
    return upright(flattened(image), orientation)


def flattened(image: Image.Image) -> Image.Image:
    """Return an RGB or L image, transparency flattened onto white, ICC profile kept."""
    icc = image.info.get("icc_profile")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode == "PA":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "RGBa", "La"):
        grey = image.mode.startswith("L")
        base = Image.new("L" if grey else "RGB", image.size, 255 if grey else WHITE)
        base.paste(image.convert("L" if grey else "RGB"), mask=image.getchannel("A"))
        image = base
    elif image.mode.startswith("I;16") or image.mode in ("I", "F"):
        # 16-bit grey: scale to 8 bits (a plain convert("L") would clip, not scale).
        image = image.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    elif image.mode == "1":
        image = image.convert("L")
    elif image.mode not in ("RGB", "L"):
        image = image.convert("RGB")  # CMYK, YCbCr, LAB
        icc = None  # the profile described the old colour space
    if icc and image.mode != "1":
        image.info["icc_profile"] = icc
    return image


def _decode_error(error: BaseException) -> MediaError:
    text = str(error)
    if "truncated" in text or isinstance(error, EOFError):
        return CorruptImage(TRUNCATED)
    return CorruptImage(N_("The image cannot be decoded (%(detail)s)."), detail=describe(error))
