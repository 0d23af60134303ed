"""Dataset version rules: cutting a version, pseudonyms, splits, downloads and uses.

Functions flush but never commit; the view or job that calls one commits.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, insert, select

from trove.accounts.models import User
from trove.audit.service import record_event
from trove.errors import DomainError
from trove.exports.jobs import build_dataset_version, delete_archive
from trove.exports.models import (
    DatasetDownload,
    DatasetItem,
    DatasetUse,
    DatasetVersion,
    DatasetVersionStatus,
    Split,
    UseKind,
)
from trove.extensions import count_each, db
from trove.projects.models import Capability, Project
from trove.projects.service import can
from trove.submissions.models import Submission, SubmissionStatus
from trove.tasks import enqueue
from trove.timeutil import utcnow

NOTE_MAX = 2000
USE_MAX = 500
_EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp"}
INSERT_CHUNK = 1000


def _require(user: User, project: Project, capability: Capability, message: str) -> None:
    if not can(user, project, capability):
        raise DomainError(message, status=403)


# --- pseudonyms and splits ----------------------------------------------------------------


def pseudonym_for(project: Project, contributor_id: int | None) -> str:
    """Return a contributor's pseudonym in ``project`` (a salted hash, unjoinable elsewhere).

    The salt is made with the project and never changes, so reading a pseudonym never
    writes: every page, export and draw shows the same one.
    """
    digest = hmac.new(
        project.pseudonym_salt.encode(), f"contributor:{contributor_id}".encode(), hashlib.sha256
    ).hexdigest()
    return f"c-{digest[:24]}"


def split_for(seed: str, sha256: str, train: int, validation: int) -> Split:
    """Return the split of a photo: a seeded hash of its content, so it is reproducible."""
    digest = hashlib.sha256(f"{seed}\n{sha256}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") * 100 / 2**64  # uniform in [0, 100)
    if point < train:
        return Split.TRAIN
    if point < train + validation:
        return Split.VALIDATION
    return Split.TEST


def default_seed(project: Project) -> str:
    """Return the seed a project's versions use unless the steward picks another."""
    return f"trove-project-{project.id}"


# --- cutting a version ----------------------------------------------------------------------


@dataclass(frozen=True)
class VersionRequest:
    """What a steward asks for when cutting a version (judged by :func:`version_problems`)."""

    train_percent: int = 80
    validation_percent: int = 10
    test_percent: int = 10
    seed: str = ""
    approved_from: date | None = None
    approved_until: date | None = None
    exclude_near_duplicates: bool = False
    note: str = ""

    @property
    def filters(self) -> dict[str, Any]:
        """Return the selection filters as stored on the version."""
        data: dict[str, Any] = {}
        if self.approved_from:
            data["approved_from"] = self.approved_from.isoformat()
        if self.approved_until:
            data["approved_until"] = self.approved_until.isoformat()
        if self.exclude_near_duplicates:
            data["exclude_near_duplicates"] = True
        return data


def version_problems(request: VersionRequest) -> dict[str, str]:
    """Return a message for each field of ``request`` that cannot cut a version (empty: none)."""
    problems: dict[str, str] = {}
    parts = (request.train_percent, request.validation_percent, request.test_percent)
    if any(p < 0 or p > 100 for p in parts):
        problems["train_percent"] = _("Each share must be between 0 and 100 per cent.")
    elif sum(parts) != 100:
        problems["train_percent"] = _(
            "The three shares must add up to 100 per cent (they add up to %(total)s).",
            total=sum(parts),
        )
    elif request.train_percent == 0:
        problems["train_percent"] = _("The training share cannot be 0.")
    if len(request.seed) > 64:
        problems["seed"] = _("The seed can be at most %(max)s characters.", max=64)
    if (
        request.approved_from
        and request.approved_until
        and request.approved_from > request.approved_until
    ):
        problems["approved_until"] = _("The end date is before the start date.")
    if len(request.note) > NOTE_MAX:
        problems["note"] = _("The note can be at most %(max)s characters.", max=NOTE_MAX)
    return problems


