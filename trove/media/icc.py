"""Colour profiles: keep the colours, blank the words.

An ICC profile describes how the picture's numbers map to colours, so dropping it would
change how a wide-gamut photo looks. Its text tags and a few header fields say nothing about
colour but can name a device, its maker or whoever calibrated it. We keep every profile
that parses, byte for byte the same size, with those fields zeroed in place:

- header: device manufacturer and model (like EXIF Make/Model, which we drop too), the
  profile creator, and the profile ID (an MD5 of the profile, no longer valid once edited;
  zero means "not computed" in ICC.1);
- tags ``desc``, ``cprt``, ``dmnd``, ``dmdd``: their text becomes empty strings.

Zeroing in place keeps every offset and size, so the tag table stays valid. A profile that
does not parse is dropped (the picture itself is still fine).
"""

from __future__ import annotations

import struct

_HEADER = 128
_BLANK_HEADER_FIELDS = ((48, 56), (80, 100))  # manufacturer+model; creator+profile ID
_TEXT_TAGS = {b"desc", b"cprt", b"dmnd", b"dmdd"}
_MAX_TAGS = 1000


def clean_icc_profile(profile: bytes) -> bytes | None:
    """Return ``profile`` with identifying text blanked, or None if it is not a valid profile."""
    size = len(profile)
    if size < _HEADER + 4 or profile[36:40] != b"acsp":
        return None
    (declared,) = struct.unpack_from(">I", profile, 0)
    if declared != size:
        return None
    (count,) = struct.unpack_from(">I", profile, _HEADER)
    table_end = _HEADER + 4 + 12 * count
    if count > _MAX_TAGS or table_end > size:
        return None
    out = bytearray(profile)
    for start, end in _BLANK_HEADER_FIELDS:
        out[start:end] = bytes(end - start)
    for index in range(count):
        signature, offset, length = struct.unpack_from(">4sII", profile, _HEADER + 4 + 12 * index)
        if offset < table_end or length < 8 or offset + length > size:
            return None
        if signature in _TEXT_TAGS:
            _blank_text(out, offset, length)
    return bytes(out)


def _blank_text(out: bytearray, offset: int, length: int) -> None:
    """Empty a text-like tag's strings without moving anything."""
    kind = bytes(out[offset : offset + 4])
    if kind == b"mluc" and length >= 16:
        # multiLocalizedUnicodeType: records of (language, country, length, offset).
        (records, record_size) = struct.unpack_from(">II", out, offset + 8)
        if record_size >= 12 and 16 + records * record_size <= length:
            strings_start = 16 + records * record_size
            for record in range(records):
                struct.pack_into(">I", out, offset + 16 + record * record_size + 4, 0)
            out[offset + strings_start : offset + length] = bytes(length - strings_start)
            return
    # textType, textDescriptionType (v2: all counts become 0) and anything unexpected:
    # everything after the 8-byte type header becomes zeros, i.e. empty strings.
    out[offset + 8 : offset + length] = bytes(length - 8)
