"""Bystander blur for submissions: detect at processing, settle once the photo is decided.

The rule: when the brief blurs faces, no file the team can reach (thumbnails, zoom, the
stored original, dataset images) shows an unblurred face the detector found. The
stripped, unblurred copy waits in quarantine (never served) only so a reviewer can undo a
wrong box; once the photo is decided, :func:`settle_blur` writes the final blurred file
and deletes that copy.
"""

from __future__ import annotations

import dataclasses
import io
import logging

from sqlalchemy import func, select

from trove.blur import Box, boxes_from_json, boxes_to_json, detect_in_photo, render_blurred
from trove.extensions import db
from trove.files import get_storage
from trove.media import ProcessedImage, make_thumbnails, sha256_hex
from trove.projects.models import ProjectExample
from trove.submissions.models import Submission, SubmissionStatus
from trove.submissions.thumbs import store_photo

log = logging.getLogger(__name__)

#: Statuses in which the photo is decided: its blur is final and the unblurred copy goes.
DECIDED = (SubmissionStatus.APPROVED, SubmissionStatus.REJECTED, SubmissionStatus.WITHDRAWN)


def protect_bystanders(
    submission: Submission, processed: ProcessedImage, *, max_pixels: int
) -> ProcessedImage:
    """Find faces in a processed photo; return it with them blurred (the job stores that).

    Detection reads the decode ``process_image`` kept (``keep_longest=DETECT_LONGEST``),
    else a thumbnail when one is as large as the detector's input, else a reduced decode
    of the photo. When faces are found the unblurred, stripped file is kept in quarantine
    until the photo is decided. The returned photo no longer holds the decoded picture.
    """
    boxes = detect_in_photo(
        processed.data,
        processed.format,
        picture=processed.picture,
        thumbnails=processed.thumbnails,
        max_pixels=max_pixels,
    )
    processed = dataclasses.replace(processed, picture=None)  # its memory is not needed now
    submission.blur_boxes = boxes_to_json(boxes)
    if not boxes:
        submission.blur_applied = []
        return processed
    blurred = render_blurred(
        processed.data,
        processed.format,
        boxes,
        thumb_sizes=tuple(processed.thumbnails),
        max_pixels=max_pixels,
    )
    storage = get_storage()
    if submission.unblurred_name:  # a re-run of the job: the earlier copy is replaced
        storage.delete_quarantine(submission.unblurred_name)
    submission.unblurred_name = storage.save_quarantine(
        io.BytesIO(processed.data), max_bytes=len(processed.data) + 1
    )
    submission.blur_applied = boxes_to_json(boxes)
    # The perceptual hash stays the unblurred picture's: near-duplicates are still found.
    return dataclasses.replace(
        processed,
        data=blurred.data,
        format=blurred.format,
        sha256=blurred.sha256,
        thumbnails=blurred.thumbnails,
    )


def needs_settling(submission: Submission) -> bool:
    """Return whether a decided photo still has an unblurred copy or unapplied box edits."""
    return submission.status in DECIDED and (
        submission.unblurred_name is not None or submission.blur_changes_pending
    )


def settle_blur(submission: Submission, *, thumb_sizes: tuple[int, ...], max_pixels: int) -> None:
    """Write a decided photo's final blurred file (if its boxes changed), drop the copy.

    Commits: first the row pointing at the new file (written before it), then the row
    without the unblurred copy, deleted after that commit; a crash in between leaves work
    the job does again, or a quarantine file the sweep removes.
    """
    if not needs_settling(submission):
        return
    storage = get_storage()
    boxes = boxes_from_json(submission.blur_boxes)
    if (
        submission.status is not SubmissionStatus.WITHDRAWN
        and submission.blur_changes_pending
        and submission.storage_key
    ):
        _store_blurred(submission, boxes, thumb_sizes=thumb_sizes, max_pixels=max_pixels)
    name = submission.unblurred_name
    submission.unblurred_name = None
    db.session.commit()
    if name:
        storage.delete_quarantine(name)


def _store_blurred(
    submission: Submission, boxes: list[Box], *, thumb_sizes: tuple[int, ...], max_pixels: int
) -> None:
    storage = get_storage()
    old_key = submission.storage_key
    assert old_key is not None and submission.stored_format is not None
    if submission.unblurred_name:
        source = storage.read_quarantine(submission.unblurred_name)
    else:  # decided before: the stored file is the source (what it blurred stays blurred)
        with storage.open_original(old_key) as stored:
            source = stored.read()
    if boxes:
        blurred = render_blurred(
            source, submission.stored_format, boxes, thumb_sizes=thumb_sizes, max_pixels=max_pixels
        )
        data, fmt, sha, thumbs = blurred.data, blurred.format, blurred.sha256, blurred.thumbnails
    else:  # every box removed: the stripped file as it came, bit-exact
        data, fmt = source, submission.stored_format
        sha = sha256_hex(data)
        thumbs = make_thumbnails(data, thumb_sizes, max_pixels=max_pixels)
    key = store_photo(submission, data, fmt, sha256=sha, thumbnails=thumbs)
    submission.blur_applied = boxes_to_json(boxes)
    db.session.commit()
    if key != old_key and not stored_file_needed(old_key, {submission.id}):
        storage.delete_original(old_key)  # the less blurred file, and its thumbnails
    log.info("submission %s: final blur of %s region(s) stored", submission.id, len(boxes))


def stored_file_needed(key: str, except_ids: set[int]) -> bool:
    """Return whether a stored file is also the file of another kept photo or an example."""
    shared = db.session.scalar(
        select(func.count())
        .select_from(Submission)
        .where(
            Submission.storage_key == key,
            Submission.id.not_in(except_ids),
            Submission.purge_after.is_(None),
        )
    )
    example = db.session.scalar(
        select(func.count()).select_from(ProjectExample).where(ProjectExample.storage_key == key)
    )
    return bool(shared or example)
