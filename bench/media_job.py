"""Benchmark the media job's image work per 12 MP phone photo against naive Pillow.

Run from the repository root: ``.venv/bin/python bench/media_job.py`` (or ``python -m
bench.media_job``). ``process_image`` strips the metadata, decodes the stripped JPEG once
at the smallest DCT scale that still serves the largest thumbnail, renders the 1280 and
320 px thumbnails from it and hashes. The naive way decodes the whole photo, turns it
upright, and makes each thumbnail from the full-size picture. Target: under 60 ms a photo
on one core.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageOps  # noqa: E402

from bench._corpus import build  # noqa: E402
from trove.media import process_image, strip_metadata  # noqa: E402
from trove.media.decode import decode, flattened  # noqa: E402
from trove.media.formats import probe  # noqa: E402
from trove.media.hashing import phash_image  # noqa: E402
from trove.media.thumbnails import render_thumbnails  # noqa: E402

SIZES = (320, 1280)


def naive(data: bytes) -> dict[int, bytes]:
    """Do the same job the obvious way: full decode, upright, thumbnail, save."""
    image = Image.open(io.BytesIO(data))
    image.load()
    image = ImageOps.exif_transpose(image)
    thumbnails = {}
    for size in SIZES:
        thumb = image.copy()
        thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        thumb.save(buffer, "JPEG", quality=85)
        thumbnails[size] = buffer.getvalue()
    hashlib.sha256(data).hexdigest()
    return thumbnails


def _per_photo(run: Callable[[bytes], object], photos: list[bytes], repeat: int) -> float:
    """Return the best mean milliseconds per photo over ``repeat`` passes."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for data in photos:
            run(data)
        best = min(best, (time.perf_counter() - start) / len(photos))
    return best * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says

    with tempfile.TemporaryDirectory(prefix="trove-bench-") as tmp:
        files = build(Path(tmp), jpegs=args.photos, pngs=0, webps=0)
        photos = [path.read_bytes() for path in files]
    size = sum(map(len, photos)) / len(photos) / 1e6
    print(f"{len(photos)} JPEG photos, 4032x3024, {size:.1f} MB on average (EXIF, XMP, IPTC)")

    stripped = [strip_metadata(data, verify=False) for data in photos]
    infos = [probe(data) for data in stripped]
    decoded = [decode(data, "jpeg", longest=max(SIZES), mode="RGB") for data in stripped]
    pictures = [flattened(image) for image in decoded]
    smallest = [
        render_thumbnails(image, SIZES, info.orientation)[1]
        for image, info in zip(pictures, infos, strict=True)
    ]
    stages = {
        "strip (structure)": _per_photo(
            lambda d: strip_metadata(d, verify=False), photos, args.repeat
        ),
        "decode at 1/2 scale": _per_photo(
            lambda d: decode(d, "jpeg", longest=max(SIZES), mode="RGB"), stripped, args.repeat
        ),
        "thumbnails (resize, turn, encode)": _stage(
            lambda i: render_thumbnails(pictures[i], SIZES, infos[i].orientation),
            len(photos),
            args.repeat,
        ),
        "perceptual hash": _stage(lambda i: phash_image(smallest[i]), len(photos), args.repeat),
        "sha256": _per_photo(lambda d: hashlib.sha256(d).hexdigest(), stripped, args.repeat),
    }
    ours = _per_photo(lambda d: process_image(d, thumb_sizes=SIZES), photos, args.repeat)
    slow = _per_photo(naive, photos, args.repeat)

    print("\nprocess_image stages (ms/photo):")
    for name, ms in stages.items():
        print(f"  {name:34} {ms:7.1f}")
    print(f"\nprocess_image (whole job):   {ours:7.1f} ms/photo  (target < 60 ms)")
    print(f"naive Pillow (full decode):  {slow:7.1f} ms/photo")
    print(f"speed-up over naive:         {slow / ours:7.1f}x")
    return 0


def _stage(run: Callable[[int], object], count: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for index in range(count):
            run(index)
        best = min(best, (time.perf_counter() - start) / count)
    return best * 1000


if __name__ == "__main__":
    raise SystemExit(main())
