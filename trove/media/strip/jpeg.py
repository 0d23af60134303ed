"""JPEG: walk the markers, keep the segments the picture needs, copy scans byte for byte."""

from __future__ import annotations

import re
import struct

from trove.media.errors import CorruptImage

# Markers without a length field.
_STANDALONE = {0xD8, 0xD9, 0x01, *range(0xD0, 0xD8)}
# Frame headers (SOF0-3, 5-7, 9-11, 13-15), tables and restart intervals.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_KEEP = _SOF | {0xC4, 0xCC, 0xDB, 0xDD, 0xDC, 0xDF}
# The end of entropy-coded data: 0xFF followed by anything but stuffing, a restart or fill.
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")

TRUNCATED = "The image is truncated: the file ends before the picture does."


def read_exif_orientation(payload: bytes) -> int:
    """Return the Orientation tag of an APP1 Exif payload (1 when absent or unreadable)."""
    tiff = payload[6:]
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return 1
    order = "<" if tiff[:2] == b"II" else ">"
    try:
        (ifd,) = struct.unpack_from(order + "I", tiff, 4)
        (count,) = struct.unpack_from(order + "H", tiff, ifd)
        for index in range(min(count, 512)):
            tag, kind, _n, value = struct.unpack_from(order + "HHI4s", tiff, ifd + 2 + 12 * index)
            if tag == 0x0112 and kind == 3:
                (orientation,) = struct.unpack_from(order + "H", value)
                return orientation if 1 <= orientation <= 8 else 1
    except struct.error:
        return 1
    return 1


def orientation_segment(orientation: int) -> bytes:
    """Return an APP1 segment whose EXIF holds only the Orientation tag."""
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8)
    tiff += struct.pack(">H", 1) + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff += struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _jfif_without_thumbnail(payload: bytes) -> bytes:
    # JFIF APP0: identifier(5) version(2) units(1) Xdensity(2) Ydensity(2) Xthumb(1) Ythumb(1)
    if len(payload) < 14:
        raise CorruptImage("The image has a malformed JFIF header.")
    clean = payload[:12] + b"\x00\x00"
    return b"\xff\xe0" + struct.pack(">H", len(clean) + 2) + clean


def _valid_icc_chunk(payload: bytes) -> bool:
    # "ICC_PROFILE\0" + sequence number + count; the first chunk starts the profile header.
    if len(payload) < 14:
        return False
    sequence, total = payload[12], payload[13]
    if not 1 <= sequence <= total:
        return False
    if sequence == 1:
        profile = payload[14:]
        return len(profile) >= 40 and profile[36:40] == b"acsp"
    return True


def strip_jpeg(data: bytes) -> bytes:
    """Return the JPEG with only picture-carrying segments and a minimal orientation EXIF."""
    if data[:2] != b"\xff\xd8":
        raise CorruptImage("This is not a JPEG image.")
    out: list[bytes] = [b"\xff\xd8"]
    exif_at = 1  # where the orientation segment goes: after SOI and JFIF
    orientation = 1
    seen_frame = seen_scan = False
    pos = 2
    length = len(data)
    while True:
        if pos >= length:
            raise CorruptImage(TRUNCATED)
        if data[pos] != 0xFF:
            raise CorruptImage("The image is damaged: unexpected data between its segments.")
        while pos < length and data[pos] == 0xFF:
            pos += 1  # fill bytes
        if pos >= length:
            raise CorruptImage(TRUNCATED)
        marker = data[pos]
        pos += 1
        if marker == 0xD9:
            if not (seen_frame and seen_scan):
                raise CorruptImage("The image has no picture data.")
            out.append(b"\xff\xd9")
            break  # anything after the end of the image is dropped
        if marker in _STANDALONE:
            if marker == 0xD8:
                raise CorruptImage("The image is damaged: it starts twice.")
            out.append(bytes((0xFF, marker)))
            continue
        if pos + 2 > length:
            raise CorruptImage(TRUNCATED)
        (size,) = struct.unpack_from(">H", data, pos)
        if size < 2 or pos + size > length:
            raise CorruptImage(TRUNCATED)
        segment = data[pos - 2 : pos + size]
        payload = data[pos + 2 : pos + size]
        pos += size
        if marker == 0xDA:
            if not seen_frame:
                raise CorruptImage("The image is damaged: picture data before its header.")
            match = _SCAN_END.search(data, pos)
            if match is None:
                raise CorruptImage(TRUNCATED)
            out.append(segment)
            out.append(data[pos : match.start()])
            pos = match.start()
            seen_scan = True
        elif marker in _KEEP:
            if marker in _SOF:
                seen_frame = True
            out.append(segment)
        elif marker == 0xE0 and payload[:5] == b"JFIF\x00" and len(out) == 1:
            out.append(_jfif_without_thumbnail(payload))
            exif_at = 2
        elif marker == 0xE1 and payload[:6] == b"Exif\x00\x00":
            if orientation == 1:
                orientation = read_exif_orientation(payload)
        elif marker == 0xE2 and payload[:12] == b"ICC_PROFILE\x00":
            # A colour profile describes the picture's colours, not the photographer.
            if _valid_icc_chunk(payload):
                out.append(segment)
        elif marker == 0xEE and payload[:5] == b"Adobe":
            out.append(segment)  # colour transform flags (CMYK/YCCK need them)
        elif 0xE0 <= marker <= 0xEF or marker == 0xFE:
            continue  # EXIF, XMP, extended XMP, IPTC/Photoshop, MPF, comments, vendor data
        elif marker in (0xC8,) or 0xF0 <= marker <= 0xFD:
            raise CorruptImage("The image uses a JPEG extension this site does not accept.")
        else:
            raise CorruptImage("The image is damaged: it has an unknown segment.")
    if orientation != 1:
        out.insert(exif_at, orientation_segment(orientation))
    return b"".join(out)
