"""WebP: parse the RIFF container, keep picture chunks, clear the metadata flags."""

from __future__ import annotations

import io
import struct

from PIL import Image

from trove.media.errors import CorruptImage
from trove.media.orient import upright
from trove.media.strip.jpeg import read_exif_orientation

KEEP = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"}
_EXIF_FLAG = 0x08
_XMP_FLAG = 0x04


def _chunks(data: bytes, end: int):  # type: ignore[no-untyped-def]
    pos = 12
    while pos < end:
        if pos + 8 > end:
            raise CorruptImage("The image is truncated: the file ends inside a chunk.")
        kind = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        stop = pos + 8 + size
        if stop > end:
            raise CorruptImage("The image is truncated: the file ends inside a chunk.")
        yield kind, data[pos + 8 : stop]
        pos = stop + (size & 1)


def strip_webp(data: bytes) -> bytes:
    """Return the WebP with only picture chunks; a rotated photo is re-encoded upright."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise CorruptImage("This is not a WebP image.")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    end = 8 + riff_size
    if end > len(data) or riff_size < 4:
        raise CorruptImage("The image is truncated: the file is shorter than it says.")
    kept: list[bytes] = []
    orientation = 1
    has_picture = False
    for kind, payload in _chunks(data, end):
        if kind == b"EXIF":
            exif = payload if payload[:6] == b"Exif\x00\x00" else b"Exif\x00\x00" + payload
            orientation = read_exif_orientation(exif)
            continue
        if kind not in KEEP:
            continue  # XMP, unknown chunks
        if kind in (b"VP8 ", b"VP8L", b"ANMF"):
            has_picture = True
        if kind == b"VP8X":
            if len(payload) < 10:
                raise CorruptImage("The image is damaged: its extended header is too short.")
            payload = bytes((payload[0] & ~(_EXIF_FLAG | _XMP_FLAG) & 0xFF,)) + payload[1:]
        chunk = kind + struct.pack("<I", len(payload)) + payload
        if len(payload) & 1:
            chunk += b"\x00"
        kept.append(chunk)
    if not has_picture:
        raise CorruptImage("The image has no picture data.")
    body = b"WEBP" + b"".join(kept)
    clean = b"RIFF" + struct.pack("<I", len(body)) + body
    if orientation != 1:
        return _reencode_upright(clean, orientation)
    return clean


def _reencode_upright(clean: bytes, orientation: int) -> bytes:
    # The EXIF that held the orientation is gone, so turn the pixels; lossless WebP keeps
    # every pixel of the decoded picture.
    image = Image.open(io.BytesIO(clean))
    image.load()
    params = {"icc_profile": image.info["icc_profile"]} if image.info.get("icc_profile") else {}
    buffer = io.BytesIO()
    upright(image, orientation).save(buffer, "WEBP", lossless=True, exact=True, **params)
    return buffer.getvalue()
