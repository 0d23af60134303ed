"""Spots: the one home of the counts behind a project's target and each person's limit.

Counters kept in the transaction that changes a photo's status, never recounted:

- ``Project.active_count``: the project's photos processing, pending review or approved
  (what the target is measured against while uploading);
- ``ProjectContributor.photo_count``: the same for one contributor, plus the photos they
  withdrew from one of those statuses, so a withdrawal never frees an allowance (and the
  withdrawn photo's bytes stay a tombstone: see ``Submission.dedupe_sha256``);
- ``Project.photos_<status>``: the project's photos in each status (the review queue's
  numbers, read from one row instead of counting every photo), moved in the same UPDATE
  of the project row as ``active_count``.

A new photo takes its spots with :func:`reserve_spot`, conditional UPDATEs in the shape of
``reserve_approval``: the database checks the limit and counts in one statement, so the
26th of 30 simultaneous uploads is refused exactly as if it came alone. Every other status
move calls :func:`count_status_change`. Rows are always locked project first, then the
contributor's, so two transactions never wait on each other in a circle.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from trove.accounts.models import User
from trove.errors import DomainError
from trove.extensions import db
from trove.projects.models import Project
from trove.submissions.models import (
    ACTIVE_STATUSES,
    ProjectContributor,
    Submission,
    SubmissionStatus,
)


def limit_error(project: Project) -> DomainError:
    """Return the refusal for a contributor who reached the per-person limit."""
    return DomainError(
        _(
            "You have sent the most photos one person can send to this project "
            "(%(limit)s). Thank you!",
            limit=project.per_contributor_limit,
        ),
        status=409,
    )


def target_error() -> DomainError:
    """Return the refusal for a project whose spots are all taken."""
    return DomainError(
        _(
            "This project has all the photos it needs waiting for review. "
            "Spots may open again if some are declined."
        ),
        status=409,
    )


def spot_counts(project: Project, contributor: User) -> tuple[int, int]:
    """Return (the project's photos holding a spot, ``contributor``'s count in it)."""
    mine = (
        select(ProjectContributor.photo_count)
        .where(
            ProjectContributor.project_id == project.id,
            ProjectContributor.contributor_id == contributor.id,
        )
        .scalar_subquery()
    )
    active, counted = db.session.execute(
        select(Project.active_count, mine).where(Project.id == project.id)
    ).one()
    return active or 0, counted or 0


def spots_left(project: Project, active: int, mine: int) -> int:
    """Return how many more photos a contributor with ``mine`` may send (``active`` held)."""
    left = (project.target_count or 0) - active
    if project.per_contributor_limit:
        left = min(left, project.per_contributor_limit - mine)
    return max(left, 0)


def spot_refusal(project: Project, contributor: User) -> DomainError | None:
    """Return why ``contributor`` may send no more photos now (None if they may)."""
    active, mine = spot_counts(project, contributor)
    if project.per_contributor_limit and mine >= project.per_contributor_limit:
        return limit_error(project)
    if active >= (project.target_count or 0):
        return target_error()
    return None


def check_spots(project: Project, contributor: User) -> None:
    """Refuse early (before any bytes are read) when a limit is already reached."""
    refusal = spot_refusal(project, contributor)
    if refusal is not None:
        raise refusal


def reserve_spot(project: Project, contributor: User) -> int:
    """Count a new photo against the target and the contributor's limit, or refuse (atomic).

    Returns the spots the contributor has left after this photo, from the counts the two
    UPDATEs return (no second count).
    """
    active = db.session.execute(
        update(Project)
        .where(
            Project.id == project.id,
            Project.active_count < db.func.coalesce(Project.target_count, 0),
        )
        .values(
            active_count=Project.active_count + 1,
            photos_processing=Project.photos_processing + 1,
        )
        .returning(Project.active_count)
        .execution_options(synchronize_session=False)
    ).scalar()
    if active is None:
        raise target_error()
    mine = _count_contributor_photo(project, contributor)
    if mine is None:  # a first photo (no counter row yet), or the limit is reached
        _ensure_row(project.id, contributor.id)
        mine = _count_contributor_photo(project, contributor)
        if mine is None:
            raise limit_error(project)
    return spots_left(project, active, mine)


def _count_contributor_photo(project: Project, contributor: User) -> int | None:
    """Add one to the contributor's count unless at the limit; return it (None: not counted)."""
    limited = update(ProjectContributor).where(
        ProjectContributor.project_id == project.id,
        ProjectContributor.contributor_id == contributor.id,
    )
    if project.per_contributor_limit:
        limited = limited.where(ProjectContributor.photo_count < project.per_contributor_limit)
    return db.session.execute(
        limited.values(photo_count=ProjectContributor.photo_count + 1)
        .returning(ProjectContributor.photo_count)
        .execution_options(synchronize_session=False)
    ).scalar()


