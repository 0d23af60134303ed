"""Upload rules: consent, quotas, validation, duplicates; and what the media job records.

Functions flush but never commit; the view or job that calls one commits.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, or_, select
from sqlalchemy.exc import IntegrityError

from trove.accounts.models import User
from trove.errors import DomainError
from trove.extensions import count_each, db
from trove.files import get_storage
from trove.media import (
    FileTooLarge,
    MediaError,
    StorageFull,
    StorageUnavailable,
    TruncatedUpload,
    check_upload,
)
from trove.projects.models import Project
from trove.submissions import spots
from trove.submissions.models import Submission, SubmissionStatus
from trove.submissions.reasons import decline_reason
from trove.tasks import enqueue


@dataclass(frozen=True)
class UploadLimits:
    """The configured limits one uploaded file is checked against."""

    max_bytes: int
    max_pixels: int
    max_decoded_bytes: int


def clean_filename(name: str | None) -> str:
    """Return a display-safe version of an uploaded file's name (never used as a path)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name.strip()[:200] or "photo"


def is_team_member(project: Project, user: User) -> bool:
    """Return whether ``user`` is on the project's team."""
    return project.member(user) is not None


def remaining_for(project: Project, user: User) -> int:
    """Return how many more photos ``user`` may send to ``project`` now."""
    return spots.spots_left(project, *spots.spot_counts(project, user))


def quota_refusal(project: Project, user: User) -> str | None:
    """Return why ``user`` may send no more photos to this open project (None if they may)."""
    refusal = spots.spot_refusal(project, user)
    return refusal.message if refusal is not None else None


def check_can_upload(project: Project, user: User, brief_version_id: int | None) -> None:
    """Refuse an upload before anything is stored: consent, project state, quotas."""
    if not project.accepts_uploads:
        raise DomainError(project.not_accepting_reason or "", status=409)
    if is_team_member(project, user):
        raise DomainError(_("Members of the project team cannot contribute to it."), status=403)
    if brief_version_id is None:
        raise DomainError(
            _("Tick the box to agree to the brief and the licence before sending photos."),
            field="consent",
            status=422,
        )
    if brief_version_id != project.current_version_id:
        raise DomainError(
            _(
                "The brief changed since you opened this page. Reload it, read the changes and "
                "agree again."
            ),
            field="consent",
            status=409,
        )
    spots.check_spots(project, user)


def media_message(error: MediaError) -> str:
    """Return why an image was refused, in the page's language (media's text is English)."""
    return _(error.message, **error.values) if error.message else str(error)


def upload_limits() -> UploadLimits:
    """Return the configured limits every upload is checked against."""
    config = current_app.config
    return UploadLimits(
        max_bytes=int(config["MAX_UPLOAD_MB"]) * 1024 * 1024,
        max_pixels=int(config["MAX_IMAGE_MEGAPIXELS"]) * 1_000_000,
        max_decoded_bytes=int(config["MAX_DECODED_MB"]) * 1024 * 1024,
    )


def receive_upload(
    project: Project,
    user: User,
    stream: BinaryIO,
    filename: str | None,
    brief_version_id: int | None,
    *,
    expected_bytes: int | None = None,
) -> Submission:
    """Quarantine an upload, validate it from its bytes, record it and queue processing.

    ``expected_bytes`` is the size the client announced: a body that ends short of it was
    cut off (a cancelled upload, a dropped connection) and is refused.
    """
    check_can_upload(project, user, brief_version_id)
    limits = upload_limits()
    digest = hashlib.sha256()  # hashed as it is written, not read back for it
    try:
        storage = get_storage()
        name = storage.save_quarantine(
            stream, max_bytes=limits.max_bytes, digest=digest, expected_bytes=expected_bytes
        )
    except StorageFull as error:
        raise DomainError(
            _(
                "%(reason)s Nothing was kept; please try again later.",
                reason=media_message(error),
            ),
            status=507,
        ) from None
    except StorageUnavailable as error:
        raise DomainError(
            _(
                "%(reason)s Nothing was kept; please try again in a few minutes.",
                reason=_(str(error)),
            ),
            status=503,
        ) from None
    except FileTooLarge as error:
        raise DomainError(media_message(error), status=413) from None
    except TruncatedUpload as error:
        raise DomainError(media_message(error), status=400) from None
    except MediaError as error:
        raise DomainError(media_message(error), status=422) from None
    try:
        submission = _record(
            project, user, name, digest.hexdigest(), filename, brief_version_id or 0, limits
        )
    except BaseException:
        storage.delete_quarantine(name)
        raise
    return submission


