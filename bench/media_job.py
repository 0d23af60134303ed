"""Benchmark the media job's image work per 12 MP phone photo against naive Pillow.

Run from the repository root: ``.venv/bin/python bench/media_job.py`` (or ``python -m
bench.media_job``). ``process_image`` strips the metadata, decodes the stripped JPEG once
at the smallest DCT scale that still serves the largest thumbnail, renders the 1280 and
320 px thumbnails from it and hashes. The naive way decodes the whole photo, turns it
upright, and makes each thumbnail from the full-size picture. Target: under 60 ms a photo
on one core.

With ``--existing N`` (default 100,000) the whole job (``process_submission``: image work,
files, row, near-duplicate search) also runs against a project already holding N photos
with random perceptual hashes (a few planted within the near-duplicate distance), on
SQLite. The near-duplicate search through the band index is timed against the full scan
it replaced, in the same run. Target: near-duplicate search at most 5 ms at 100,000 photos
(20 ms at 1,000,000). The last line is one JSON object: ``near_duplicate_ms``, ``job_ms``,
``floor_ms`` (``process_image`` alone: the image work producing the job's outputs, with
neither database nor files), ``job_vs_floor``, ``linear_scan_ms``, ``naive_ms`` and
``result`` (PASS or MISS against the targets: the job within 1.1x of its floor too).
Search times are the smallest of ``--repeat`` medians; ``*_best_ms`` the fastest single
search (on a busy machine the median mostly measures waiting for a core). The job and its
floor take turns on each photo and are timed in CPU time of this process; the smallest
mean of ``--repeat`` passes is kept, the median printed beside it.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import statistics
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
from trove.submissions.jobs import THUMB_SIZES  # noqa: E402

# The job's own sizes, so the floor keeps producing what the job produces when they change.
SIZES = THUMB_SIZES


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
    parser.add_argument("--existing", type=int, default=100_000)
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
    if not args.existing:
        return 0
    with tempfile.TemporaryDirectory(prefix="trove-bench-") as tmp:
        figures = in_project(Path(tmp), photos, args.existing, args.repeat)
    target = 5.0 if args.existing <= 100_000 else 20.0
    met = figures["near_duplicate_ms"] <= target
    print(f"\n{args.existing:,} photos already in the project (SQLite):")
    print(
        f"  near-duplicate search (index)  {figures['near_duplicate_ms']:8.2f} ms median"
        f"  (best {figures['near_duplicate_best_ms']:.2f})"
    )
    print(
        f"  full scan it replaced          {figures['linear_scan_ms']:8.2f} ms median"
        f"  (best {figures['linear_scan_best_ms']:.2f})"
    )
    speedup = figures["linear_scan_ms"] / figures["near_duplicate_ms"]
    print(f"  speed-up                       {speedup:8.0f}x")
    job, floor = figures["job_ms"], figures["floor_ms"]
    print(
        f"  whole media job (CPU)          {job:8.1f} ms/photo min, "
        f"{figures['job_median_ms']:.1f} median of {args.repeat} passes "
        f"(wall {figures['job_wall_ms']:.1f})"
    )
    print(
        f"  floor: process_image (CPU)     {floor:8.1f} ms/photo min, "
        f"{figures['floor_median_ms']:.1f} median (same passes, taking turns with the job)"
    )
    job_met = job <= 1.1 * floor
    load = os.getloadavg()
    print(f"  load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(
        f"{'PASS' if met else 'MISS'} near-duplicate search: "
        f"{figures['near_duplicate_ms']:.2f} ms (target <= {target:g} ms)"
    )
    print(
        f"{'PASS' if job_met else 'MISS'} media job: "
        f"{job / floor:.2f}x the floor "
        f"(median {figures['job_median_ms'] / figures['floor_median_ms']:.2f}x; target <= 1.1x)"
    )
    result = {
        "existing": args.existing,
        **{k: round(v, 3) for k, v in figures.items()},
        "process_image_wall_ms": round(ours, 3),
        "naive_ms": round(slow, 3),
        "target_ms": target,
        "job_vs_floor": round(job / floor, 3),
        "load_average": [round(value, 1) for value in load],
        "result": "PASS" if met and job_met else "MISS",
    }
    print(json.dumps(result))
    return 0


def linear_scan(project_id: int, exclude: int, phash: int) -> int | None:
    """Find the nearest hash the way the job did before the index: read them all."""
    from sqlalchemy import select

    from trove.extensions import db
    from trove.submissions.jobs import nearest_hash
    from trove.submissions.models import Submission

    rows = db.session.execute(
        select(Submission.id, Submission.phash).where(
            Submission.project_id == project_id,
            Submission.id != exclude,
            Submission.phash.is_not(None),
        )
    )
    return nearest_hash(phash, rows)  # type: ignore[arg-type]


def _median_of(
    run: Callable[[int], object], queries: list[int], repeat: int
) -> tuple[float, float]:
    """Return the smallest, over ``repeat`` rounds, of the median ms per query, and the best."""
    rounds, best = [], float("inf")
    for _ in range(repeat):
        times = []
        for query in queries:
            start = time.perf_counter()
            run(query)
            times.append((time.perf_counter() - start) * 1000)
        rounds.append(statistics.median(times))
        best = min(best, *times)
    return min(rounds), best


def in_project(workdir: Path, photos: list[bytes], existing: int, repeat: int) -> dict[str, float]:
    """Time the near-duplicate search and the whole media job in a project of ``existing``."""
    from sqlalchemy import insert, select, update

    from bench.near_duplicate import planted
    from bench.review import seed
    from trove import create_app
    from trove.extensions import db
    from trove.files import get_storage
    from trove.media.hashing import phash_band_keys
    from trove.submissions.jobs import _near_duplicate, process_submission
    from trove.submissions.models import PhashBand, Submission, SubmissionStatus
    from trove.submissions.service import upload_limits

    app = create_app(
        {
            "SECRET_KEY": "bench",
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "STORAGE_DIR": str(workdir / "storage"),
            "TASKS_MODE": "sync",
            "MAIL_BACKEND": "memory",
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
        }
    )
    with app.app_context():
        project_id, _ = seed(existing)
        ids = list(db.session.scalars(select(Submission.id).order_by(Submission.id)))
        hashes, queries = planted(len(ids))
        for start in range(0, len(ids), 5000):
            chunk = list(zip(ids[start : start + 5000], hashes[start : start + 5000], strict=True))
            db.session.execute(
                update(Submission), [{"id": i, "phash": f"{h:016x}"} for i, h in chunk]
            )
            db.session.execute(
                insert(PhashBand),
                [
                    {"submission_id": i, "project_id": project_id, "band_key": key}
                    for i, h in chunk
                    for key in phash_band_keys(h)
                ],
            )
        db.session.commit()
        subject = db.session.get(Submission, ids[0])  # the photo being processed
        found = [_near_duplicate(subject, q) for q in queries]
        for query, answer in zip(queries[:20], found, strict=False):
            assert answer == linear_scan(project_id, subject.id, query)
        indexed, indexed_best = _median_of(lambda q: _near_duplicate(subject, q), queries, repeat)
        scan, scan_best = _median_of(
            lambda q: linear_scan(project_id, subject.id, q), queries[:5], repeat
        )
        figures = {
            "near_duplicate_ms": indexed,
            "near_duplicate_best_ms": indexed_best,
            "linear_scan_ms": scan,
            "linear_scan_best_ms": scan_best,
            "near_duplicates_found": float(sum(f is not None for f in found)),
        }

        storage = get_storage()
        template = db.session.get(Submission, ids[-1])
        limits = upload_limits()
        # The floor and the job take turns on each photo, so both see the same machine; both
        # in CPU time of this process (the job runs here, inline): on a shared machine wall
        # time measures the neighbours. The floor is the image work producing the job's
        # outputs (stripped file, every thumbnail size, hashes) from the upload's bytes.
        passes: dict[str, list[list[float]]] = {"floor": [], "job": [], "job_wall": []}
        for n, data in enumerate(photos * repeat):
            if n % len(photos) == 0:
                for key in passes:
                    passes[key].append([])
            start = time.process_time()
            process_image(
                data,
                thumb_sizes=THUMB_SIZES,
                max_pixels=limits.max_pixels,
                max_decoded_bytes=limits.max_decoded_bytes,
            )
            passes["floor"][-1].append((time.process_time() - start) * 1000)
            row = Submission(
                project_id=project_id,
                contributor_id=template.contributor_id,
                status=SubmissionStatus.PROCESSING,
                upload_format="jpeg",
                upload_size=len(data),
                upload_sha256=f"bench-{n}",
                quarantine_name=storage.save_quarantine(io.BytesIO(data), max_bytes=10**9),
                brief_version_id=template.brief_version_id,
                licence_hash="0" * 64,
            )
            db.session.add(row)
            db.session.commit()
            start, wall = time.process_time(), time.perf_counter()
            process_submission(row.id)
            passes["job"][-1].append((time.process_time() - start) * 1000)
            passes["job_wall"][-1].append((time.perf_counter() - wall) * 1000)
            assert db.session.get(Submission, row.id).status is SubmissionStatus.PENDING_REVIEW
        means = {key: [statistics.fmean(run) for run in runs] for key, runs in passes.items()}
        figures["job_ms"] = min(means["job"])
        figures["floor_ms"] = min(means["floor"])
        figures["job_median_ms"] = statistics.median(means["job"])
        figures["floor_median_ms"] = statistics.median(means["floor"])
        figures["job_wall_ms"] = min(means["job_wall"])
        db.session.remove()
        db.engine.dispose()
    return figures


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
