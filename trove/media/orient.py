"""Turn pixels the way an EXIF orientation says (1 = already upright)."""

from __future__ import annotations

from PIL import Image

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def upright(image: Image.Image, orientation: int) -> Image.Image:
    """Return ``image`` turned to display upright for ``orientation``."""
    method = _TRANSPOSE.get(orientation)
    return image.transpose(method) if method is not None else image
