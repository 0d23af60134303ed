"""The media job: strip, store, thumbnail, hash (and blur faces in) a quarantined upload."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import timedelta
from functools import cache

from sqlalchemy import Integer, Select, String, any_, bindparam, delete, func, insert, select
from sqlalchemy.dialects import postgresql

from trove.blur import DETECT_LONGEST
from trove.extensions import db
from trove.files import get_storage
from trove.media import (
    NEAR_DUPLICATE_DISTANCE,
    MediaError,
    ProcessedImage,
    hamming,
    process_image,
)
from trove.media.errors import N_
from trove.media.hashing import phash_band_keys, phash_probe_keys
from trove.submissions.blurring import needs_settling, protect_bystanders, settle_blur
from trove.submissions.models import PhashBand, RejectionCode, Submission, SubmissionStatus
from trove.submissions.service import upload_limits
from trove.submissions.spots import move_status
from trove.submissions.thumbs import THUMB_SIZES, store_photo
from trove.tasks import enqueue, job, register_sweep
from trove.timeutil import utcnow

log = logging.getLogger(__name__)


def _near_duplicate(submission: Submission, phash: int) -> int | None:
    """Return the id of the nearest photo of the project within the near-duplicate distance.

    Probes the band index (``PhashBand``) rather than reading every hash of the project:
    any hash close enough shares a band key with one of the probes, so the few candidates
    found are exactly the ones the full scan would consider. Ties go to the lowest id.
    Withdrawn photos count too: their hashes stay as tombstones.
    """
    keys = phash_probe_keys(phash)
    postgres = db.session.get_bind().dialect.name == "postgresql"
    db.session.flush()  # as an ORM query would: the search sees this session's bands
    rows = db.session.connection().execute(
        _search(postgres),
        {
            "project_id": submission.project_id,
            "subject": submission.id,
            "probe_keys": keys if postgres else json.dumps(keys),
        },
    )
    return nearest_hash(phash, rows)


@cache
def _search(postgres: bool) -> Select[tuple[int, str]]:
    """Return the search, built once: the band keys go in as one bound value.

    An array on PostgreSQL, a JSON list read by ``json_each`` on SQLite: the statement's
    text is the same for every search, so it is compiled and prepared once, while 718
    bound parameters (or integers written into the SQL) cost more to expand and parse each
    time than the index lookups themselves.
    """
    if postgres:
        probing = PhashBand.band_key == any_(
            bindparam("probe_keys", type_=postgresql.ARRAY(Integer))
        )
    else:
        listed = func.json_each(bindparam("probe_keys", type_=String)).table_valued("value")
        probing = PhashBand.band_key.in_(select(listed.c.value))
    return (
        select(Submission.id, Submission.phash)
        .join(PhashBand, PhashBand.submission_id == Submission.id)
        .where(
            PhashBand.project_id == bindparam("project_id"),
            probing,
            Submission.id != bindparam("subject"),
        )
        .distinct()
    )


def nearest_hash(phash: int, rows: Iterable[tuple[int, str]]) -> int | None:
    """Return the id of the (id, hex hash) row nearest ``phash`` within the distance."""
    best: tuple[int, int] | None = None
    for other_id, other_hash in rows:
        candidate = (hamming(phash, int(other_hash, 16)), other_id)
        if candidate[0] <= NEAR_DUPLICATE_DISTANCE and (best is None or candidate < best):
            best = candidate
    return best[1] if best else None


def index_phash(submission: Submission, phash: int) -> None:
    """Record the band keys of a photo's perceptual hash for later near-duplicate searches."""
    # Replace, not add: a photo processed again (rewound, or re-run) keeps one set of keys.
    db.session.execute(delete(PhashBand).where(PhashBand.submission_id == submission.id))
    # One Core INSERT of every band: ORM objects and their flush cost more.
    db.session.execute(
        insert(PhashBand.__table__),
        [
            {"submission_id": submission.id, "project_id": submission.project_id, "band_key": key}
            for key in phash_band_keys(phash)
        ],
    )


def _unreadable(submission: Submission, note: str) -> None:
    """Reject a photo the job could not use; its bytes may be sent again (no tombstone)."""
    move_status(
        submission,
        SubmissionStatus.PROCESSING,
        SubmissionStatus.REJECTED,
        rejection_code=RejectionCode.UNREADABLE,
        rejection_note=note,
        processed_at=utcnow(),
        quarantine_name=None,
        dedupe_sha256=None,
    )


