"""Build test photos in memory (no binary fixtures)."""

from __future__ import annotations

import io
import random

import piexif
from PIL import Image


def photo(
    width: int = 640,
    height: int = 480,
    *,
    fmt: str = "JPEG",
    seed: int = 1,
    gps: bool = False,
    orientation: int | None = None,
) -> bytes:
    """Return a photo-like image (a gradient with blocks) in ``fmt``, optionally with EXIF."""
    rng = random.Random(seed)
    base = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    # One pixel per 8 × 8 block, scaled up without interpolation: the same picture as
    # painting every pixel of every block, in a fraction of the time.
    columns, rows = range(0, width, 8), range(0, height, 8)
    blocks = Image.new("RGB", (len(columns), len(rows)))
    blocks.putdata(
        [
            (
                (base[0] + x * 255 // width) % 256,
                (base[1] + y * 255 // height) % 256,
                (base[2] + (x ^ y)) % 256,
            )
            for y in rows
            for x in columns
        ]
    )
    image = blocks.resize((len(columns) * 8, len(rows) * 8), Image.Resampling.NEAREST)
    image = image.crop((0, 0, width, height))
    buffer = io.BytesIO()
    kwargs: dict = {}
    if fmt == "JPEG":
        kwargs["quality"] = 90
        exif: dict = {"0th": {}, "Exif": {}, "GPS": {}, "1st": {}}
        if gps:
            exif["GPS"] = {
                piexif.GPSIFD.GPSLatitudeRef: b"N",
                piexif.GPSIFD.GPSLatitude: ((51, 1), (30, 1), (2600, 100)),
                piexif.GPSIFD.GPSLongitudeRef: b"W",
                piexif.GPSIFD.GPSLongitude: ((0, 1), (7, 1), (3900, 100)),
            }
            exif["0th"][piexif.ImageIFD.Make] = b"PhoneCo"
            exif["0th"][piexif.ImageIFD.Model] = b"Phone 12"
            exif["Exif"][piexif.ExifIFD.BodySerialNumber] = b"SN-123456789"
        if orientation:
            exif["0th"][piexif.ImageIFD.Orientation] = orientation
        if gps or orientation:
            kwargs["exif"] = piexif.dump(exif)
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()
