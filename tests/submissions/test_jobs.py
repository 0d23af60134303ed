"""The media job: idempotent, safe after a crash at any point, and swept when stuck."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import struct
import time
import zlib

import piexif
import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.factories import make_project, make_user
from tests.images import photo
from tests.jobproc import kill_when, start_worker
from trove.extensions import db
from trove.files import get_storage
from trove.projects.models import Project
from trove.submissions.jobs import process_submission, sweep_quarantine
from trove.submissions.models import Submission, SubmissionStatus
from trove.submissions.service import receive_upload
from trove.tasks import JobRecord, JobStatus, run_job, sweep


def _receive(project, user, data: bytes) -> Submission:
    return receive_upload(project, user, io.BytesIO(data), "p.jpg", project.current_version_id)


def test_job_twice_is_harmless(make_app):
    app = make_app(TASKS_MODE="thread")  # nothing runs until we call it
    with app.app_context():
        project = make_project()
        user = make_user()
        sub = _receive(project, user, photo(gps=True))
        db.session.commit()
        app.extensions["trove_executor"].shutdown(wait=True)
        process_submission(sub.id)
        first = (sub.storage_key, sub.sha256, sub.status)
        process_submission(sub.id)
        db.session.refresh(sub)
        assert (sub.storage_key, sub.sha256, sub.status) == first
        assert first[2] is SubmissionStatus.PENDING_REVIEW
        assert list(get_storage().list_quarantine()) == []
    app.extensions.pop("trove_executor")
    app.extensions["trove_sweeper_stop"].set()


def test_crash_after_storing_files_before_commit_reruns_cleanly(make_app, monkeypatch):
    app = make_app(TASKS_MODE="sync")
    with app.app_context():
        project = make_project()
        user = make_user()
        # Simulate a worker killed right after the files were written: the commit never happens.
        original_commit = db.session.commit
        calls = {"n": 0}

        def dying_commit():
            calls["n"] += 1
            raise SystemExit("worker killed")

        sub = _receive(project, user, photo(seed=3))
        original_commit()  # the upload itself commits; the sync job runs and succeeds here
        db.session.refresh(sub)
        sub.status = SubmissionStatus.PROCESSING  # rewind as if the job never finished
        sub.quarantine_name = get_storage().save_quarantine(
            io.BytesIO(photo(seed=3)), max_bytes=10**8
        )
        original_commit()
        monkeypatch.setattr(db.session, "commit", dying_commit)
        with contextlib.suppress(SystemExit):
            process_submission(sub.id)
        monkeypatch.undo()
        db.session.rollback()
        db.session.refresh(sub)
        assert sub.status is SubmissionStatus.PROCESSING  # nothing half-recorded
        assert get_storage().quarantine_path(sub.quarantine_name).exists()
        process_submission(sub.id)
        db.session.refresh(sub)
        assert sub.status is SubmissionStatus.PENDING_REVIEW
        assert get_storage().original_path(sub.storage_key).exists()
        assert list(get_storage().list_quarantine()) == []


def _png_with_bad_pixel_data() -> bytes:
    """Return a PNG whose every chunk parses (checksums right) but whose pixels do not inflate."""
    good = photo(64, 48, fmt="PNG", seed=4)
    pos = good.index(b"IDAT") - 4
    (length,) = struct.unpack_from(">I", good, pos)
    payload = b"\x78\x9c" + os.urandom(length - 2)
    idat = b"IDAT" + payload
    chunk = struct.pack(">I", length) + idat + struct.pack(">I", zlib.crc32(idat))
    return good[:pos] + chunk + good[pos + 12 + length :]


def test_corrupt_upload_becomes_rejected_with_reason(app_ctx):
    project = make_project()
    user = make_user()
    # Damage only a decode finds passes the upload's structural check but not the media job.
    sub = _receive(project, user, _png_with_bad_pixel_data())
    db.session.commit()
    db.session.refresh(sub)
    assert sub.status is SubmissionStatus.REJECTED
    assert sub.rejection_code == "unreadable" and sub.rejection_note
    assert sub.storage_key is None
    assert list(get_storage().list_quarantine()) == []


def test_sweep_reenqueues_stuck_processing_and_removes_orphans(make_app):
    app = make_app(TASKS_MODE="sync", JOB_STUCK_AFTER_SECONDS=0)
    with app.app_context():
        project = make_project()
        user = make_user()
        # A row whose job hand-off never happened (e.g. the server was killed after commit).
        storage = get_storage()
        name = storage.save_quarantine(io.BytesIO(photo(seed=5)), max_bytes=10**8)
        sub = Submission(
            project_id=project.id,
            contributor_id=user.id,
            upload_format="jpeg",
            upload_size=1,
            upload_sha256="0" * 64,
            quarantine_name=name,
            brief_version_id=project.current_version_id,
            licence_hash="x" * 64,
        )
        db.session.add(sub)
        db.session.flush()
        db.session.add(JobRecord(name=process_submission.job_name, queue="media", args=[sub.id]))
        # An orphan quarantine file with no row (server killed between rename and commit).
        orphan = storage.save_quarantine(io.BytesIO(b"half"), max_bytes=10**8)
        old = time.time() - 3600
        os.utime(storage.quarantine_path(orphan), (old, old))
        db.session.commit()
        sweep()
        db.session.refresh(sub)
        assert sub.status is SubmissionStatus.PENDING_REVIEW
        assert db.session.scalar(select(JobRecord.status)) is JobStatus.DONE
        assert not storage.quarantine_path(orphan).exists()
        assert [n for n, _ in storage.list_quarantine()] == []
        sweep_quarantine()


def test_near_duplicates_are_flagged_not_dropped(app_ctx):
    project = make_project()
    first = _receive(project, make_user(), photo(800, 600, seed=9))
    db.session.commit()
    from PIL import Image

    # The same scene resized and re-encoded: a different file, nearly the same picture.
    image = Image.open(io.BytesIO(photo(800, 600, seed=9))).resize((640, 480))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    second = _receive(project, make_user(), buffer.getvalue())
    db.session.commit()
    db.session.refresh(second)
    assert second.status is SubmissionStatus.PENDING_REVIEW
    assert second.near_duplicate_of_id == first.id
    assert db.session.get(Project, project.id) is not None


@functools.cache
def _big_photo(width: int, height: int) -> bytes:
    """A large noisy JPEG with GPS, slow enough to process that a kill lands midway (made
    once per process: noise at 24 MP takes seconds)."""
    noise = [Image.effect_noise((width, height), 60) for _ in range(3)]
    image = Image.merge("RGB", noise)
    gps = {piexif.GPSIFD.GPSLatitudeRef: b"N", piexif.GPSIFD.GPSLatitude: ((52, 1), (0, 1), (0, 1))}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85, exif=piexif.dump({"GPS": gps}))
    return buffer.getvalue()


def _stored_files(storage) -> set[str]:
    return {
        str(path.relative_to(storage.root))
        for area in (storage.originals, storage.derived)
        for path in area.rglob("*")
        if path.is_file()
    }


@pytest.mark.parametrize("moment", ["started", "writing"])
def test_worker_killed_mid_job_leaves_nothing_half_written_and_the_rerun_completes(
    make_app, moment
):
    app = make_app(TASKS_MODE="sync")
    with app.app_context():
        storage = get_storage()
        sub = _receive(make_project(), make_user(), _big_photo(6000, 4000))
        db.session.info.pop("trove_pending_jobs", None)  # the worker process below runs it
        db.session.commit()
        # The photo's job (publishing the brief also queued notices by e-mail).
        record = db.session.scalar(
            select(JobRecord).where(JobRecord.name.endswith("process_submission"))
        )

        def ready() -> bool:
            if moment == "writing":  # a file of this photo is on its way into storage
                return bool(_stored_files(storage))
            db.session.expire_all()
            return db.session.get(JobRecord, record.id).status is JobStatus.RUNNING

        kill_when(start_worker(app, record.id), ready, within=60)
        db.session.expire_all()
        sub = db.session.get(Submission, sub.id)
        assert sub.status is SubmissionStatus.PROCESSING and sub.storage_key is None
        assert storage.quarantine_path(sub.quarantine_name).exists()  # the upload is kept
        # Whatever was on its way is a hidden temp file, or whole: nothing visible is partial.
        for name in _stored_files(storage):
            path = storage.root / name
            if path.name.startswith("."):
                assert path.name.endswith(".tmp")
                continue
            if name.startswith("originals/"):
                assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name.split(".")[0]
            Image.open(path).load()  # a truncated image would fail to decode
        run_job(record.id)  # as the sweep would, once the job is seen stuck
        db.session.expire_all()
        sub = db.session.get(Submission, sub.id)
        assert sub.status is SubmissionStatus.PENDING_REVIEW
        assert db.session.get(JobRecord, record.id).status is JobStatus.DONE
        storage.sweep_temp_files(older_than_seconds=0)
        original = storage.original_path(sub.storage_key)
        assert {n for n in _stored_files(storage) if n.startswith("originals/")} == {
            str(original.relative_to(storage.root))
        }
        assert b"GPS" not in original.read_bytes()[:65536]
        assert list(storage.list_quarantine()) == []
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
