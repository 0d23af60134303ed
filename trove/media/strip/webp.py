"""WebP: parse the RIFF container, keep the picture chunks, clear the metadata flags.

A simple file (one VP8 or VP8L chunk) is kept byte for byte, minus anything after its RIFF
end. An extended file keeps VP8X (with its EXIF and XMP flags cleared), ICCP (profile
cleaned), ANIM, ANMF (their sub-chunks filtered the same way), ALPH, VP8 and VP8L; EXIF,
XMP and unknown chunks are dropped and the RIFF size is rewritten.

Orientation (only an extended file's EXIF can carry one) is handled as for PNG: a still
picture is re-encoded upright as lossless WebP, so the decoded pixels stay exactly the same
(a lossy original grows, but loses nothing more); an animation keeps a minimal EXIF chunk
holding only the orientation.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator

from trove.media.decode import decode
from trove.media.errors import N_, TRUNCATED, CorruptImage
from trove.media.exif import orientation_tiff, read_orientation, upright
from trove.media.formats import webp_bitstream_size
from trove.media.icc import clean_icc_profile

_PICTURE = (b"VP8 ", b"VP8L")
_ICC_FLAG, _ALPHA_FLAG, _EXIF_FLAG, _XMP_FLAG, _ANIMATION_FLAG = 0x20, 0x10, 0x08, 0x04, 0x02


def _chunks(data: bytes | memoryview, start: int, end: int) -> Iterator[tuple[bytes, memoryview]]:
    """Yield (fourcc, payload) of the RIFF chunks between ``start`` and ``end``."""
    view = memoryview(data)
    pos = start
    while pos < end:
        if pos + 8 > end:
            raise CorruptImage(TRUNCATED)
        kind = bytes(view[pos : pos + 4])
        (length,) = struct.unpack_from("<I", view, pos + 4)
        stop = pos + 8 + length
        if stop > end:
            raise CorruptImage(TRUNCATED)
        if not all(0x20 <= byte < 0x7F for byte in kind):
            raise CorruptImage(N_("The image is damaged: a chunk has an invalid name."))
        yield kind, view[pos + 8 : stop]
        pos = stop + (length & 1)  # chunks are padded to an even size


def chunk(kind: bytes, payload: bytes | memoryview) -> bytes:
    """Return a RIFF chunk, padded to an even size."""
    return kind + struct.pack("<I", len(payload)) + bytes(payload) + b"\x00" * (len(payload) & 1)


def strip_webp(data: bytes) -> bytes:
    """Return the WebP rebuilt from its picture chunks only."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise CorruptImage(N_("This file is not a WebP image."))
    (riff_size,) = struct.unpack_from("<I", data, 4)
    end = 8 + riff_size
    if riff_size < 12 or end > len(data):
        raise CorruptImage(TRUNCATED)
    chunks = list(_chunks(data, 12, end))
    first_kind, first = chunks[0]
    if first_kind in _PICTURE:
        webp_bitstream_size(first_kind, first)  # a readable picture header
        if len(chunks) == 1 and end == len(data):
            return data
        return _riff([chunk(first_kind, first)])
    if first_kind != b"VP8X" or len(first) < 10:
        raise CorruptImage(N_("The image is damaged: it has no WebP picture header."))

    flags = first[0]
    kept: list[bytes] = []
    orientation: int | None = None
    has_icc = animated = has_picture = False
    for kind, payload in chunks[1:]:
        if kind == b"ICCP":
            profile = clean_icc_profile(bytes(payload))
            if profile is not None and not has_icc:
                has_icc = True
                kept.append(chunk(kind, profile))
        elif kind == b"EXIF":
            if orientation is None:
                orientation = read_orientation(payload)
        elif kind == b"ANIM":
            if len(payload) != 6:
                raise CorruptImage(N_("The image is damaged: its animation header is invalid."))
            animated = True
            kept.append(chunk(kind, payload))
        elif kind == b"ANMF":
            kept.append(chunk(kind, _clean_frame(payload)))
            has_picture = True
        elif kind in _PICTURE:
            webp_bitstream_size(kind, payload)
            kept.append(chunk(kind, payload))
            has_picture = True
        elif kind == b"ALPH":
            kept.append(chunk(kind, payload))
        # XMP and unknown chunks are dropped.
    if not has_picture:
        raise CorruptImage(N_("The image has no picture data."))
    if animated != bool(flags & _ANIMATION_FLAG):
        raise CorruptImage(N_("The image is damaged: its animation flag is wrong."))
    flags &= ~(_EXIF_FLAG | _XMP_FLAG | _ICC_FLAG) & 0xFF
    if has_icc:
        flags |= _ICC_FLAG
    if orientation is not None and orientation != 1:
        if not animated:
            return _reencode_upright(_riff([_vp8x(flags, first), *kept]), orientation)
        kept.append(chunk(b"EXIF", orientation_tiff(orientation)))
        flags |= _EXIF_FLAG
    return _riff([_vp8x(flags, first), *kept])


def _vp8x(flags: int, payload: memoryview) -> bytes:
    return chunk(b"VP8X", bytes((flags,)) + bytes(payload[1:10]))


def _riff(chunks: list[bytes]) -> bytes:
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _clean_frame(payload: memoryview) -> bytes:
    """Return an ANMF payload: its 16-byte frame header and picture sub-chunks only."""
    if len(payload) < 16:
        raise CorruptImage(N_("The image is damaged: an animation frame is invalid."))
    kept = [bytes(payload[:16])]
    has_picture = False
    for kind, sub in _chunks(payload, 16, len(payload)):
        if kind in _PICTURE:
            webp_bitstream_size(kind, sub)
            has_picture = True
            kept.append(chunk(kind, sub))
        elif kind == b"ALPH":
            kept.append(chunk(kind, sub))
    if not has_picture:
        raise CorruptImage(N_("The image is damaged: an animation frame has no picture."))
    return b"".join(kept)


def _reencode_upright(clean: bytes, orientation: int) -> bytes:
    image = decode(clean, "webp")
    icc = image.info.get("icc_profile")
    turned = upright(image, orientation)
    turned.info.clear()  # nothing from the old file's info may leak into the new one
    buffer = io.BytesIO()
    params = {"icc_profile": icc} if icc else {}
    turned.save(buffer, "WEBP", lossless=True, exact=True, quality=80, method=4, **params)
    return strip_webp(buffer.getvalue())
