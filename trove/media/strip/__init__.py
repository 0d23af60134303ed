"""Allowlist metadata stripping: keep what the picture needs, drop everything else.

One module per format; this one dispatches on the magic bytes and checks the result.
"""

from __future__ import annotations

from PIL import Image

from trove.media.decode import decode
from trove.media.formats import DEFAULT_MAX_PIXELS, ImageInfo, probe
from trove.media.strip.heic import heic_to_jpeg
from trove.media.strip.jpeg import jpeg_parts, strip_jpeg
from trove.media.strip.png import strip_png
from trove.media.strip.webp import strip_webp

__all__ = ["check_upload", "strip_metadata", "strip_parts", "strip_to_stored"]

_LOSSLESS = {"jpeg": strip_jpeg, "png": strip_png, "webp": strip_webp}


def strip_metadata(
    data: bytes, *, verify: bool = True, max_pixels: int = DEFAULT_MAX_PIXELS
) -> bytes:
    """Return ``data`` without identifying metadata; raise MediaError if it does not parse.

    JPEG, PNG and WebP are rewritten losslessly (JPEG scan data byte for byte); HEIC is
    converted to a high-quality JPEG. Every byte of the input is parsed; with ``verify``
    the output is also decoded (a JPEG at 1/8 scale), so damage inside the compressed
    data is refused too. ``process_image`` passes ``verify=False`` because it decodes the
    output anyway, for thumbnails.
    """
    clean, kind, _picture = strip_to_stored(data, max_pixels=max_pixels)
    if verify:
        # The smallest JPEG scale still entropy-decodes everything, which is what finds
        # damage; "L" skips the colour work. Animations are decoded frame by frame.
        decode(clean, kind, longest=1, mode="L", all_frames=True)
    return clean


def strip_parts(
    data: bytes, *, verify: bool = True, max_pixels: int = DEFAULT_MAX_PIXELS
) -> list[bytes | memoryview]:
    """Return what ``strip_metadata`` returns as pieces to write in order (``writelines``).

    A JPEG's scans are views of ``data``, so writing them costs no copy of the photo in
    memory; with ``verify`` the decode needs the file whole, so it is one piece.
    """
    if verify:
        return [strip_metadata(data, max_pixels=max_pixels)]
    if probe(data, max_pixels=max_pixels).format == "jpeg":
        return jpeg_parts(data)
    return [strip_to_stored(data, max_pixels=max_pixels)[0]]


def check_upload(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, max_decoded_bytes: int | None = None
) -> ImageInfo:
    """Return the header of an upload whose whole structure parses; raise MediaError if not.

    No pixels are decoded: the limits come from the header, and the stripper's parse walks
    every segment or chunk (lengths, checksums, the end marker), so a truncated or damaged
    file is refused in about a millisecond. HEIC is read through libheif's box parser only;
    its full decode is the media job's.
    """
    info = probe(data, max_pixels=max_pixels, max_decoded_bytes=max_decoded_bytes)
    if info.format == "jpeg":
        strip_jpeg(data, check_only=True)
    elif info.format in _LOSSLESS:
        _LOSSLESS[info.format](data)
    return info


def strip_to_stored(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, max_decoded_bytes: int | None = None
) -> tuple[bytes, str, Image.Image | None]:
    """Return (stripped bytes, their format, the decoded picture if one was needed).

    The picture is returned only when stripping had to decode (HEIC), so that callers can
    reuse it instead of decoding the result again.
    """
    # Refuses bombs (pixels and decoded size) before any decoding.
    kind = probe(data, max_pixels=max_pixels, max_decoded_bytes=max_decoded_bytes).format
    if kind in _LOSSLESS:
        return _LOSSLESS[kind](data), kind, None
    converted, picture = heic_to_jpeg(data)
    return strip_jpeg(converted), "jpeg", picture
