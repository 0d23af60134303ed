"""Reviewer insight and the brief's public review numbers, kept cheap at any size.

Per-reviewer counters live in ``reviewer_stats`` and move with each decision (one small
UPDATE), so the owner's insight page reads one row per reviewer and never scans photos or
the audit log. The public numbers read a bounded sample: the most recent decisions.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from trove.extensions import db
from trove.projects.models import Project
from trove.review.models import ReviewerStat
from trove.submissions.models import SYSTEM_REJECTIONS, Submission, SubmissionStatus
from trove.timeutil import utcnow

#: The longest pause between two decisions still counted as time spent reviewing.
ACTIVE_GAP_SECONDS = 300
#: The public numbers appear once this many decisions exist.
PUBLIC_MINIMUM = 20
#: How many recent decisions the public numbers are computed from.
PUBLIC_SAMPLE = 500


def count(project_id: int, reviewer_id: int | None, *, decided: bool = False, **more: int) -> None:
    """Add to a reviewer's counters on a project; ``decided`` counts one more decision."""
    if reviewer_id is None:
        return
    key = (ReviewerStat.project_id == project_id, ReviewerStat.reviewer_id == reviewer_id)
    values: dict[str, Any] = {name: getattr(ReviewerStat, name) + n for name, n in more.items()}
    if decided:
        now = utcnow()
        last = db.session.scalar(select(ReviewerStat.last_decision_at).where(*key))
        gap = 0 if last is None else int((now - last).total_seconds())
        values.update(
            decisions=ReviewerStat.decisions + 1,
            active_seconds=ReviewerStat.active_seconds + min(max(gap, 0), ACTIVE_GAP_SECONDS),
            last_decision_at=now,
        )
    if not values:
        return
    statement = update(ReviewerStat).where(*key).values(**values)
    if db.session.execute(statement.execution_options(synchronize_session=False)).rowcount:
        return
    try:
        with db.session.begin_nested():
            db.session.execute(
                insert(ReviewerStat).values(project_id=project_id, reviewer_id=reviewer_id)
            )
    except IntegrityError:
        pass  # another transaction made the row first; the UPDATE below adds to it
    db.session.execute(statement.execution_options(synchronize_session=False))


@dataclass
class ReviewerInsight:
    """One reviewer's numbers on one project."""

    name: str
    decisions: int
    per_hour: float | None
    checked: int
    agreement: float | None
    gold_answered: int
    gold_accuracy: float | None
    appeals_overturned: int


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def reviewer_insight(project: Project) -> list[ReviewerInsight]:
    """Return every reviewer's numbers on ``project``, busiest first (one query)."""
    rows = db.session.scalars(
        select(ReviewerStat)
        .where(ReviewerStat.project_id == project.id)
        .order_by(ReviewerStat.decisions.desc())
    ).all()
    return [
        ReviewerInsight(
            name=row.reviewer.display_name,
            decisions=row.decisions,
            per_hour=row.decisions * 3600 / row.active_seconds
            if row.active_seconds >= 60
            else None,
            checked=row.checked,
            agreement=_share(row.agreed, row.checked),
            gold_answered=row.gold_answered,
            gold_accuracy=_share(row.gold_correct, row.gold_answered),
            appeals_overturned=row.appeals_overturned,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class BriefNumbers:
    """What contributors may expect from review: typical wait and how many pass."""

    decisions: int
    median_hours: float
    approved_share: float


def _recent(project: Project, status: SubmissionStatus) -> list[tuple[int, datetime, datetime]]:
    query = select(Submission.id, Submission.created_at, Submission.reviewed_at).where(
        Submission.project_id == project.id,
        Submission.status == status,
        Submission.reviewed_at.is_not(None),
    )
    if status is SubmissionStatus.REJECTED:
        query = query.where(Submission.rejection_code.not_in(list(SYSTEM_REJECTIONS)))
    # Newest first along the (project, status, id) index: a bounded read at any size.
    rows = db.session.execute(query.order_by(Submission.id.desc()).limit(PUBLIC_SAMPLE))
    return [(i, c, r) for i, c, r in rows]


def brief_numbers(project: Project) -> BriefNumbers | None:
    """Return the median time to a decision and the share approved (None under 20 decisions)."""
    approved = _recent(project, SubmissionStatus.APPROVED)
    declined = _recent(project, SubmissionStatus.REJECTED)
    sample = sorted(approved + declined, reverse=True)[:PUBLIC_SAMPLE]
    if len(sample) < PUBLIC_MINIMUM:
        return None
    waits = [max((reviewed - created).total_seconds(), 0) / 3600 for _, created, reviewed in sample]
    ids = {row[0] for row in approved}
    return BriefNumbers(
        decisions=len(sample),
        median_hours=statistics.median(waits),
        approved_share=sum(1 for row in sample if row[0] in ids) / len(sample),
    )
