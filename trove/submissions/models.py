"""A contributed photo and its consent receipt."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trove.accounts.models import User
from trove.extensions import db, enum_column
from trove.projects.models import BriefVersion, Project
from trove.timeutil import utcnow


class SubmissionStatus(enum.StrEnum):
    """Where a contributed photo is in its life."""

    PROCESSING = "processing"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        """Return the human name of the status."""
        return str(
            {
                "processing": _l("Processing"),
                "pending_review": _l("Pending review"),
                "approved": _l("Approved"),
                "rejected": _l("Rejected"),
                "withdrawn": _l("Withdrawn"),
            }[self.value]
        )

    @property
    def is_terminal_for_processing(self) -> bool:
        """Return whether the media job has finished with the photo."""
        return self is not SubmissionStatus.PROCESSING


class RejectionCode(enum.StrEnum):
    """Why a photo was declined (stored as its value in ``Submission.rejection_code``)."""

    BLURRY = "blurry"
    WRONG_SUBJECT = "wrong_subject"
    PERSON = "person"
    PERSONAL_DATA = "personal_data"
    DUPLICATE = "duplicate"
    TOO_DARK = "too_dark"
    #: Declined in bulk, politely, once the project reached its target.
    TARGET_REACHED = "target_reached"
    #: Set by the media job, never by a reviewer: the file could not be read as a photo.
    UNREADABLE = "unreadable"
    OTHER = "other"


#: Reasons Trove sets itself; no reviewer chose them, so they cannot be appealed.
SYSTEM_REJECTIONS = (RejectionCode.UNREADABLE, RejectionCode.TARGET_REACHED)


#: Statuses that take up one of the project's spots (or one of a contributor's).
ACTIVE_STATUSES = (
    SubmissionStatus.PROCESSING,
    SubmissionStatus.PENDING_REVIEW,
    SubmissionStatus.APPROVED,
)


class Submission(db.Model):
    """One photo a contributor gave to a project, with the brief version they agreed to."""

    __tablename__ = "submissions"
    __allow_unmapped__ = True  # for ``spots_left``, which is never stored
    __table_args__ = (
        Index("ix_submissions_project_status_id", "project_id", "status", "id"),
        Index("ix_submissions_contributor_id", "contributor_id", "id"),
        Index("ix_submissions_project_upload_sha", "project_id", "upload_sha256"),
        # One photo per exact bytes per project, withdrawn ones included (a tombstone).
        UniqueConstraint("project_id", "dedupe_sha256"),
    )

    #: The spots its contributor had left once a new upload counted (not a column).
    spots_left: int | None = None

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    contributor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[SubmissionStatus] = enum_column(
        SubmissionStatus, length=20, default=SubmissionStatus.PROCESSING
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # The upload as received (kept in quarantine until processed; never served).
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    upload_format: Mapped[str] = mapped_column(String(10))
    upload_size: Mapped[int]
    upload_sha256: Mapped[str] = mapped_column(String(64))
    quarantine_name: Mapped[str | None] = mapped_column(String(80))
    # ``upload_sha256`` while the photo counts as a copy of these bytes in its project; None
    # only when the media job lost or could not read the upload (it may be sent again).
    dedupe_sha256: Mapped[str | None] = mapped_column(String(64))

    # The stripped, stored picture (set by the media job).
    processed_at: Mapped[datetime | None]
    storage_key: Mapped[str | None] = mapped_column(String(200))
    stored_format: Mapped[str | None] = mapped_column(String(10))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    phash: Mapped[str | None] = mapped_column(String(16))
    width: Mapped[int | None]
    height: Mapped[int | None]
    stored_size: Mapped[int | None]
    near_duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    # Whether the small (phone) thumbnail is stored beside the others: photos processed
    # before it existed get it from ``flask trove backfill-thumbnails``; until then pages
    # show them the usual one (``trove.submissions.thumbs``).
    has_small_thumb: Mapped[bool] = mapped_column(default=False, server_default=false())

    # Bystander blur (briefs whose people policy blurs faces; ``trove.blur``). Boxes are
    # fractions of the upright picture: ``blur_boxes`` what reviewers see and edit,
    # ``blur_applied`` what the stored file has blurred (None: nothing was looked for).
    # ``unblurred_name`` is the stripped, unblurred copy in quarantine, never served, kept
    # only until the photo is decided so a wrongly blurred area can be restored.
    blur_boxes: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    blur_applied: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    unblurred_name: Mapped[str | None] = mapped_column(String(80))

    # Consent receipt: what the contributor agreed to, and when.
    brief_version_id: Mapped[int] = mapped_column(ForeignKey("brief_versions.id"))
    licence_hash: Mapped[str] = mapped_column(String(64))
    consented_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Outcome.
    rejection_code: Mapped[str | None] = mapped_column(String(40))
    rejection_note: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None]
    # After a withdrawal (or when retention ends) the stored files are deleted at this time;
    # ``purged_at`` records that they were (the hashes stay for the deletion list).
    purge_after: Mapped[datetime | None] = mapped_column(index=True)
    purged_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship()
    contributor: Mapped[User | None] = relationship(foreign_keys=[contributor_id])
    brief_version: Mapped[BriefVersion] = relationship()
    near_duplicate_of: Mapped[Submission | None] = relationship(remote_side=[id])

    @property
    def dom_id(self) -> str:
        """Return the stable DOM id of the submission's card."""
        return f"submission-{self.id}"

    @property
    def blur_regions(self) -> int:
        """Return how many regions of the stored file are blurred."""
        return len(self.blur_applied or [])

    @property
    def faces_found(self) -> int:
        """Return how many faces the detector found (boxes reviewers removed not counted)."""
        return sum(1 for box in self.blur_boxes or [] if box.get("source") == "face")

    @property
    def flagged_for_faces(self) -> bool:
        """Return whether the photo shows a face although the brief allows no people."""
        return self.project.flags_faces and self.faces_found > 0

    @property
    def blur_changes_pending(self) -> bool:
        """Return whether reviewers changed the boxes since the stored file was blurred."""
        return self.blur_applied is not None and (self.blur_boxes or []) != self.blur_applied

    @property
    def is_processing(self) -> bool:
        """Return whether the media job has not finished with the photo yet."""
        return self.status is SubmissionStatus.PROCESSING

    @property
    def is_pending(self) -> bool:
        """Return whether the photo waits for a reviewer."""
        return self.status is SubmissionStatus.PENDING_REVIEW

    @property
    def is_approved(self) -> bool:
        """Return whether the photo is approved."""
        return self.status is SubmissionStatus.APPROVED

    @property
    def is_rejected(self) -> bool:
        """Return whether the photo is declined (by a reviewer or as unreadable)."""
        return self.status is SubmissionStatus.REJECTED

    @property
    def is_withdrawn(self) -> bool:
        """Return whether the contributor withdrew the photo."""
        return self.status is SubmissionStatus.WITHDRAWN

    @property
    def is_unreadable(self) -> bool:
        """Return whether the file could not be read as a photo (nothing to review)."""
        return self.rejection_code == RejectionCode.UNREADABLE

    @property
    def reviewer_note(self) -> str | None:
        """Return the note a reviewer wrote with the decline (an unreadable file's note is
        Trove's own explanation, shown as the reason instead)."""
        return None if self.is_unreadable else self.rejection_note

    @property
    def approvable(self) -> bool:
        """Return whether the photo's state allows an approval (pending or declined)."""
        return (self.is_pending or self.is_rejected) and not self.is_unreadable

    @property
    def declinable(self) -> bool:
        """Return whether the photo's state allows declining it (pending or approved)."""
        return self.is_pending or self.is_approved

    @property
    def undoable(self) -> bool:
        """Return whether a decision on the photo can be undone (back to pending)."""
        return (self.is_approved or self.is_rejected) and not self.is_unreadable

    @property
    def declined_by_reviewer(self) -> bool:
        """Return whether a reviewer declined the photo (not Trove, for a reason of its own)."""
        return self.is_rejected and self.rejection_code not in SYSTEM_REJECTIONS

    @property
    def has_open_appeal(self) -> bool:
        """Return whether the contributor's appeal awaits a reviewer."""
        appeal = getattr(self, "appeal", None)
        return appeal is not None and appeal.resolved_at is None

    @property
    def keepable_declined(self) -> bool:
        """Return whether a reviewer may answer an open appeal by keeping the decline."""
        return self.is_rejected and self.has_open_appeal

    @property
    def appealable(self) -> bool:
        """Return whether the decline may still be appealed (a reviewer's, once)."""
        return self.declined_by_reviewer and getattr(self, "appeal", None) is None


