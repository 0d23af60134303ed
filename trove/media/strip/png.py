"""PNG: keep the chunks the picture needs, check every CRC, stop at IEND.

Kept: IHDR, PLTE, IDAT, IEND, transparency (tRNS), colour description (gAMA, cHRM, sRGB,
iCCP with its profile cleaned and renamed, cICP, mDCv, cLLi, sBIT), pixel size (pHYs) and
APNG animation (acTL, fcTL, fdAT). Dropped: text (tEXt, zTXt, iTXt), eXIf, tIME and every
other ancillary chunk, and anything after IEND. An unknown *critical* chunk means a picture
we cannot interpret, so the file is refused rather than shown wrong.

Orientation: PNG has none outside eXIf, which is dropped. A still picture whose eXIf says
it is turned is re-encoded with its pixels turned upright; decoded pixel values do not
change (only the compression does). Where that cannot be exact — Pillow holds 16-bit colour
as 8-bit, and animations — a minimal eXIf holding only the orientation is kept instead.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator

from trove.media.decode import decode
from trove.media.errors import N_, TRUNCATED, CorruptImage, UnsupportedFormat
from trove.media.exif import orientation_tiff, read_orientation, swaps_sides, upright
from trove.media.formats import PNG_SIGNATURE
from trove.media.icc import clean_icc_profile

KEEP = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP",
    b"sBIT", b"pHYs", b"cICP", b"mDCv", b"cLLi", b"acTL", b"fcTL", b"fdAT",
}  # fmt: skip
# Chunks that describe colour or pixel size, carried over when the pixels are re-encoded.
_CARRIED = (b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"cICP", b"mDCv", b"cLLi", b"sBIT", b"pHYs")
_VALID_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
_MAX_ICC = 16 * 1024 * 1024


def iter_chunks(data: bytes) -> Iterator[tuple[bytes, memoryview, memoryview]]:
    """Yield (type, whole chunk, payload) up to IEND, checking lengths and CRCs."""
    view = memoryview(data)
    size = len(data)
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 12 > size:
            raise CorruptImage(TRUNCATED)
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if length > 0x7FFFFFFF:
            raise CorruptImage(N_("The image is damaged: a chunk has an invalid length."))
        if end > size:
            raise CorruptImage(TRUNCATED)
        if not kind.isalpha() or not kind.isascii():
            raise CorruptImage(N_("The image is damaged: a chunk has an invalid name."))
        (crc,) = struct.unpack_from(">I", data, end - 4)
        if zlib.crc32(view[pos + 4 : end - 4]) != crc:
            raise CorruptImage(N_("The image is damaged: a chunk fails its checksum."))
        yield kind, view[pos:end], view[pos + 8 : end - 4]
        if kind == b"IEND":
            return
        pos = end


def chunk(kind: bytes, payload: bytes) -> bytes:
    """Return a PNG chunk with its length and CRC."""
    crc = zlib.crc32(kind + payload)
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def strip_png(data: bytes) -> bytes:
    """Return the PNG rebuilt from its picture chunks only."""
    if data[: len(PNG_SIGNATURE)] != PNG_SIGNATURE:
        raise CorruptImage(N_("This file is not a PNG image."))
    out: list[bytes | memoryview] = [PNG_SIGNATURE]
    orientation: int | None = None
    header: memoryview | None = None
    seen: set[bytes] = set()
    idat_done = False
    for kind, whole, payload in iter_chunks(data):
        if header is None:
            if kind != b"IHDR":
                raise CorruptImage(N_("The image is damaged: it does not start with a PNG header."))
            header = _check_header(payload)
        elif kind == b"IHDR":
            raise CorruptImage(N_("The image is damaged: it has two headers."))
        if kind == b"IDAT":
            if idat_done:
                raise CorruptImage(N_("The image is damaged: its picture data is split."))
        elif b"IDAT" in seen:
            idat_done = True
        seen.add(kind)
        if kind == b"eXIf":
            if orientation is None:
                orientation = read_orientation(payload)
        elif kind == b"iCCP":
            cleaned = _clean_iccp(payload)
            if cleaned is not None:
                out.append(cleaned)
        elif kind in KEEP:
            if kind == b"IEND" and len(payload):
                raise CorruptImage(N_("The image is damaged: its end marker is invalid."))
            out.append(whole)
        elif kind[0:1].isupper():
            raise UnsupportedFormat(N_("The image uses a PNG feature this site cannot show."))
    assert header is not None
    if b"IDAT" not in seen:
        raise CorruptImage(N_("The image has no picture data."))
    if header[9] == 3 and b"PLTE" not in seen:
        raise CorruptImage(N_("The image is damaged: its palette is missing."))
    clean = b"".join(out)
    if orientation is None or orientation == 1:
        return clean
    bit_depth, colour_type = header[8], header[9]
    if b"acTL" in seen or (bit_depth == 16 and colour_type in (2, 4, 6)):
        # No exact re-encoding available: keep the orientation, and only it.
        out.insert(2, chunk(b"eXIf", orientation_tiff(orientation)))  # right after IHDR
        return b"".join(out)
    return _reencode_upright(clean, orientation)


def _check_header(payload: memoryview) -> memoryview:
    if len(payload) != 13:
        raise CorruptImage(N_("The image is damaged: its header is invalid."))
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", payload
    )
    if not (0 < width <= 0x7FFFFFFF and 0 < height <= 0x7FFFFFFF):
        raise CorruptImage(N_("The image is damaged: its header is invalid."))
    if depth not in _VALID_DEPTHS.get(colour, ()):
        raise CorruptImage(N_("The image is damaged: its header is invalid."))
    if compression or filtering or interlace > 1:
        raise CorruptImage(N_("The image is damaged: its header is invalid."))
    return payload


def _clean_iccp(payload: memoryview) -> bytes | None:
    """Return an iCCP chunk with a cleaned profile and a neutral name; None to drop it."""
    raw = bytes(payload)
    name_end = raw.find(b"\x00", 0, 80)
    if name_end < 1 or len(raw) < name_end + 2 or raw[name_end + 1] != 0:
        return None
    inflater = zlib.decompressobj()
    try:
        profile = inflater.decompress(raw[name_end + 2 :], _MAX_ICC)
    except zlib.error:
        return None
    if not inflater.eof or inflater.unconsumed_tail:
        return None
    cleaned = clean_icc_profile(profile)
    if cleaned is None:
        return None
    # The profile name is free text chosen by whoever made the file; it goes too.
    return chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(cleaned, 9))


def _reencode_upright(clean: bytes, orientation: int) -> bytes:
    """Return the PNG with its pixels turned upright and its colour chunks carried over."""
    image = decode(clean, "png")
    turned = upright(image, orientation)
    buffer = io.BytesIO()
    params = {}
    if "transparency" in image.info:
        params["transparency"] = image.info["transparency"]
    turned.info.pop("icc_profile", None)  # carried over below, already cleaned
    turned.save(buffer, "PNG", compress_level=6, **params)
    carried: list[bytes | memoryview] = []
    for kind, whole, payload in iter_chunks(clean):
        if kind == b"pHYs" and swaps_sides(orientation) and len(payload) == 9:
            x, y, unit = struct.unpack(">IIB", payload)
            carried.append(chunk(b"pHYs", struct.pack(">IIB", y, x, unit)))
        elif kind in _CARRIED:
            carried.append(whole)
    encoded = buffer.getvalue()
    out: list[bytes | memoryview] = [PNG_SIGNATURE]
    for kind, whole, _payload in iter_chunks(encoded):
        if kind in (b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"):
            out.append(whole)
        if kind == b"IHDR":
            out.extend(carried)
    return b"".join(out)
