"""The one EXIF fact worth keeping: which way up the picture is.

Readers take a TIFF structure (what follows ``Exif\\0\\0`` in a JPEG APP1, or the payload of
a PNG ``eXIf`` / WebP ``EXIF`` chunk) and look only at IFD0's Orientation tag. The writer
builds a fresh, minimal TIFF holding that tag alone, so nothing else survives stripping.
"""

from __future__ import annotations

import struct

from PIL import Image

ORIENTATION_TAG = 0x0112
EXIF_HEADER = b"Exif\x00\x00"
_SHORT, _LONG = 3, 4
_MAX_ENTRIES = 1024  # IFD0 of a real camera has a few dozen; more means garbage

_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def read_orientation(tiff: bytes | memoryview) -> int:
    """Return IFD0's Orientation (1-8) from a TIFF structure; 1 when absent or unreadable."""
    tiff = bytes(tiff[: 8 + 2 + 12 * _MAX_ENTRIES + 65536])  # IFD0 sits near the start
    if tiff[:6] == EXIF_HEADER:  # some WebP/PNG writers keep the APP1 prefix
        tiff = tiff[6:]
    if tiff[:4] == b"II*\x00":
        order = "<"
    elif tiff[:4] == b"MM\x00*":
        order = ">"
    else:
        return 1
    try:
        (ifd,) = struct.unpack_from(order + "I", tiff, 4)
        (count,) = struct.unpack_from(order + "H", tiff, ifd)
        for index in range(min(count, _MAX_ENTRIES)):
            tag, kind, number = struct.unpack_from(order + "HHI", tiff, ifd + 2 + 12 * index)
            if tag != ORIENTATION_TAG or number != 1:
                continue
            if kind == _SHORT:
                (value,) = struct.unpack_from(order + "H", tiff, ifd + 10 + 12 * index)
            elif kind == _LONG:
                (value,) = struct.unpack_from(order + "I", tiff, ifd + 10 + 12 * index)
            else:
                return 1
            return value if 1 <= value <= 8 else 1
    except struct.error:
        return 1
    return 1


def orientation_tiff(orientation: int) -> bytes:
    """Return a minimal big-endian TIFF whose IFD0 holds only ``orientation``."""
    if not 1 <= orientation <= 8:
        raise ValueError(f"orientation must be 1-8, not {orientation}")
    # Header, one-entry IFD0 (SHORT values are left-justified in the 4-byte field), no IFD1.
    return (
        b"MM\x00*"
        + struct.pack(">I", 8)
        + struct.pack(">HHHIHH", 1, ORIENTATION_TAG, _SHORT, 1, orientation, 0)
        + struct.pack(">I", 0)
    )


def swaps_sides(orientation: int) -> bool:
    """Return whether ``orientation`` turns the picture by 90° (width and height swap)."""
    return orientation in (5, 6, 7, 8)


def upright(image: Image.Image, orientation: int) -> Image.Image:
    """Return ``image`` turned the way ``orientation`` says it is displayed."""
    method = _TRANSPOSE.get(orientation)
    return image if method is None else image.transpose(method)