def eligible_query(project: Project, filters: dict[str, Any]) -> Any:
    """Return a query of the photos a new version would hold: approved, kept, stored."""
    query = select(Submission).where(
        Submission.project_id == project.id,
        Submission.status == SubmissionStatus.APPROVED,
        Submission.storage_key.is_not(None),
        Submission.purged_at.is_(None),
        # Its final blur is still being written (trove.submissions.blurring.settle_blur).
        Submission.unblurred_name.is_(None),
    )
    if filters.get("approved_from"):
        start = datetime.combine(date.fromisoformat(filters["approved_from"]), time.min)
        query = query.where(Submission.reviewed_at >= start)
    if filters.get("approved_until"):
        end = datetime.combine(date.fromisoformat(filters["approved_until"]), time.max)
        query = query.where(Submission.reviewed_at <= end)
    if filters.get("exclude_near_duplicates"):
        query = query.where(Submission.near_duplicate_of_id.is_(None))
    return query.order_by(Submission.id)


def latest_version(project: Project) -> DatasetVersion | None:
    """Return the project's newest version that was not a failed build."""
    return db.session.scalar(
        select(DatasetVersion)
        .where(
            DatasetVersion.project_id == project.id,
            DatasetVersion.status != DatasetVersionStatus.FAILED,
        )
        .order_by(DatasetVersion.number.desc())
        .limit(1)
    )


def cut_version(project: Project, actor: User, request: VersionRequest) -> DatasetVersion:
    """Freeze the selection of a new version and queue the job that writes its archive."""
    _require(
        actor, project, Capability.STEWARD, _("Only the project's data stewards cut versions.")
    )
    problems = version_problems(request)
    if problems:
        field_name, message = next(iter(problems.items()))
        raise DomainError(message, field=field_name, status=422)
    building = db.session.scalar(
        select(DatasetVersion.number).where(
            DatasetVersion.project_id == project.id,
            DatasetVersion.status == DatasetVersionStatus.BUILDING,
        )
    )
    if building is not None:
        raise DomainError(
            _("Version %(number)s is still being built. Wait for it to finish.", number=building),
            status=409,
        )
    filters = request.filters
    # Plain rows, not ORM objects: a version of many thousand photos stays small in memory.
    columns = eligible_query(project, filters).with_only_columns(
        Submission.id,
        Submission.sha256,
        Submission.stored_format,
        Submission.stored_size,
        Submission.width,
        Submission.height,
        Submission.contributor_id,
    )
    photos = db.session.execute(columns).all()
    if not photos:
        raise DomainError(
            _("No approved photos match. A version needs at least one photo."), status=422
        )
    previous = latest_version(project)
    number = (
        db.session.scalar(
            select(func.max(DatasetVersion.number)).where(DatasetVersion.project_id == project.id)
        )
        or 0
    ) + 1
    seed = request.seed.strip() or default_seed(project)
    version = DatasetVersion(
        project_id=project.id,
        number=number,
        created_by_id=actor.id,
        note=request.note.strip(),
        seed=seed,
        train_percent=request.train_percent,
        validation_percent=request.validation_percent,
        test_percent=request.test_percent,
        filters=filters,
        brief_version_id=project.current_version_id,
        photo_count=len(photos),
        previous_id=previous.id if previous else None,
    )
    db.session.add(version)
    db.session.flush()
    pseudonyms: dict[int | None, str] = {}
    for start in range(0, len(photos), INSERT_CHUNK):
        rows = []
        for photo in photos[start : start + INSERT_CHUNK]:
            split = split_for(
                seed, photo.sha256 or "", request.train_percent, request.validation_percent
            )
            if photo.contributor_id not in pseudonyms:
                pseudonyms[photo.contributor_id] = pseudonym_for(project, photo.contributor_id)
            rows.append(
                {
                    "version_id": version.id,
                    "submission_id": photo.id,
                    "split": split,
                    "path": f"{split.value}/{photo.sha256}.{_EXTENSIONS[photo.stored_format]}",
                    "sha256": photo.sha256,
                    "size": photo.stored_size or 0,
                    "width": photo.width or 0,
                    "height": photo.height or 0,
                    "pseudonym": pseudonyms[photo.contributor_id],
                }
            )
        db.session.execute(insert(DatasetItem), rows)
    _count_changes(version, previous, {p.id for p in photos})
    record_event(
        actor,
        "dataset.version_cut",
        version,
        project_id=project.id,
        number=number,
        photos=len(photos),
        seed=seed,
    )
    enqueue(build_dataset_version, version.id)
    return version