def count_status_change(
    submission: Submission, was: SubmissionStatus, now: SubmissionStatus
) -> None:
    """Keep both counters exact after ``submission`` moved from ``was`` to ``now``."""
    project_delta = _holds(now) - _holds(was)
    # A withdrawal keeps the contributor's count as it was: the photo still counts for them.
    contributor_delta = 0 if now is SubmissionStatus.WITHDRAWN else project_delta
    if was is not now:
        left, entered = STATUS_COUNT[was], STATUS_COUNT[now]
        db.session.execute(
            update(Project)
            .where(Project.id == submission.project_id)
            .values(
                {
                    Project.active_count: Project.active_count + project_delta,
                    left: left - 1,
                    entered: entered + 1,
                }
            )
            .execution_options(synchronize_session=False)
        )
    if contributor_delta and submission.contributor_id is not None:
        _ensure_row(submission.project_id, submission.contributor_id)
        db.session.execute(
            update(ProjectContributor)
            .where(
                ProjectContributor.project_id == submission.project_id,
                ProjectContributor.contributor_id == submission.contributor_id,
            )
            .values(photo_count=ProjectContributor.photo_count + contributor_delta)
            .execution_options(synchronize_session=False)
        )


#: The project column counting the photos in each status.
STATUS_COUNT = {
    SubmissionStatus.PROCESSING: Project.photos_processing,
    SubmissionStatus.PENDING_REVIEW: Project.photos_pending_review,
    SubmissionStatus.APPROVED: Project.photos_approved,
    SubmissionStatus.REJECTED: Project.photos_rejected,
    SubmissionStatus.WITHDRAWN: Project.photos_withdrawn,
}


def status_counts(project_id: int) -> dict[str, int]:
    """Return how many of the project's photos are in each status (one row read)."""
    row = db.session.execute(select(*STATUS_COUNT.values()).where(Project.id == project_id)).one()
    return {status.value: n for status, n in zip(STATUS_COUNT, row, strict=True)}


def status_counts_of(project: Project) -> dict[str, int]:
    """Return :func:`status_counts` from a project row loaded in this transaction (no read)."""
    return {status.value: getattr(project, column.key) for status, column in STATUS_COUNT.items()}


def _holds(status: SubmissionStatus) -> int:
    return 1 if status in ACTIVE_STATUSES else 0


def _ensure_row(project_id: int, contributor_id: int) -> None:
    """Create the (project, contributor) counter row if it is missing; never fail if it exists."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(ProjectContributor)
        .values(project_id=project_id, contributor_id=contributor_id, photo_count=0)
        .on_conflict_do_nothing()
    )


def move_status(
    submission: Submission, was: SubmissionStatus, now: SubmissionStatus, **values: object
) -> bool:
    """Move ``submission`` from ``was`` to ``now`` if it is still ``was`` (atomic); count it.

    Returns whether it moved. If it did, the columns written are set on ``submission`` from
    the UPDATE's RETURNING (no reload, which would run its loader's joins again); if not,
    someone else changed it and it is reloaded whole.
    """
    columns = [Submission.status, *(getattr(Submission, name) for name in values)]
    written = db.session.execute(
        update(Submission)
        .where(Submission.id == submission.id, Submission.status == was)
        .values(status=now, **values)
        .returning(*columns)
        .execution_options(synchronize_session=False)
    ).first()
    if written is None:
        db.session.refresh(submission)
        return False
    count_status_change(submission, was, now)
    for column, value in zip(columns, written, strict=True):
        set_committed_value(submission, column.key, value)
    return True
