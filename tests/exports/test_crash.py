"""A worker killed (SIGKILL) while it writes a dataset archive: the rerun finishes it once."""

from __future__ import annotations

import io
import json
import os
import zipfile

from sqlalchemy import select

from tests.exports.conftest import build_lab
from tests.jobproc import kill_when, start_worker
from trove.exports import service as exports
from trove.exports.jobs import archive_name, build_dataset_version
from trove.exports.models import DatasetVersionStatus
from trove.extensions import db
from trove.files import get_storage
from trove.tasks import JobRecord


def test_worker_killed_mid_archive_leaves_no_archive_and_the_rerun_completes(app_ctx):
    lab = build_lab((12,))
    storage = get_storage()
    for photo in lab.photos:  # big stored files, so the archive takes a while to write
        key = storage.put_original(os.urandom(4 * 1024 * 1024), "jpeg")
        photo.storage_key, photo.sha256 = key, key.split(".")[0]
        photo.stored_size = 4 * 1024 * 1024
    db.session.commit()
    version = exports.cut_version(lab.project, lab.steward, exports.VersionRequest())
    db.session.info.pop("trove_pending_jobs", None)  # the worker below runs it
    db.session.commit()
    record = db.session.scalar(select(JobRecord).where(JobRecord.name.endswith("version")))
    worker = start_worker(app_ctx, record.id)
    kill_when(worker, lambda: bool(list(storage.exports.glob(".*.tmp"))), within=60)
    assert list(storage.exports.glob("*.zip")) == []  # nothing half-written is visible
    db.session.expire_all()
    assert db.session.get(type(version), version.id).status is DatasetVersionStatus.BUILDING
    # The rerun (as the sweep would start it) writes the whole archive, once.
    build_dataset_version(version.id)
    version = db.session.get(type(version), version.id)
    assert version.status is DatasetVersionStatus.READY
    data = storage.export_path(archive_name(version)).read_bytes()
    zf = zipfile.ZipFile(io.BytesIO(data))
    rows = [json.loads(line) for line in zf.read("manifest.jsonl").splitlines()]
    assert sorted(r["sha256"] for r in rows) == sorted(p.sha256 for p in lab.photos)
    assert list(storage.exports.glob("*.zip")) == [storage.export_path(archive_name(version))]
    assert storage.sweep_temp_files(older_than_seconds=0) >= 1
    assert list(storage.exports.glob(".*.tmp")) == []
