"""Photos with a face in a known box, made from scikit-image's public-domain sample photos.

scikit-image is installed without its dependencies only for these files (scripts/install.sh):
``astronaut.png`` (NASA, public domain) and ``camera.png`` (CC0, Lav Varshney).
"""

from __future__ import annotations

import functools
import importlib.util
import io
from pathlib import Path

from PIL import Image

#: Where the face is in each sample (fractions of the 512 × 512 picture), a little generous.
FACES = {
    "astronaut.png": (0.33, 0.08, 0.22, 0.30),
    "camera.png": (0.37, 0.19, 0.16, 0.23),
}


def sample_dir() -> Path:
    """Return scikit-image's folder of sample pictures."""
    spec = importlib.util.find_spec("skimage")
    assert spec is not None and spec.submodule_search_locations, (
        "pip install --no-deps scikit-image==0.26.0 (scripts/install.sh does)"
    )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


@functools.cache
def sample(name: str) -> Image.Image:
    """Return one sample picture as RGB."""
    return Image.open(sample_dir() / name).convert("RGB")


def face_photo(
    width: int = 1600, height: int = 1200, *, face: str = "astronaut.png", fmt: str = "JPEG"
) -> tuple[bytes, tuple[int, int, int, int]]:
    """Return a photo with the sample's face pasted at its centre, and the face box in pixels."""
    canvas = Image.new("RGB", (width, height), (96, 120, 88))
    portrait = sample(face)
    left, top = (width - portrait.width) // 2, (height - portrait.height) // 2
    canvas.paste(portrait, (left, top))
    fx, fy, fw, fh = FACES[face]
    box = (
        left + int(fx * portrait.width),
        top + int(fy * portrait.height),
        left + int((fx + fw) * portrait.width),
        top + int((fy + fh) * portrait.height),
    )
    buffer = io.BytesIO()
    canvas.save(buffer, fmt, quality=92)
    return buffer.getvalue(), box


def face_region(
    data: bytes, box: tuple[int, int, int, int], size: tuple[int, int], *, like: bytes = b""
) -> Image.Image:
    """Return the face box of a picture given as file bytes, scaled to the picture's size.

    With ``like``, the picture is first resized to the size of that one (to compare a
    thumbnail with the photo it was made from at the same scale).
    """
    picture = Image.open(io.BytesIO(data)).convert("RGB")
    if like:
        picture = picture.resize(Image.open(io.BytesIO(like)).size, Image.Resampling.BOX)
    scale_x, scale_y = picture.width / size[0], picture.height / size[1]
    return picture.crop(
        (
            int(box[0] * scale_x),
            int(box[1] * scale_y),
            int(box[2] * scale_x),
            int(box[3] * scale_y),
        )
    )


def detail(picture: Image.Image) -> float:
    """Return the mean absolute difference between neighbouring pixels (blur lowers it)."""
    grey = picture.convert("L")
    pixels = grey.load()
    total = count = 0
    for y in range(grey.height):
        for x in range(1, grey.width):
            total += abs(pixels[x, y] - pixels[x - 1, y])
            count += 1
    return total / max(count, 1)
