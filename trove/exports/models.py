"""Dataset versions of a project, what each holds, who downloaded it and how it is used."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trove.accounts.models import User
from trove.extensions import db, enum_column
from trove.i18n import N_, own_text
from trove.projects.models import Project
from trove.submissions.models import Submission
from trove.timeutil import utcnow


class DatasetVersionStatus(enum.StrEnum):
    """Where a dataset version's archive is."""

    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"

    @property
    def label(self) -> str:
        """Return the human name of the status."""
        return str(
            {"building": _l("Building"), "ready": _l("Ready"), "failed": _l("Failed")}[self.value]
        )


class Split(enum.StrEnum):
    """The part of a dataset a photo belongs to."""

    TRAIN = "train"
    VALIDATION = "validation"
    TEST = "test"


class UseKind(enum.StrEnum):
    """What a team member used a dataset version for."""

    TRAINING = "training"
    MODEL = "model"
    PAPER = "paper"
    EVALUATION = "evaluation"
    OTHER = "other"

    @property
    def label(self) -> str:
        """Return the human name of the use."""
        return str(
            {
                "training": _l("Training run"),
                "model": _l("Model"),
                "paper": _l("Paper"),
                "evaluation": _l("Evaluation"),
                "other": _l("Other use"),
            }[self.value]
        )


#: Why an archive stopped being served. Stored in English, as every stored text is; a page
#: shows them in its own language (:attr:`DatasetVersion.archive_removed_text`).
WITHDRAWN_IN_VERSION = N_("A contributor withdrew a photo in this version.")
RETENTION_ENDED = N_("The project's retention period ended.")
REMOVAL_REASONS = frozenset({WITHDRAWN_IN_VERSION, RETENTION_ENDED})


class DatasetVersion(db.Model):
    """An immutable, numbered selection of a project's approved photos with its archive."""

    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    number: Mapped[int]
    status: Mapped[DatasetVersionStatus] = enum_column(
        DatasetVersionStatus, length=12, default=DatasetVersionStatus.BUILDING
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")

    # How the selection was made (kept so the version can be explained and reproduced).
    seed: Mapped[str] = mapped_column(String(64))
    train_percent: Mapped[int]
    validation_percent: Mapped[int]
    test_percent: Mapped[int]
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    brief_version_id: Mapped[int | None] = mapped_column(ForeignKey("brief_versions.id"))

    # Changelog against the previous version.
    photo_count: Mapped[int] = mapped_column(default=0)
    added_count: Mapped[int] = mapped_column(default=0)
    removed_count: Mapped[int] = mapped_column(default=0)
    withdrawn_count: Mapped[int] = mapped_column(default=0)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_versions.id"))

    # The archive: built by a job, then immutable until a withdrawal or retention removes it.
    progress_done: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None]
    archive_name: Mapped[str | None] = mapped_column(String(100))
    archive_size: Mapped[int | None]
    archive_sha256: Mapped[str | None] = mapped_column(String(64))
    archive_removed_at: Mapped[datetime | None]
    archive_removed_reason: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship()
    created_by: Mapped[User | None] = relationship()
    previous: Mapped[DatasetVersion | None] = relationship(remote_side=[id])
    uses: Mapped[list[DatasetUse]] = relationship(
        back_populates="version", order_by="DatasetUse.id"
    )

    @property
    def archive_removed_text(self) -> str | None:
        """Return why the archive was removed, in the page's language."""
        return own_text(self.archive_removed_reason, REMOVAL_REASONS)

    @property
    def progress_percent(self) -> int:
        """Return how much of the archive is written, as a whole percentage."""
        if self.status is DatasetVersionStatus.READY or not self.photo_count:
            return 100 if self.status is DatasetVersionStatus.READY else 0
        return min(99, 100 * self.progress_done // self.photo_count)

    @property
    def downloadable(self) -> bool:
        """Return whether the archive can be downloaded now."""
        return (
            self.status is DatasetVersionStatus.READY
            and self.archive_name is not None
            and self.archive_removed_at is None
        )

    @property
    def download_name(self) -> str:
        """Return the file name a download is saved under."""
        return f"trove-project-{self.project_id}-v{self.number}.zip"


class DatasetItem(db.Model):
    """One photo in one dataset version, as the manifest describes it."""

    __tablename__ = "dataset_items"
    __table_args__ = (
        UniqueConstraint("version_id", "submission_id"),
        Index("ix_dataset_items_submission_id", "submission_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("dataset_versions.id"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    split: Mapped[Split] = enum_column(Split, length=12)
    path: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    pseudonym: Mapped[str] = mapped_column(String(40))

    version: Mapped[DatasetVersion] = relationship()
    submission: Mapped[Submission] = relationship()


class DatasetUse(db.Model):
    """A use of a dataset version that its contributors are shown (a run, a model, a paper)."""

    __tablename__ = "dataset_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("dataset_versions.id"), index=True)
    kind: Mapped[UseKind] = enum_column(UseKind, length=12)
    description: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    version: Mapped[DatasetVersion] = relationship(back_populates="uses")
    created_by: Mapped[User | None] = relationship()


class DatasetDownload(db.Model):
    """A team member's downloads of a version (one row per person and version)."""

    __tablename__ = "dataset_downloads"
    __table_args__ = (UniqueConstraint("version_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("dataset_versions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    first_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)
    count: Mapped[int] = mapped_column(default=1)

    version: Mapped[DatasetVersion] = relationship()
    user: Mapped[User] = relationship()


class DeletionConfirmation(db.Model):
    """A team member's statement that they deleted every withdrawn photo up to a time."""

    __tablename__ = "deletion_confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Covers every withdrawal made at or before this time.
    covers_until: Mapped[datetime]
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
