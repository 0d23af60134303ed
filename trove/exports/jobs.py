"""Jobs that write a dataset version's archive and delete retired archives."""

from __future__ import annotations

import logging
import time

from flask_babel import gettext as _
from sqlalchemy import select, update

from trove.exports.archive import ArchiveError, write_archive
from trove.exports.models import DatasetVersion, DatasetVersionStatus
from trove.extensions import db
from trove.files import get_storage, object_sha256
from trove.media.errors import StorageFull
from trove.tasks import job, register_sweep
from trove.timeutil import utcnow

log = logging.getLogger(__name__)

PROGRESS_EVERY = 1.0  # seconds between progress commits


def archive_name(version: DatasetVersion) -> str:
    """Return the stored name of a version's archive."""
    return f"project-{version.project_id}-v{version.number}-{version.id}.zip"


@job(queue="default", timeout=3600, max_attempts=3)
def build_dataset_version(version_id: int) -> None:
    """Write a version's archive (idempotent: a ready or failed version is left alone).

    The zip is written under a temporary name and renamed only when complete, so a crash
    leaves no archive at all and the re-run starts again from the beginning.
    """
    version = db.session.get(DatasetVersion, version_id)
    if version is None or version.status is not DatasetVersionStatus.BUILDING:
        return
    storage = get_storage()
    name = archive_name(version)
    last_commit = time.monotonic()

    def progress(done: int) -> None:
        nonlocal last_commit
        if time.monotonic() - last_commit >= PROGRESS_EVERY:
            # A plain UPDATE, so the progress commit touches nothing the writer holds.
            db.session.execute(
                update(DatasetVersion)
                .where(DatasetVersion.id == version_id)
                .values(progress_done=done)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            last_commit = time.monotonic()

    try:
        with storage.write_export(name) as out:
            write_archive(version, storage, out, progress)
    except (ArchiveError, StorageFull) as error:
        db.session.rollback()
        version = db.session.get(DatasetVersion, version_id)
        if version is None:
            return
        version.status = DatasetVersionStatus.FAILED
        version.error = str(error)
        version.finished_at = utcnow()
        db.session.commit()
        log.warning("dataset version %s failed: %s", version_id, error)
        return
    db.session.expire_all()
    version = db.session.get(DatasetVersion, version_id)
    if version is None or version.archive_removed_at is not None:
        # A photo in it was withdrawn while the archive was written: never serve it.
        storage.delete_export(name)
        if version is not None:
            version.status = DatasetVersionStatus.FAILED
            version.error = _(
                "A photo in this version was withdrawn while it was being built. Cut a new version."
            )
            version.finished_at = utcnow()
            db.session.commit()
        return
    stored = storage.object_info(storage.export_object(name))
    if stored is None:
        raise RuntimeError(f"archive {name} vanished after it was written")
    version.archive_name = name
    version.archive_size = stored.size
    version.archive_sha256 = object_sha256(storage, stored.name)
    version.progress_done = version.photo_count
    version.status = DatasetVersionStatus.READY
    version.finished_at = utcnow()
    db.session.commit()
    log.info("dataset version %s ready: %s photos", version_id, version.photo_count)


@job(queue="default", timeout=300, max_attempts=5)
def delete_archive(version_id: int) -> None:
    """Delete the archive of a version that was retired (idempotent)."""
    version = db.session.get(DatasetVersion, version_id)
    if version is None or version.archive_removed_at is None:
        return
    storage = get_storage()
    storage.delete_export(archive_name(version))


@register_sweep
def sweep_retired_archives() -> int:
    """Delete archive files of retired versions that are still on disk."""
    storage = get_storage()
    rows = db.session.scalars(
        select(DatasetVersion).where(
            DatasetVersion.archive_removed_at.is_not(None),
            DatasetVersion.archive_name.is_not(None),
        )
    )
    for version in rows:
        storage.delete_export(archive_name(version))
    return 0
