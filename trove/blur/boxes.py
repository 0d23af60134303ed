"""A blur region as fractions of the upright picture, and its JSON form."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Its gettext answers in English outside a request (a job), in the person's language in one.
from flask_babel import gettext as _

#: Who drew a box: the face detector, a reviewer, or the contributor before sending.
SOURCES = ("face", "reviewer", "contributor")
#: Smallest side of a box, as a fraction of the picture (about 2 px of a 1280 px zoom).
MIN_SIDE = 0.002
MAX_BOXES = 100


@dataclass(frozen=True)
class Box:
    """A rectangle to blur: left, top, width, height as fractions (0–1) of the upright picture."""

    x: float
    y: float
    w: float
    h: float
    source: str = "face"

    @classmethod
    def clamped(cls, x: float, y: float, w: float, h: float, source: str = "face") -> Box:
        """Return the box cut to the picture, rounded to 4 decimals (about 1/10 000)."""
        x0, y0 = min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)
        x1, y1 = min(max(x + w, 0.0), 1.0), min(max(y + h, 0.0), 1.0)
        return cls(round(x0, 4), round(y0, 4), round(x1 - x0, 4), round(y1 - y0, 4), source=source)

    @property
    def usable(self) -> bool:
        """Return whether the box covers some of the picture."""
        return self.w >= MIN_SIDE and self.h >= MIN_SIDE

    def pixels(self, size: tuple[int, int], margin: float = 0.0) -> tuple[int, int, int, int]:
        """Return the box in pixels of a picture of ``size``, grown by ``margin`` of its side."""
        width, height = size
        grow_x, grow_y = self.w * margin, self.h * margin
        left = int((self.x - grow_x) * width)
        top = int((self.y - grow_y) * height)
        right = -int(-(self.x + self.w + grow_x) * width)  # ceil: never a pixel short
        bottom = -int(-(self.y + self.h + grow_y) * height)
        return max(0, left), max(0, top), min(width, right), min(height, bottom)

    def as_json(self) -> dict[str, Any]:
        """Return the box as stored in a submission's JSON column."""
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h, "source": self.source}


def boxes_to_json(boxes: Iterable[Box]) -> list[dict[str, Any]]:
    """Return boxes as a JSON-able list."""
    return [box.as_json() for box in boxes]


def boxes_from_json(data: Any) -> list[Box]:
    """Return the boxes of a stored or submitted JSON list; raise ValueError if malformed."""
    if data is None:
        return []
    if not isinstance(data, list) or len(data) > MAX_BOXES:
        raise ValueError(_("Send a list of at most %(num)s boxes.", num=MAX_BOXES))
    boxes = []
    for item in data:
        if not isinstance(item, dict):
            raise ValueError(_("Each box needs x, y, w and h."))
        try:
            values = [float(item[name]) for name in ("x", "y", "w", "h")]
        except (KeyError, TypeError, ValueError):
            raise ValueError(_("Each box needs x, y, w and h as numbers.")) from None
        if any(value != value or abs(value) > 10 for value in values):  # NaN, absurd
            raise ValueError(_("Box coordinates are fractions of the picture, from 0 to 1."))
        source = item.get("source", "reviewer")
        if source not in SOURCES:
            raise ValueError(_("Unknown box source."))
        box = Box.clamped(*values, source=source)
        if not box.usable:
            raise ValueError(_("A box must cover part of the picture."))
        boxes.append(box)
    return boxes