class ProjectContributor(db.Model):
    """How many photos one contributor holds in one project (withdrawn ones included)."""

    __tablename__ = "project_contributors"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    contributor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    photo_count: Mapped[int] = mapped_column(default=0, server_default="0")


class PhashBand(db.Model):
    """One band of a photo's perceptual hash: the index the near-duplicate search probes.

    Every hashed photo has one row per band (``trove.media.hashing.phash_band_keys``),
    withdrawn ones too: their hashes stay as tombstones for duplicate checks.
    """

    __tablename__ = "submission_phash_bands"
    __table_args__ = (Index("ix_submission_phash_bands_lookup", "project_id", "band_key"),)

    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True
    )
    band_key: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))


class TusUpload(db.Model):
    """A photo arriving in pieces over tus 1.0: what was announced and how much has come.

    The bytes live in the storage's ``uploads/`` area (never in quarantine), one object
    per accepted piece, named in ``parts``; ``received`` is the tus offset. Rows and
    pieces are shared by every web host, so consecutive PATCHes may reach different hosts.
    """

    __tablename__ = "tus_uploads"
    __table_args__ = (Index("ix_tus_uploads_contributor_id", "contributor_id", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(43), unique=True)
    contributor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    brief_version_id: Mapped[int | None]
    filename: Mapped[str] = mapped_column(String(255), default="")
    length: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    parts: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))

    project: Mapped[Project] = relationship()

    @property
    def part_names(self) -> list[str]:
        """Return the stored pieces, in order."""
        return self.parts.split() if self.parts else []

    @property
    def is_complete(self) -> bool:
        """Return whether every announced byte arrived (and became a photo)."""
        return self.submission_id is not None
