"""Benchmark metadata stripping against exiftool and against plain read+write.

Run from the repository root: ``.venv/bin/python bench/strip.py`` (or ``python -m
bench.strip``). It builds its own corpus of phone photos in a temporary directory, then:

- ours: read each file, strip it, write the result, in one Python process; both as the
  media job and ``strip-metadata --structure-only`` strip (structure fully parsed, no
  decode: the job's thumbnail decode verifies; the pieces written with ``writelines``, as
  the command does) and as the command does by default (a 1/8-scale decode on top);
- exiftool: ``exiftool -all= -tagsfromfile @ -Orientation`` over the whole batch in ONE
  process, so its start-up is paid once; it also runs on one file, to tell its start-up
  from its cost per file (``exiftool_marginal_cpu_ms_per_image``);
- floor: read each file and write the same bytes (the same calls, no fsync, like ours).

Every output of ours is then read back with exiftool and checked for leaks, and compared
byte for byte with ``strip_metadata``.

``--camera`` measures a set of camera JPEGs instead (4000x3000, quality 90, each with full
EXIF: GPS, serials, a 30 KB MakerNote and a thumbnail; XMP, IPTC and an ICC profile; a
quarter with a second picture after the end marker), generated at run time. ``--small``
measures small JPEGs (800x600, quality 85) carrying the same metadata.

Times are CPU seconds (user + system, this process and its children, so exiftool's too):
on a shared machine wall time measures the neighbours. Each repeat runs every contender
once, in turn; the best of ``--repeat`` gives the ratios, the median is printed beside it.
Targets: at least 30x exiftool's throughput, within 2x of the read+write floor. The last
line is one JSON object with ``x_faster_than_exiftool`` and ``x_slower_than_floor``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._corpus import build, exiftool_problems  # noqa: E402
from trove.media import strip_metadata  # noqa: E402
from trove.media.strip import strip_parts  # noqa: E402


def _cpu() -> float:
    """Return the CPU seconds (user + system) used so far by this process and its children."""
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def _timed(contenders: dict[str, Callable[[], None]], repeat: int) -> dict[str, list[float]]:
    """Return each contender's CPU seconds per run; every repeat runs them all in turn."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, run in contenders.items():
            start = _cpu()
            run()
            times[name].append(_cpu() - start)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jpegs", type=int, default=None, help="20 (100 with --small)")
    corpus = parser.add_mutually_exclusive_group()
    corpus.add_argument(
        "--camera", action="store_true", help="camera JPEGs only: 4000x3000, quality 90"
    )
    corpus.add_argument("--small", action="store_true", help="small JPEGs only: 800x600")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measure; best is kept")
    args = parser.parse_args()
    exiftool = shutil.which("exiftool")
    if exiftool is None:
        print("exiftool is not installed (apt-get install libimage-exiftool-perl)")
        return 2
    jpegs = args.jpegs or (100 if args.small else 20)

    with tempfile.TemporaryDirectory(prefix="trove-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        if args.camera or args.small:
            size, quality = ((4000, 3000), 90) if args.camera else ((800, 600), 85)
            files = build(root / "corpus", jpegs=jpegs, pngs=0, webps=0, size=size, quality=quality)
            kind = f"{'camera' if args.camera else 'small'} JPEG {size[0]}x{size[1]} q{quality}"
        else:
            files = build(root / "corpus", jpegs=jpegs)
            kind = "JPEG 4032x3024 q88, 3 PNG, 3 WebP"
        total_bytes = sum(path.stat().st_size for path in files)
        count = len(files)
        print(
            f"corpus: {count} files ({jpegs} {kind}), "
            f"{total_bytes / 1e6:.1f} MB, built in {time.perf_counter() - started:.1f} s"
        )
        for path in files:  # warm the page cache so every contender reads from memory
            path.read_bytes()

        def floor() -> None:
            out = root / "floor"
            out.mkdir(exist_ok=True)
            for path in files:
                with open(out / path.name, "wb") as handle:
                    handle.write(path.read_bytes())

        def ours(verify: bool) -> Callable[[], None]:
            def run() -> None:
                out = root / ("ours-verified" if verify else "ours")
                out.mkdir(exist_ok=True)
                for path in files:
                    with open(out / path.name, "wb") as handle:
                        handle.writelines(strip_parts(path.read_bytes(), verify=verify))

            return run

        datas = [path.read_bytes() for path in files]

        def in_memory() -> None:
            for data in datas:
                strip_parts(data, verify=False)

        def exif_tool(inputs: list[Path]) -> Callable[[], None]:
            def run() -> None:
                out = root / "exiftool"
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                command = [exiftool, "-q", "-q", "-all=", "-tagsfromfile", "@", "-Orientation"]
                command += ["-o", f"{out}/%f.%e", *map(str, inputs)]
                subprocess.run(command, check=True)

            return run

        times = _timed(
            {
                "floor (read+write)": floor,
                "ours, strip only (in memory)": in_memory,
                "ours (read+strip+write)": ours(False),
                "ours + decode check (CLI)": ours(True),
                "exiftool, one process": exif_tool(files),
                "exiftool, one file": exif_tool(files[:1]),
            },
            args.repeat,
        )
        results = {name: min(runs) for name, runs in times.items()}
        load = os.getloadavg()
        print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, {args.repeat} repeats")
        print(f"\n{'':32} {'CPU ms/image min':>16} {'median':>7} {'MB/CPU s':>9}")
        for name, runs in times.items():
            one = name == "exiftool, one file"
            per, megabytes = (
                (1, files[0].stat().st_size / 1e6) if one else (count, total_bytes / 1e6)
            )
            print(
                f"{name:32} {min(runs) * 1000 / per:16.2f} "
                f"{statistics.median(runs) * 1000 / per:7.2f} {megabytes / min(runs):9.0f}"
            )
        marginal = (results["exiftool, one process"] - results["exiftool, one file"]) / max(
            1, count - 1
        )
        startup = results["exiftool, one file"] - marginal
        print(
            f"exiftool: start-up about {startup * 1000:.0f} ms, then {marginal * 1000:.2f} ms "
            "per file (from its 1-file and whole-batch runs)"
        )

        mine = results["ours (read+strip+write)"]
        versus_exiftool = results["exiftool, one process"] / mine
        versus_floor = mine / results["floor (read+write)"]
        verified = results["exiftool, one process"] / results["ours + decode check (CLI)"]
        print()
        fast_enough = versus_exiftool >= 30
        near_floor = versus_floor <= 2
        print(f"ours with decode check vs exiftool: {verified:.1f}x")
        print(
            f"the floor itself vs exiftool: "
            f"{results['exiftool, one process'] / results['floor (read+write)']:.1f}x "
            f"(per file, start-up aside: {marginal * count / results['floor (read+write)']:.1f}x)"
        )
        print(
            f"{'PASS' if fast_enough else 'MISS'} ours vs exiftool: "
            f"{versus_exiftool:.1f}x faster (target >= 30x)"
        )
        print(
            f"{'PASS' if near_floor else 'MISS'} ours vs read+write floor: "
            f"{versus_floor:.2f}x slower (target <= 2x)"
        )

        for path in files:
            data = path.read_bytes()
            clean = strip_metadata(data)
            assert (root / "ours" / path.name).read_bytes() == clean, path.name
            assert (root / "ours-verified" / path.name).read_bytes() == clean, path.name
        outputs = sorted((root / "ours").iterdir()) + sorted((root / "ours-verified").iterdir())
        problems = exiftool_problems(outputs, exiftool)
        leaking = {name: keys for name, keys in problems.items() if keys}
        checked = len(problems)
        print(f"\nexiftool read-back of {checked} outputs: ", end="")
        if leaking or checked != len(outputs):
            print(f"FAIL {leaking}")
            return 1
        print("PASS (no GPS, serial, XMP, IPTC, comment, thumbnail or MakerNote left)")
        (before,) = exiftool_problems(files[:1], exiftool).values()
        print(f"(the same check on an input photo finds {len(before)} leaking tags)")
        summary = {
            "corpus": "camera" if args.camera else "small" if args.small else "phone",
            "files": count,
            "megabytes": round(total_bytes / 1e6, 1),
            "repeats": args.repeat,
            "load_average": [round(value, 1) for value in load],
            "x_faster_than_exiftool": round(versus_exiftool, 2),
            "x_slower_than_floor": round(versus_floor, 3),
            "x_faster_than_exiftool_with_decode_check": round(verified, 2),
            "x_floor_faster_than_exiftool": round(
                results["exiftool, one process"] / results["floor (read+write)"], 2
            ),
            **{
                f"{key}_cpu_ms_per_image": round(results[name] * 1000 / count, 3)
                for key, name in (
                    ("floor", "floor (read+write)"),
                    ("strip_in_memory", "ours, strip only (in memory)"),
                    ("ours", "ours (read+strip+write)"),
                    ("ours_with_decode_check", "ours + decode check (CLI)"),
                    ("exiftool", "exiftool, one process"),
                )
            },
            **{
                f"{key}_median_cpu_ms_per_image": round(
                    statistics.median(times[name]) * 1000 / count, 3
                )
                for key, name in (
                    ("floor", "floor (read+write)"),
                    ("ours", "ours (read+strip+write)"),
                    ("exiftool", "exiftool, one process"),
                )
            },
            "exiftool_startup_cpu_ms": round(startup * 1000, 1),
            "exiftool_marginal_cpu_ms_per_image": round(marginal * 1000, 3),
            "result": "PASS" if fast_enough and near_floor else "MISS",
        }
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
