"""Bulk decisions: many photos in one transaction, each with its own outcome."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from trove.accounts.models import User
from trove.errors import DomainError
from trove.extensions import db
from trove.projects.models import Project
from trove.review.service import approve_submission, reject_submission, require_reviewer
from trove.submissions.models import RejectionCode, Submission, SubmissionStatus
from trove.submissions.reasons import review_reasons


@dataclass
class BulkResult:
    """What happened to one photo of a bulk action."""

    submission_id: int
    ok: bool
    message: str


def bulk_review(
    project: Project,
    reviewer: User,
    ids: list[int],
    action: str,
    code: str | None = None,
    note: str | None = None,
) -> list[BulkResult]:
    """Approve or decline many photos in one transaction; report each one's outcome."""
    require_reviewer(reviewer, project)
    if action not in ("approve", "reject"):
        raise DomainError(_("Choose approve or decline."), status=422)
    if action == "reject" and code not in review_reasons(project.current_version):
        raise DomainError(_("Choose a reason for declining."), field="code", status=422)
    rows = db.session.scalars(
        select(Submission).where(Submission.project_id == project.id, Submission.id.in_(ids))
    ).all()
    found = {row.id: row for row in rows}
    results: list[BulkResult] = []
    for submission_id in dict.fromkeys(ids):
        submission = found.get(submission_id)
        if submission is None:
            results.append(BulkResult(submission_id, False, _("Not a photo of this project.")))
            continue
        try:
            with db.session.begin_nested():
                if action == "approve":
                    approve_submission(submission, reviewer)
                else:
                    reject_submission(submission, reviewer, code or RejectionCode.OTHER, note)
        except DomainError as error:
            db.session.refresh(submission)
            results.append(BulkResult(submission_id, False, error.message))
        else:
            results.append(BulkResult(submission_id, True, _("Done.")))
    return results


def decline_remaining(project: Project, reviewer: User) -> int:
    """Decline every photo still pending once the target is reached; return how many."""
    require_reviewer(reviewer, project)
    if project.spots_left > 0:
        raise DomainError(_("The project still has spots left; review the photos instead."))
    pending = db.session.scalars(
        select(Submission.id).where(
            Submission.project_id == project.id,
            Submission.status == SubmissionStatus.PENDING_REVIEW,
        )
    ).all()
    results = bulk_review(project, reviewer, list(pending), "reject", RejectionCode.TARGET_REACHED)
    return sum(1 for r in results if r.ok)
