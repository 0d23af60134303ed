"""HEIC/HEIF cannot be stripped losslessly: decode and re-encode as a high-quality JPEG."""

from __future__ import annotations

import io

from PIL import ImageOps

from trove.media.errors import CorruptImage, MediaError
from trove.media.formats import open_image

QUALITY = 92


def heic_to_jpeg(data: bytes) -> bytes:
    """Return a JPEG of the HEIC's primary picture, upright, with no metadata at all."""
    image = open_image(data)
    try:
        image.load()
        upright = ImageOps.exif_transpose(image)
        if upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        buffer = io.BytesIO()
        icc = image.info.get("icc_profile")
        upright.save(
            buffer, "JPEG", quality=QUALITY, subsampling=0, **({"icc_profile": icc} if icc else {})
        )
    except MediaError:
        raise
    except Exception as error:
        raise CorruptImage(f"The HEIC image could not be decoded ({str(error)[:80]}).") from None
    return buffer.getvalue()
