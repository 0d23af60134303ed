"""Disagreements between two reviewers, settled by the project's owner.

Apart from :mod:`trove.review.second` because a decline goes through the review service,
which itself asks that module about checks. Functions flush but never commit.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from trove.accounts.models import User
from trove.audit.service import record_event
from trove.errors import DomainError
from trove.extensions import db
from trove.projects import service as projects
from trove.projects.models import Capability, Project
from trove.review import rules, second, service
from trove.review.models import CheckState, SecondOpinion
from trove.submissions.reasons import checked_reason
from trove.timeutil import utcnow


def resolve_dispute(
    check: SecondOpinion,
    owner: User,
    approve: bool,
    code: str | None = None,
    note: str | None = None,
) -> None:
    """Settle a disagreement as the owner: approve (the earning is payable) or decline."""
    submission = check.submission
    project = submission.project
    if not projects.can(owner, project, Capability.MANAGE):
        raise DomainError(_("Only the project's owner settles disagreements."), status=403)
    reason = rules.why_not_decide(owner, submission)
    if reason is not None:
        raise DomainError(reason, status=403)
    if check.state is not CheckState.DISPUTED:
        raise DomainError(_("This disagreement is already settled."))
    if not approve:
        code, note = checked_reason(submission.brief_version, code or "", note)
    second.claim(
        check,
        CheckState.DISPUTED,
        CheckState.RESOLVED,
        resolved_by_id=owner.id,
        resolved_at=utcnow(),
        outcome="approved" if approve else "rejected",
    )
    if approve:
        second.confirm(submission)
    else:
        service.reject_submission(submission, owner, code or "", note)
    record_event(
        owner,
        "second_opinion.resolved",
        submission,
        project_id=project.id,
        check=check.id,
        outcome=check.outcome,
        first_reviewer=check.first_reviewer_id,
        first_decision="approved",
        second_reviewer=check.second_reviewer_id,
        second_decision="rejected",
        second_code=check.second_code,
        second_note=check.second_note,
        code=code if not approve else None,
    )


def disputes(project: Project, limit: int = 50) -> list[SecondOpinion]:
    """Return the project's unsettled disagreements, oldest first (one indexed query)."""
    return list(
        db.session.scalars(
            select(SecondOpinion)
            .where(
                SecondOpinion.project_id == project.id, SecondOpinion.state == CheckState.DISPUTED
            )
            .order_by(SecondOpinion.id)
            .limit(limit)
        )
    )
