"""The review queue: filters, keyset pages and counters that stay fast at any size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, select
from sqlalchemy.orm import selectinload

from trove.extensions import db
from trove.ids import parse_id
from trove.projects.models import Project
from trove.review.models import Appeal, CheckState, SecondOpinion
from trove.submissions import spots
from trove.submissions.models import Submission, SubmissionStatus

PAGE_SIZE = 30
FILTERS = {
    "pending": _l("Pending"),
    "second": _l("Second opinion"),
    "flagged": _l("Possible duplicates"),
    "appealed": _l("Appealed"),
    "approved": _l("Approved"),
    "rejected": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
}
SORTS = {"oldest": _l("Oldest first"), "newest": _l("Newest first")}


@dataclass
class QueueFilters:
    """What the reviewer is looking at."""

    status: str = "pending"
    sort: str = "oldest"
    cursor: int | None = None

    @classmethod
    def from_args(cls, args: Any) -> QueueFilters:
        """Read filters from query arguments, ignoring nonsense."""
        status = args.get("status", "pending")
        sort = args.get("sort", "oldest")
        cursor = args.get("cursor", "")
        return cls(
            status=status if status in FILTERS else "pending",
            sort=sort if sort in SORTS else "oldest",
            cursor=parse_id(cursor),
        )


def _filtered(project_id: int, status: str) -> Select[Any]:
    query = select(Submission).where(Submission.project_id == project_id)
    if status == "pending":
        return query.where(Submission.status == SubmissionStatus.PENDING_REVIEW)
    if status == "flagged":
        return query.where(
            Submission.status == SubmissionStatus.PENDING_REVIEW,
            Submission.near_duplicate_of_id.is_not(None),
        )
    if status == "second":
        return query.where(
            Submission.status == SubmissionStatus.APPROVED,
            exists().where(
                SecondOpinion.submission_id == Submission.id,
                SecondOpinion.state == CheckState.OPEN,
            ),
        )
    if status == "appealed":
        return query.where(
            Submission.status == SubmissionStatus.REJECTED,
            exists().where(Appeal.submission_id == Submission.id, Appeal.resolved_at.is_(None)),
        )
    return query.where(
        Submission.status
        == {
            "approved": SubmissionStatus.APPROVED,
            "rejected": SubmissionStatus.REJECTED,
            "withdrawn": SubmissionStatus.WITHDRAWN,
        }[status]
    )


def _card_loads(status: str) -> list[Any]:
    """Return the loads of what a card reads for the photos ``status`` lists, and no more.

    A gold mark is offered on decided photos only, and the second opinion is read on
    approved ones only: a page of pending photos loads neither.
    """
    appeal = Submission.appeal  # type: ignore[attr-defined]
    loads = [selectinload(Submission.brief_version), selectinload(appeal)]
    if status in ("approved", "second", "rejected", "appealed"):
        loads.append(selectinload(Submission.gold))  # type: ignore[attr-defined]
    if status in ("approved", "second"):
        loads.append(selectinload(Submission.final_check))  # type: ignore[attr-defined]
    return loads


def queue_page(project: Project, filters: QueueFilters) -> tuple[list[Submission], int | None]:
    """Return one page of the queue and the cursor of the next page (keyset, no OFFSET)."""
    query = _filtered(project.id, filters.status)
    if filters.sort == "oldest":
        if filters.cursor is not None:
            query = query.where(Submission.id > filters.cursor)
        query = query.order_by(Submission.id.asc())
    else:
        if filters.cursor is not None:
            query = query.where(Submission.id < filters.cursor)
        query = query.order_by(Submission.id.desc())
    rows = list(
        db.session.scalars(query.options(*_card_loads(filters.status)).limit(PAGE_SIZE + 1))
    )
    next_cursor = rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None
    return rows[:PAGE_SIZE], next_cursor


def neighbours(submission: Submission, filters: QueueFilters) -> tuple[int | None, int | None]:
    """Return the ids before and after ``submission`` in the queue order."""
    base = _filtered(submission.project_id, filters.status).with_only_columns(Submission.id)
    older = db.session.scalar(
        base.where(Submission.id < submission.id).order_by(Submission.id.desc()).limit(1)
    )
    newer = db.session.scalar(
        base.where(Submission.id > submission.id).order_by(Submission.id.asc()).limit(1)
    )
    return (older, newer) if filters.sort == "oldest" else (newer, older)


def counters(project: Project) -> dict[str, int]:
    """Return the numbers at the top of the queue (the counters of the project row, as loaded)."""
    return spots.status_counts_of(project)


def awaiting_review_counts(project_ids: list[int]) -> dict[int, int]:
    """Return how many photos await review in each project (from the projects' counters)."""
    if not project_ids:
        return {}
    rows = db.session.execute(
        select(Project.id, Project.photos_pending_review).where(Project.id.in_(project_ids))
    )
    return {project_id: n for project_id, n in rows if n}