def _count_changes(
    version: DatasetVersion, previous: DatasetVersion | None, current: set[int]
) -> None:
    if previous is None:
        version.added_count = len(current)
        return
    before = dict(
        db.session.execute(
            select(DatasetItem.submission_id, Submission.status)
            .join(Submission, Submission.id == DatasetItem.submission_id)
            .where(DatasetItem.version_id == previous.id)
        ).all()
    )
    gone = set(before) - current
    version.added_count = len(current - set(before))
    version.withdrawn_count = sum(1 for s in gone if before[s] is SubmissionStatus.WITHDRAWN)
    version.removed_count = len(gone) - version.withdrawn_count


def versions_of(project: Project) -> list[DatasetVersion]:
    """Return the project's versions, newest first."""
    return list(
        db.session.scalars(
            select(DatasetVersion)
            .where(DatasetVersion.project_id == project.id)
            .order_by(DatasetVersion.number.desc())
        )
    )


def split_counts(version: DatasetVersion) -> dict[str, int]:
    """Return how many photos of ``version`` are in each split."""
    return count_each(DatasetItem.split, Split, DatasetItem.version_id == version.id)


# --- archives retired by withdrawals and retention -------------------------------------------


def retire_archives(submission_ids: Iterable[int], reason: str) -> list[DatasetVersion]:
    """Stop serving every archive holding one of these photos; a job deletes the files."""
    ids = list(submission_ids)
    if not ids:
        return []
    versions = list(
        db.session.scalars(
            select(DatasetVersion)
            .where(
                DatasetVersion.id.in_(
                    select(DatasetItem.version_id).where(DatasetItem.submission_id.in_(ids))
                ),
                DatasetVersion.archive_removed_at.is_(None),
            )
            .order_by(DatasetVersion.id)
        )
    )
    now = utcnow()
    for version in versions:
        version.archive_removed_at = now
        version.archive_removed_reason = reason[:200]
        enqueue(delete_archive, version.id)
    return versions


# --- downloads and uses --------------------------------------------------------------------


def record_download(version: DatasetVersion, user: User) -> None:
    """Note that ``user`` downloaded ``version`` (audited)."""
    _require(user, version.project, Capability.STEWARD, _("Only data stewards download versions."))
    if not version.downloadable:
        raise DomainError(_("This version's archive is not available."), status=409)
    row = db.session.scalar(
        select(DatasetDownload).where(
            DatasetDownload.version_id == version.id, DatasetDownload.user_id == user.id
        )
    )
    if row is None:
        db.session.add(DatasetDownload(version_id=version.id, user_id=user.id))
    else:
        row.count += 1
        row.last_at = utcnow()
    record_event(
        user, "dataset.downloaded", version, project_id=version.project_id, number=version.number
    )


def add_use(
    version: DatasetVersion, actor: User, kind: str, description: str, url: str = ""
) -> DatasetUse:
    """Record a use of ``version`` that its contributors will see."""
    _require(actor, version.project, Capability.VIEW, _("Only the project team records uses."))
    try:
        use_kind = UseKind(kind)
    except ValueError:
        raise DomainError(_("Choose what kind of use this is."), field="kind", status=422) from None
    description = " ".join(description.split())
    if not description:
        raise DomainError(
            _("Describe the use in a sentence contributors will understand."),
            field="description",
            status=422,
        )
    if len(description) > USE_MAX:
        raise DomainError(
            _("Keep the description under %(max)s characters.", max=USE_MAX),
            field="description",
            status=422,
        )
    url = url.strip()
    if url and not url.startswith(("https://", "http://")):
        raise DomainError(
            _("The link must start with https:// (or http://)."), field="url", status=422
        )
    use = DatasetUse(
        version_id=version.id,
        kind=use_kind,
        description=description,
        url=url[:500] or None,
        created_by_id=actor.id,
    )
    db.session.add(use)
    db.session.flush()
    record_event(actor, "dataset.use_recorded", version, project_id=version.project_id, kind=kind)
    return use


# --- what contributors see ----------------------------------------------------------------


def versions_with(submission: Submission) -> list[DatasetVersion]:
    """Return the dataset versions that include ``submission``, oldest first."""
    return list(
        db.session.scalars(
            select(DatasetVersion)
            .join(DatasetItem, DatasetItem.version_id == DatasetVersion.id)
            .where(
                DatasetItem.submission_id == submission.id,
                DatasetVersion.status != DatasetVersionStatus.FAILED,
            )
            .order_by(DatasetVersion.number)
        )
    )
