"""Recognise formats from their bytes and read dimensions without decoding pixels.

``probe`` is what the upload view calls before anything is stored for good, so it reads
headers only: JPEG segments up to the first scan, PNG and WebP chunk headers (skipping
their payloads), HEIF boxes through libheif. It refuses decompression bombs here, before
any decoder allocates the pixels.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from trove.media.errors import (
    N_,
    TRUNCATED,
    UNSUPPORTED,
    CorruptImage,
    UnsupportedFormat,
    describe,
    too_many_pixels,
    too_much_memory,
)
from trove.media.exif import EXIF_HEADER, read_orientation, swaps_sides

DEFAULT_MAX_PIXELS = 100_000_000
#: What one decoded picture may take (a 48 MP colour photo fits): see ``ImageInfo``.
DEFAULT_MAX_DECODED_BYTES = 192 * 1024 * 1024

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# HEIF brands whose pictures are HEVC-coded (what phones write). AVIF shares the container
# but not the codec, and this build of libheif has no AV1 decoder.
_HEVC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_HEIF_STRUCTURE_BRANDS = {b"mif1", b"msf1", b"mif2"}


def detect_format(data: bytes) -> str:
    """Return "jpeg", "png", "webp" or "heic" from the file's magic bytes."""
    if not data:
        raise UnsupportedFormat(N_("The file is empty."))
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == PNG_SIGNATURE:
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and _is_hevc_heif(data):
        return "heic"
    raise UnsupportedFormat(UNSUPPORTED)


def _is_hevc_heif(data: bytes) -> bool:
    (box_size,) = struct.unpack_from(">I", data, 0)
    if box_size < 16 or box_size > min(len(data), 4096):
        return False
    major = data[8:12]
    compatible = {data[i : i + 4] for i in range(16, box_size - 3, 4)}
    if major in _HEVC_BRANDS:
        return True
    return major in _HEIF_STRUCTURE_BRANDS and bool(compatible & _HEVC_BRANDS)


@dataclass(frozen=True)
class ImageInfo:
    """What an image's header says: format and size as displayed."""

    format: str
    width: int  # as displayed, i.e. after the EXIF orientation
    height: int
    orientation: int  # EXIF orientation the stored pixels need (1 = already upright)
    frames: int = 1
    # Bytes one decoded pixel takes: the larger of the file's samples and Pillow's layout
    # (RGB and RGBA take 4), so ``decoded_bytes`` is what decoding would allocate at least.
    bytes_per_pixel: int = field(default=4, compare=False)

    @property
    def decoded_bytes(self) -> int:
        """Return the memory the decoded picture needs (every frame, at full size)."""
        return self.width * self.height * self.frames * self.bytes_per_pixel


def probe(
    data: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decoded_bytes: int | None = None,
) -> ImageInfo:
    """Return format, displayed size and orientation from the header only (no decode).

    Refuses pictures over ``max_pixels`` and, when given, pictures whose decoded size is
    over ``max_decoded_bytes`` (a small 16-bit PNG can ask for gigabytes).
    """
    kind = detect_format(data)
    bytes_per_pixel = 4
    if kind == "jpeg":
        width, height, orientation, frames, bytes_per_pixel = _probe_jpeg(data)
    elif kind == "png":
        width, height, orientation, frames = _probe_png(data)
        bytes_per_pixel = _png_bytes_per_pixel(data[24], data[25])
    elif kind == "webp":
        width, height, orientation, frames = _probe_webp(data)
    else:
        width, height, orientation, frames = _probe_heic(data)
    if width <= 0 or height <= 0:
        raise CorruptImage(N_("The image has no pixels."))
    if width * height * frames > max_pixels:
        raise too_many_pixels(width, height, max_pixels, frames)
    info = ImageInfo(kind, width, height, orientation, frames, bytes_per_pixel)
    if max_decoded_bytes is not None and info.decoded_bytes > max_decoded_bytes:
        raise too_much_memory(width, height, info.decoded_bytes, max_decoded_bytes)
    if swaps_sides(orientation):
        return ImageInfo(kind, height, width, orientation, frames, bytes_per_pixel)
    return info


# --- JPEG ------------------------------------------------------------------------------------

# Start-of-frame markers libjpeg can decode: baseline, extended, progressive, lossless,
# and their arithmetic-coded twins. Hierarchical (differential) frames are not supported.
JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC9, 0xCA, 0xCB}
JPEG_UNSUPPORTED_SOF = {0xC5, 0xC6, 0xC7, 0xCD, 0xCE, 0xCF, 0xDE, 0xDF, 0xF7}


