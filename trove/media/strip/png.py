"""PNG: keep only the chunks the picture needs; verify every CRC; stop at IEND."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from trove.media.errors import CorruptImage
from trove.media.orient import upright
from trove.media.strip.jpeg import read_exif_orientation

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Critical chunks, colour and size information, and animation (APNG) frames.
KEEP = {
    b"IHDR",
    b"PLTE",
    b"IDAT",
    b"IEND",
    b"tRNS",
    b"gAMA",
    b"cHRM",
    b"sRGB",
    b"iCCP",
    b"sBIT",
    b"pHYs",
    b"cICP",
    b"mDCv",
    b"cLLi",
    b"acTL",
    b"fcTL",
    b"fdAT",
}


def iter_chunks(data: bytes, signature_length: int = 8):  # type: ignore[no-untyped-def]
    """Yield (type, raw chunk bytes, payload) of a PNG, checking lengths and CRCs."""
    pos = signature_length
    while pos < len(data):
        if pos + 8 > len(data):
            raise CorruptImage("The image is truncated: the file ends inside a chunk.")
        (size,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + size
        if size > 0x7FFFFFFF or end > len(data):
            raise CorruptImage("The image is truncated: the file ends inside a chunk.")
        payload = data[pos + 8 : pos + 8 + size]
        (crc,) = struct.unpack_from(">I", data, pos + 8 + size)
        if zlib.crc32(kind + payload) & 0xFFFFFFFF != crc:
            raise CorruptImage("The image is damaged: a chunk fails its checksum.")
        yield kind, data[pos:end], payload
        pos = end
        if kind == b"IEND":
            return
    raise CorruptImage("The image is truncated: it has no end marker.")


def strip_png(data: bytes) -> bytes:
    """Return the PNG with only picture chunks; a rotated photo is re-encoded upright."""
    if data[:8] != SIGNATURE:
        raise CorruptImage("This is not a PNG image.")
    out = [SIGNATURE]
    orientation = 1
    first = True
    saw_data = False
    for kind, raw, payload in iter_chunks(data):
        if first and kind != b"IHDR":
            raise CorruptImage("The image is damaged: it does not start with a header.")
        first = False
        if kind == b"eXIf":
            orientation = read_exif_orientation(b"Exif\x00\x00" + payload)
        if kind == b"IDAT":
            saw_data = True
        if kind in KEEP:
            out.append(raw)
    if not saw_data:
        raise CorruptImage("The image has no picture data.")
    clean = b"".join(out)
    if orientation != 1:
        # PNG has no orientation outside EXIF, which we drop: turn the pixels instead
        # (lossless for PNG; only the compression changes).
        return _reencode_upright(clean, orientation)
    return clean


def _reencode_upright(clean: bytes, orientation: int) -> bytes:
    image = Image.open(io.BytesIO(clean))
    image.load()
    params = {"icc_profile": image.info["icc_profile"]} if image.info.get("icc_profile") else {}
    buffer = io.BytesIO()
    upright(image, orientation).save(buffer, "PNG", optimize=False, **params)
    return buffer.getvalue()
