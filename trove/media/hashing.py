"""Content hashes (exact copies) and perceptual hashes (near copies).

The perceptual hash is a 64-bit DCT hash ("pHash"): the picture, upright and grey, is
averaged down to 32×32; of its 2-D DCT the 8×8 lowest frequencies are kept, and each bit
says whether a coefficient is above their median (the DC term excluded from the median).
Low frequencies survive re-encoding, resizing, mild colour changes and EXIF-rotated copies
(we hash the picture as displayed), so copies land a few bits apart while different photos
land about 32 apart. A copy whose pixels were turned by 90° is a different picture to it.

Hashes of the same photo decoded at different scales (``process_image`` hashes its
smallest thumbnail, ``perceptual_hash`` a small greyscale decode) may differ by a few bits;
compare them with ``hamming`` and ``NEAR_DUPLICATE_DISTANCE``, never for equality.
"""

from __future__ import annotations

import hashlib
import math
from functools import cache
from itertools import combinations

from PIL import Image

from trove.media.decode import decode, displayable
from trove.media.formats import DEFAULT_MAX_PIXELS, probe

#: Perceptual hashes at most this many bits apart are the same photo (re-encoded, resized).
NEAR_DUPLICATE_DISTANCE = 8

_SIDE = 32
_KEPT = 8
_COS = [
    [math.cos(math.pi * (2 * n + 1) * k / (2 * _SIDE)) for n in range(_SIDE)] for k in range(_KEPT)
]
_SOURCE = 256  # decode at least this many pixels on the long side before averaging down


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 of ``data`` as lowercase hex."""
    return hashlib.sha256(data).hexdigest()


def hamming(a: int, b: int) -> int:
    """Return how many bits differ between two hashes."""
    return (a ^ b).bit_count()


#: The near-duplicate index cuts the 64-bit hash into these bands (bit widths, high first).
#: Two hashes at most ``NEAR_DUPLICATE_DISTANCE`` (8) bits apart differ in at most 8 // 3 = 2
#: bits of some band (pigeonhole), so a search probes each band's value and its neighbours
#: within 2 bits (718 keys) and checks the few hashes found; wider bands would need more
#: probes, narrower ones (e.g. 9 bands matched exactly) return thousands of candidates.
PHASH_BANDS = (21, 21, 22)
_BAND_SHIFT = 22  # a key is band index << 22 | band value


def _bands(phash: int) -> list[tuple[int, int, int]]:
    """Return (index, width, value) of each band of a hash."""
    bands, shift = [], 64
    for index, width in enumerate(PHASH_BANDS):
        shift -= width
        bands.append((index, width, (phash >> shift) & ((1 << width) - 1)))
    return bands


def phash_band_keys(phash: int) -> list[int]:
    """Return the near-duplicate index keys of a hash: each band's value tagged with its band."""
    return [index << _BAND_SHIFT | value for index, _, value in _bands(phash)]


def phash_probe_keys(phash: int, distance: int = NEAR_DUPLICATE_DISTANCE) -> list[int]:
    """Return keys one of which every hash within ``distance`` bits of ``phash`` has."""
    radius = distance // len(PHASH_BANDS)
    return [
        index << _BAND_SHIFT | value ^ mask
        for index, width, value in _bands(phash)
        for mask in _flip_masks(width, radius)
    ]


@cache
def _flip_masks(width: int, radius: int) -> tuple[int, ...]:
    """Return every ``width``-bit mask with at most ``radius`` bits set."""
    return tuple(
        sum(1 << bit for bit in bits)
        for flips in range(radius + 1)
        for bits in combinations(range(width), flips)
    )


def perceptual_hash(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> int:
    """Return the 64-bit perceptual hash of the picture as displayed."""
    info = probe(data, max_pixels=max_pixels)
    picture = decode(data, info.format, longest=_SOURCE, mode="L")
    return phash_image(displayable(picture, info.orientation))


def phash_image(picture: Image.Image) -> int:
    """Return the 64-bit perceptual hash of an upright RGB or L image."""
    small = picture.convert("L").resize((_SIDE, _SIDE), Image.Resampling.BOX)
    pixels = small.tobytes()
    # Separable DCT-II, computing only the 8 lowest frequencies in each direction.
    rows = [
        [
            sum(p * c for p, c in zip(pixels[y * _SIDE : (y + 1) * _SIDE], cos, strict=True))
            for cos in _COS
        ]
        for y in range(_SIDE)
    ]
    coefficients = [
        sum(rows[y][v] * _COS[u][y] for y in range(_SIDE))
        for u in range(_KEPT)
        for v in range(_KEPT)
    ]
    median = sorted(coefficients[1:])[len(coefficients[1:]) // 2]
    value = 0
    for coefficient in coefficients:
        value = (value << 1) | (coefficient > median)
    return value