@job(queue="media", timeout=300, max_attempts=3)
def process_submission(submission_id: int) -> None:
    """Turn a quarantined upload into a stripped, stored photo awaiting review.

    Idempotent: a photo already processed is left alone; a crash anywhere leaves either the
    untouched quarantine file and a ``processing`` row (re-run does it all again; stored
    files are content-addressed, so rewriting them is harmless), or a processed row whose
    quarantine file the next sweep removes.
    """
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        return
    storage = get_storage()
    if submission.status is not SubmissionStatus.PROCESSING:
        if submission.quarantine_name:
            storage.delete_quarantine(submission.quarantine_name)
            submission.quarantine_name = None
            db.session.commit()
        return
    name = submission.quarantine_name
    if name is None or not storage.quarantine_exists(name):
        _unreadable(
            # Stored in English; the page translates the note (``decline_reason``).
            submission,
            N_("The upload was lost before it could be processed. Please send it again."),
        )
        db.session.commit()
        return
    data = storage.read_quarantine(name)
    limits = upload_limits()
    blurs_faces = submission.project.blurs_faces
    try:
        processed = process_image(
            data,
            thumb_sizes=THUMB_SIZES,
            max_pixels=limits.max_pixels,
            max_decoded_bytes=limits.max_decoded_bytes,
            # Face detection reads the job's one decode of the photo.
            keep_longest=DETECT_LONGEST if blurs_faces else None,
        )
    except MediaError as error:
        _unreadable(submission, str(error))
        db.session.commit()
        storage.delete_quarantine(name)
        log.info("submission %s rejected by the media job: %s", submission_id, error)
        return
    if blurs_faces:
        processed = protect_bystanders(submission, processed, max_pixels=limits.max_pixels)
    store_processed(submission, processed)
    db.session.commit()
    storage.delete_quarantine(name)


def store_processed(submission: Submission, processed: ProcessedImage) -> None:
    """Store a processed photo's files, then point ``submission`` at them, pending review."""
    # ``processed.sha256`` is of ``processed.data``: process_image's, or the blurred file's.
    store_photo(
        submission,
        processed.data,
        processed.format,
        sha256=processed.sha256,
        thumbnails=processed.thumbnails,
    )
    submission.phash = f"{processed.phash:016x}"
    submission.width = processed.width
    submission.height = processed.height
    submission.near_duplicate_of_id = _near_duplicate(submission, processed.phash)
    index_phash(submission, processed.phash)
    submission.processed_at = utcnow()
    submission.quarantine_name = None
    db.session.flush()
    # Withdrawn meanwhile: the row keeps the stored file's key, so the purge finds it.
    move_status(submission, SubmissionStatus.PROCESSING, SubmissionStatus.PENDING_REVIEW)


@job(queue="media", timeout=300, max_attempts=3)
def finish_blur(submission_id: int) -> None:
    """Once a photo is decided: store its final blur and delete its unblurred copy.

    Idempotent: a photo back in review, or already settled, is left alone.
    """
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        return
    limits = upload_limits()
    settle_blur(submission, thumb_sizes=THUMB_SIZES, max_pixels=limits.max_pixels)


def settle_blur_after_decision(submission: Submission) -> None:
    """Queue ``finish_blur`` for a just-decided photo that has blur work left (flushes)."""
    if needs_settling(submission):
        enqueue(finish_blur, submission.id)


@register_sweep
def sweep_quarantine() -> int:
    """Delete quarantine files no processing photo points at, and stale temp files."""
    storage = get_storage()
    wanted = set(
        db.session.scalars(
            select(Submission.quarantine_name).where(Submission.quarantine_name.is_not(None))
        )
    ) | set(
        db.session.scalars(
            select(Submission.unblurred_name).where(Submission.unblurred_name.is_not(None))
        )
    )
    grace = timedelta(minutes=10)
    removed = 0
    now = utcnow()
    for name, modified in storage.list_quarantine():
        if name not in wanted and now - modified > grace:
            storage.delete_quarantine(name)
            removed += 1
    storage.sweep_temp_files(older_than_seconds=3600)
    if removed:
        log.info("removed %s orphaned quarantine file(s)", removed)
    return 0
