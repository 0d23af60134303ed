"""Benchmark a dataset export: 5,000 approved photos written to one zip, streamed.

Seeds a project (as bench/review.py does) whose photos are real stored files (random
bytes of a typical stripped-photo size, content-addressed like real ones), then cuts a
dataset version in a child process and times the build job: select, pseudonymise and
split, copy every file into the zip while hashing it, write manifest, datasheet,
Croissant metadata and withdrawn.json, fsync and rename. The child reports its peak RSS;
the version is built twice, with a fifth of the photos and with all of them, so a memory
figure that does not grow with the photo count shows the export streams.

Reference, in the same run: Info-ZIP's ``zip -0`` storing the same files (no hashing, no
manifest, no database) — the floor for writing that many bytes into a zip on this disk.

Run from the repository root:  .venv/bin/python bench/export.py [--photos 5000] [--kb 400]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select, update  # noqa: E402

from bench.review import seed  # noqa: E402
from trove import create_app  # noqa: E402
from trove.extensions import db  # noqa: E402
from trove.submissions.models import Submission, SubmissionStatus  # noqa: E402


def config(root: Path) -> dict:
    """Return the app settings shared by the parent and the child."""
    return {
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{root / 'bench.sqlite3'}",
        "STORAGE_DIR": str(root / "storage"),
        "SECRET_KEY": "bench",
        "TASKS_MODE": "sync",
        "MAIL_BACKEND": "memory",
    }


def store_files(project_id: int, size: int) -> int:
    """Give every seeded photo a real stored file; return the bytes stored."""
    from trove.files import get_storage

    storage = get_storage()
    ids = list(db.session.scalars(select(Submission.id).where(Submission.project_id == project_id)))
    total = 0
    for n, sid in enumerate(ids):
        data = os.urandom(size - 64) + f"{n:064d}".encode()
        key = storage.put_original(data, "jpeg")
        digest = key.split(".")[0]
        db.session.execute(
            update(Submission)
            .where(Submission.id == sid)
            .values(storage_key=key, sha256=digest, stored_size=len(data), width=4032, height=3024)
        )
        total += len(data)
    db.session.commit()
    return total


def approve(project_id: int, count: int) -> None:
    """Approve the first ``count`` photos (the rest stay pending)."""
    ids = list(
        db.session.scalars(
            select(Submission.id)
            .where(Submission.project_id == project_id)
            .order_by(Submission.id)
            .limit(count)
        )
    )
    db.session.execute(
        update(Submission)
        .where(Submission.id.in_(ids))
        .values(status=SubmissionStatus.APPROVED, reviewed_at=Submission.created_at)
    )
    db.session.commit()


def _peak_rss_kb() -> int:
    """Return this process's peak RSS in kB (VmHWM: unlike ru_maxrss, not inherited
    from the parent across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(root: Path, project_id: int) -> None:
    """Cut and build one version; print seconds, archive bytes and peak RSS as JSON."""
    from trove.accounts.models import Role, User
    from trove.exports import service
    from trove.exports.jobs import archive_name
    from trove.exports.models import DatasetVersion
    from trove.files import get_storage
    from trove.projects.models import Project, ProjectMember, TeamRole

    app = create_app(config(root))
    with app.app_context():
        project = db.session.get(Project, project_id)
        steward = db.session.scalar(select(User).where(User.role == Role.LAB_MEMBER))
        if project.member(steward) is None:
            project.members.append(ProjectMember(user_id=steward.id, role=TeamRole.STEWARD))
            db.session.commit()
        baseline = _peak_rss_kb()
        started = time.perf_counter()
        version = service.cut_version(project, steward, service.VersionRequest())
        db.session.commit()  # sync mode: the build job runs here
        seconds = time.perf_counter() - started
        version = db.session.get(DatasetVersion, version.id)
        path = get_storage().export_path(archive_name(version))
        print(
            json.dumps(
                {
                    "seconds": seconds,
                    "photos": version.photo_count,
                    "status": version.status.value,
                    "bytes": path.stat().st_size,
                    "baseline_kb": baseline,
                    "peak_kb": _peak_rss_kb(),
                }
            )
        )


def run_child(root: Path, project_id: int) -> dict:
    """Run :func:`child` in a fresh process and return what it printed."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(root), str(project_id)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def reference(root: Path) -> tuple[float, int]:
    """Store the same originals with ``zip -0``; return (seconds, archive bytes)."""
    target = root / "reference.zip"
    started = time.perf_counter()
    subprocess.run(
        ["zip", "-0", "-q", "-r", str(target), "originals"], cwd=root / "storage", check=True
    )
    return time.perf_counter() - started, target.stat().st_size


def main() -> None:
    """Seed, build at a fifth and at full size, compare with zip -0, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=5000)
    parser.add_argument("--kb", type=int, default=400, help="size of each stored photo")
    parser.add_argument("--child", nargs=2, metavar=("ROOT", "PROJECT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), int(args.child[1]))
        return
    if shutil.which("zip") is None:
        raise SystemExit("Info-ZIP's zip is needed for the reference (apt install zip).")
    with tempfile.TemporaryDirectory(prefix="trove-bench-export-") as tmp:
        root = Path(tmp)
        app = create_app(config(root))
        with app.app_context():
            project_id, _email = seed(args.photos)
            print(f"storing {args.photos:,} photos of {args.kb} kB …", flush=True)
            stored = store_files(project_id, args.kb * 1024)
            approve(project_id, args.photos // 5)
        small = run_child(root, project_id)
        with app.app_context():
            approve(project_id, args.photos)
        full = run_child(root, project_id)
        ref_seconds, ref_bytes = reference(root)
    mb = stored / 1e6
    print(f"\nexport of {full['photos']:,} photos ({mb:,.0f} MB stored), status {full['status']}")
    print(
        f"  Trove build job:   {full['seconds']:6.2f} s  {mb / full['seconds']:7.1f} MB/s  "
        f"zip {full['bytes'] / 1e6:,.0f} MB"
    )
    print(
        f"  zip -0 reference:  {ref_seconds:6.2f} s  {mb / ref_seconds:7.1f} MB/s  "
        f"zip {ref_bytes / 1e6:,.0f} MB"
    )
    print(f"  ratio (Trove / zip -0 time): {full['seconds'] / ref_seconds:.2f}x")
    print("memory (peak RSS of the process that builds the version)")
    print(
        f"  {small['photos']:>6,} photos: {small['peak_kb'] / 1024:6.0f} MB "
        f"(after start-up {small['baseline_kb'] / 1024:.0f} MB)"
    )
    print(
        f"  {full['photos']:>6,} photos: {full['peak_kb'] / 1024:6.0f} MB "
        f"(after start-up {full['baseline_kb'] / 1024:.0f} MB)"
    )
    growth = (full["peak_kb"] - small["peak_kb"]) / 1024
    print(f"  growth for {full['photos'] - small['photos']:,} more photos: {growth:+.0f} MB")


if __name__ == "__main__":
    main()