def _probe_jpeg(data: bytes) -> tuple[int, int, int, int, int]:
    pos = 2
    orientation: int | None = None
    size = len(data)
    while True:
        if pos >= size:
            raise CorruptImage(TRUNCATED)
        if data[pos] != 0xFF:
            raise CorruptImage(N_("The image is damaged: unexpected data between its segments."))
        while pos < size and data[pos] == 0xFF:
            pos += 1  # the marker's 0xFF and any fill bytes
        if pos >= size:
            raise CorruptImage(TRUNCATED)
        marker = data[pos]
        if 0xD0 <= marker <= 0xD9 or marker == 0x01:
            raise CorruptImage(N_("The image is damaged: it has no picture header."))
        if pos + 3 > size:
            raise CorruptImage(TRUNCATED)
        (length,) = struct.unpack_from(">H", data, pos + 1)
        body = pos + 3
        end = pos + 1 + length
        if length < 2 or end > size:
            raise CorruptImage(TRUNCATED)
        if marker == 0xE1 and orientation is None and data[body : body + 6] == EXIF_HEADER:
            orientation = read_orientation(memoryview(data)[body + 6 : end])
        elif marker in JPEG_SOF:
            if length < 8:
                raise CorruptImage(N_("The image is damaged: its picture header is too short."))
            height, width = struct.unpack_from(">HH", data, body + 1)
            grey = data[body + 5] == 1
            return width, height, orientation or 1, 1, 1 if grey else 4
        elif marker in JPEG_UNSUPPORTED_SOF:
            raise UnsupportedFormat(N_("The image uses a kind of JPEG this site cannot show."))
        elif marker == 0xDA:
            raise CorruptImage(N_("The image is damaged: picture data comes before its header."))
        pos = end


# --- PNG -------------------------------------------------------------------------------------


def _probe_png(data: bytes) -> tuple[int, int, int, int]:
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise CorruptImage(N_("The image is damaged: it does not start with a PNG header."))
    width, height = struct.unpack_from(">II", data, 16)
    if width > 0x7FFFFFFF or height > 0x7FFFFFFF:
        raise CorruptImage(N_("The image is damaged: its header is invalid."))
    orientation: int | None = None
    frames = 1
    pos = 8
    # Walk chunk headers only (payloads are skipped), to find eXIf and an animation's size.
    # Only the first eXIf counts: it is the one the stripper keeps.
    while pos + 8 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        if kind == b"IEND" or length > 0x7FFFFFFF:
            break
        payload = memoryview(data)[pos + 8 : pos + 8 + length]
        if kind == b"eXIf" and orientation is None:
            orientation = read_orientation(payload)
        elif kind == b"acTL" and len(payload) >= 4:
            frames = max(1, int.from_bytes(payload[:4], "big"))
        pos += 12 + length
    return width, height, orientation or 1, frames


def _png_bytes_per_pixel(depth: int, colour: int) -> int:
    """Return the decoded size of a pixel: 16-bit samples count double, colour takes 4."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour, 4)
    in_file = channels * (2 if depth == 16 else 1)
    # Pillow holds colour (and palettes, once converted for display) as 4 bytes per pixel,
    # 16-bit grey as 32-bit integers on its way to 8 bits.
    in_memory = 1 if colour == 0 and depth <= 8 else 4
    return max(in_file, in_memory)


# --- WebP ------------------------------------------------------------------------------------


def webp_bitstream_size(kind: bytes, payload: bytes | memoryview) -> tuple[int, int]:
    """Return (width, height) from a VP8 or VP8L bitstream header."""
    if kind == b"VP8 ":
        if len(payload) < 10 or bytes(payload[3:6]) != b"\x9d\x01\x2a" or payload[0] & 1:
            raise CorruptImage(N_("The image is damaged: its WebP picture header is invalid."))
        width, height = struct.unpack_from("<HH", payload, 6)
        return width & 0x3FFF, height & 0x3FFF
    if len(payload) < 5 or payload[0] != 0x2F:
        raise CorruptImage(N_("The image is damaged: its WebP picture header is invalid."))
    (bits,) = struct.unpack_from("<I", payload, 1)
    return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1


def _probe_webp(data: bytes) -> tuple[int, int, int, int]:
    (riff_size,) = struct.unpack_from("<I", data, 4)
    end = 8 + riff_size
    if end > len(data):
        raise CorruptImage(TRUNCATED)
    pos = 12
    width = height = 0
    orientation: int | None = None  # the first EXIF chunk counts: the stripper keeps that one
    frames = 0
    first = True
    while pos + 8 <= end:
        kind = data[pos : pos + 4]
        (length,) = struct.unpack_from("<I", data, pos + 4)
        payload = memoryview(data)[pos + 8 : min(end, pos + 8 + length)]
        if first:
            if kind == b"VP8X":
                if len(payload) < 10:
                    raise CorruptImage(N_("The image is damaged: its WebP header is too short."))
                width = int.from_bytes(payload[4:7], "little") + 1
                height = int.from_bytes(payload[7:10], "little") + 1
            elif kind in (b"VP8 ", b"VP8L"):
                width, height = webp_bitstream_size(kind, payload)
                return width, height, 1, 1
            else:
                raise CorruptImage(N_("The image is damaged: it has no WebP picture header."))
            first = False
        elif kind == b"EXIF" and orientation is None:
            orientation = read_orientation(payload)
        elif kind == b"ANMF":
            frames += 1
        pos += 8 + length + (length & 1)
    if first:
        raise CorruptImage(TRUNCATED)
    return width, height, orientation or 1, max(frames, 1)


# --- HEIC ------------------------------------------------------------------------------------


def _probe_heic(data: bytes) -> tuple[int, int, int, int]:
    import pillow_heif  # imported on demand: only HEIC uploads need libheif

    try:
        heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=True)
        width, height = heif.size
    except Exception as error:  # libheif reports damage as assorted exception types
        raise CorruptImage(
            N_("The HEIC image cannot be read (%(detail)s)."), detail=describe(error)
        ) from None
    # libheif applies the file's rotation and mirroring when decoding, so this size is
    # already the displayed one and the decoded pixels need no further turning.
    return width, height, 1, 1
