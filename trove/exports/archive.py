"""Write a dataset version's zip: images, manifest, datasheet, Croissant metadata.

The archive is written file by file to a stream (never held in memory): each image is
copied in chunks and hashed on the way, so the manifest's SHA-256 values are checked
against the bytes that actually went into the zip.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from flask_babel import gettext as _
from sqlalchemy import select

from trove.exports.datasheet import Stats, croissant, datasheet
from trove.exports.deletions import deletion_entries
from trove.exports.models import DatasetItem, DatasetVersion
from trove.extensions import db
from trove.media.storage import Storage
from trove.projects.models import BriefVersion
from trove.submissions.models import Submission
from trove.timeutil import iso_utc

CHUNK = 1024 * 1024
BATCH = 500


class ArchiveError(Exception):
    """A stored photo is missing or does not match its recorded hash."""


def _items(version: DatasetVersion) -> Iterator[tuple[DatasetItem, Submission]]:
    """Yield the version's items in order, a batch at a time (memory stays flat)."""
    last = 0
    while True:
        rows = db.session.execute(
            select(DatasetItem, Submission)
            .join(Submission, Submission.id == DatasetItem.submission_id)
            .where(DatasetItem.version_id == version.id, DatasetItem.id > last)
            .order_by(DatasetItem.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for item, submission in rows:
            yield item, submission
        last = rows[-1][0].id
        for item, submission in rows:  # keep the session small: memory stays flat
            db.session.expunge(item)
            db.session.expunge(submission)


def _info(name: str, version: DatasetVersion, *, compress: bool) -> zipfile.ZipInfo:
    stamp = version.created_at.timetuple()[:6]
    info = zipfile.ZipInfo(name, date_time=(max(stamp[0], 1980), *stamp[1:]))
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def write_archive(
    version: DatasetVersion,
    storage: Storage,
    out: IO[bytes],
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write ``version`` as a zip to ``out``; raise ArchiveError if a photo is wrong."""
    manifest_hash = hashlib.sha256()
    manifest_size = 0
    stats = Stats()
    # The manifest is gathered in a temporary file (a zip takes one open member at a time)
    # and added after the images.
    with zipfile.ZipFile(out, "w", allowZip64=True) as zf, tempfile.TemporaryFile() as mf:
        brief_numbers = _brief_numbers(version)
        for done, (item, submission) in enumerate(_items(version), start=1):
            digest, size = _copy_image(zf, version, storage, item, submission)
            line = (
                json.dumps(
                    {
                        "file": item.path,
                        "sha256": digest,
                        "size": size,
                        "width": item.width,
                        "height": item.height,
                        "split": item.split.value,
                        "contributor": item.pseudonym,
                        "brief_version": brief_numbers.get(submission.brief_version_id),
                        "licence_sha256": submission.licence_hash,
                        "approved_at": iso_utc(submission.reviewed_at),
                        # Bystander blur: whether, and how many areas (never where: the
                        # coordinates would point at the faces).
                        "blurred": submission.blur_regions > 0,
                        "blurred_regions": submission.blur_regions,
                    },
                    sort_keys=True,
                ).encode()
                + b"\n"
            )
            manifest_hash.update(line)
            manifest_size += len(line)
            mf.write(line)
            stats.add(item, submission)
            if progress is not None:
                progress(done)
        mf.seek(0)
        with zf.open(
            _info("manifest.jsonl", version, compress=True), "w", force_zip64=True
        ) as target:
            while chunk := mf.read(CHUNK):
                target.write(chunk)
        withdrawn = _withdrawn(version)
        zf.writestr(
            _info("withdrawn.json", version, compress=True),
            json.dumps(withdrawn, indent=2, sort_keys=True) + "\n",
        )
        zf.writestr(_info("datasheet.md", version, compress=True), datasheet(version, stats))
        zf.writestr(
            _info("croissant.json", version, compress=True),
            json.dumps(
                croissant(version, stats, manifest_hash.hexdigest(), manifest_size), indent=2
            )
            + "\n",
        )


def _copy_image(
    zf: zipfile.ZipFile,
    version: DatasetVersion,
    storage: Storage,
    item: DatasetItem,
    submission: Submission,
) -> tuple[str, int]:
    if submission.storage_key is None or not storage.exists(submission.storage_key):
        raise ArchiveError(_("The stored file of photo %(id)s is missing.", id=submission.id))
    digest = hashlib.sha256()
    size = 0
    with (
        storage.open_original(submission.storage_key) as source,
        zf.open(_info(item.path, version, compress=False), "w", force_zip64=True) as target,
    ):
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            target.write(chunk)
    if digest.hexdigest() != item.sha256:
        raise ArchiveError(
            _("The stored file of photo %(id)s does not match its recorded hash.", id=submission.id)
        )
    return item.sha256, size


def _brief_numbers(version: DatasetVersion) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(BriefVersion.id, BriefVersion.number).where(
                BriefVersion.project_id == version.project_id
            )
        ).all()
    )


def _withdrawn(version: DatasetVersion) -> dict[str, Any]:
    """List photos withdrawn from earlier versions (which this one therefore lacks)."""
    earlier = [
        e
        for e in deletion_entries(version.project)
        if any(number < version.number for number in e.versions)
    ]
    return {
        "version": version.number,
        "note": "Photos withdrawn by their contributors after they appeared in an earlier "
        "version. Delete them from copies of the versions listed.",
        "photos": [
            {
                "sha256": e.sha256,
                "contributor": e.pseudonym,
                "withdrawn_at": iso_utc(e.withdrawn_at),
                "versions": [n for n in e.versions if n < version.number],
                "paths": e.paths,
            }
            for e in earlier
        ],
    }