def _record(
    project: Project,
    user: User,
    name: str,
    digest: str,
    filename: str | None,
    brief_version_id: int,
    limits: UploadLimits,
) -> Submission:
    storage = get_storage()
    data = storage.read_quarantine(name)
    if not data:
        raise DomainError(_("The file is empty."), status=422)
    try:
        # The structural parse (every segment or chunk, checksums, the end marker) and the
        # memory budget, in about a millisecond: damage is refused here, not by the job.
        info = check_upload(
            data, max_pixels=limits.max_pixels, max_decoded_bytes=limits.max_decoded_bytes
        )
    except MediaError as error:
        raise DomainError(media_message(error), status=422) from None
    if info.width < (project.min_width or 0) or info.height < (project.min_height or 0):
        raise DomainError(
            _(
                "The photo is %(width)s × %(height)s pixels; this project needs at least "
                "%(min_width)s × %(min_height)s.",
                width=info.width,
                height=info.height,
                min_width=project.min_width,
                min_height=project.min_height,
            ),
            status=422,
        )
    _check_not_duplicate(project, user, digest)
    left = spots.reserve_spot(project, user)
    version = project.current_version
    submission = Submission(
        project_id=project.id,
        contributor_id=user.id,
        original_filename=clean_filename(filename),
        upload_format=info.format,
        upload_size=len(data),
        upload_sha256=digest,
        dedupe_sha256=digest,
        quarantine_name=name,
        brief_version_id=brief_version_id,
        licence_hash=version.licence_hash if version else "",
    )
    submission.spots_left = left
    try:
        with db.session.begin_nested():
            db.session.add(submission)
    except IntegrityError:
        # The same bytes arrived at the same moment: the unique (project, bytes) decides.
        raise _duplicate_error(user, project, digest) from None
    from trove.submissions.jobs import process_submission

    enqueue(process_submission, submission.id)
    return submission


def _check_not_duplicate(project: Project, user: User, digest: str) -> None:
    """Refuse bytes already in the project (withdrawn photos included) or already sent."""
    duplicate = db.session.scalar(
        _DUPLICATE, {"d_digest": digest, "d_project": project.id, "d_user": user.id}
    )
    if duplicate is not None:
        raise _duplicate_error(user, project, digest)


#: Built once (bound per call): building it, and its cache key, on every upload cost more
#: than running it.
_DUPLICATE = (
    select(Submission.id)
    .where(
        Submission.dedupe_sha256 == bindparam("d_digest"),
        or_(
            Submission.project_id == bindparam("d_project"),
            (Submission.contributor_id == bindparam("d_user"))
            & (Submission.status != SubmissionStatus.WITHDRAWN),
        ),
    )
    .limit(1)
)


def _duplicate_error(user: User, project: Project, digest: str) -> DomainError:
    mine = db.session.scalar(
        select(Submission.id)
        .where(Submission.dedupe_sha256 == digest, Submission.contributor_id == user.id)
        .limit(1)
    )
    if mine is not None:
        return DomainError(_("You have already sent this exact photo."), status=409)
    return DomainError(_("This exact photo is already in this project."), status=409)


def my_submissions(
    user: User, *, status: str | None = None, before_id: int | None = None, limit: int = 24
) -> list[Submission]:
    """Return ``user``'s photos, newest first, one keyset page at a time."""
    query = select(Submission).where(Submission.contributor_id == user.id)
    if status:
        query = query.where(Submission.status == SubmissionStatus(status))
    if before_id:
        query = query.where(Submission.id < before_id)
    return list(db.session.scalars(query.order_by(Submission.id.desc()).limit(limit)))


def status_counts(user: User) -> dict[str, int]:
    """Return how many of ``user``'s photos are in each status."""
    return count_each(Submission.status, SubmissionStatus, Submission.contributor_id == user.id)


def reason_text(submission: Submission) -> str | None:
    """Return the contributor-facing reason for a declined photo."""
    reason = decline_reason(submission)
    return reason.text if reason is not None else None
