"""Second opinions on a sample of approvals: the earning is held until a check ends.

The owner sets the share of approvals (0–100 %) that a second, different reviewer checks.
A sampled approval's earning is created ``held``: no payout path takes it (``held`` is not
payable), and only :func:`trove.payouts.ledger.release_held` makes it payable, once the
second reviewer agrees or the owner settles a disagreement by approving. A disagreement
the owner settles by declining removes the earning with the approval. Every state move
of a check is a compare-and-set UPDATE, so two reviewers answering at once cannot both win.
Functions flush but never commit.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from trove.accounts.models import User
from trove.audit.service import record_event
from trove.errors import DomainError
from trove.extensions import db
from trove.i18n import in_locale_of
from trove.money import format_money
from trove.notifications.service import notify
from trove.payouts import ledger
from trove.payouts.models import Earning
from trove.projects import service as projects
from trove.projects.models import Capability, Project
from trove.review import rules, stats
from trove.review.models import PENDING_CHECK, CheckState, SecondOpinion
from trove.security import local_url
from trove.submissions.models import Submission
from trove.submissions.reasons import checked_reason
from trove.timeutil import utcnow


def sampled(project: Project) -> bool:
    """Return whether a new approval on ``project`` gets a second opinion (its set share)."""
    share = project.second_opinion_percent
    return share >= 100 or (share > 0 and secrets.randbelow(100) < share)


def hold(submission: Submission, reviewer: User) -> SecondOpinion:
    """Open the check that holds a new approval's earning until a second reviewer looks."""
    check = SecondOpinion(
        submission_id=submission.id,
        project_id=submission.project_id,
        first_reviewer_id=reviewer.id,
    )
    db.session.add(check)
    db.session.flush()
    record_event(
        reviewer,
        "second_opinion.requested",
        submission,
        project_id=submission.project_id,
        check=check.id,
        first_reviewer=reviewer.id,
    )
    return check


def pending_check(submission: Submission) -> SecondOpinion | None:
    """Return the check still holding ``submission``'s earning, read afresh (or None)."""
    return db.session.scalar(
        select(SecondOpinion)
        .where(
            SecondOpinion.submission_id == submission.id,
            SecondOpinion.state.in_(PENDING_CHECK),
        )
        .order_by(SecondOpinion.id.desc())
        .limit(1)
    )


def cancel(submission: Submission) -> None:
    """End an open check because its approval was undone (the earning goes with it)."""
    db.session.execute(
        update(SecondOpinion)
        .where(SecondOpinion.submission_id == submission.id, SecondOpinion.state == CheckState.OPEN)
        .values(state=CheckState.CANCELLED, resolved_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )


def why_not_second(user: Any, submission: Submission, check: SecondOpinion | None) -> str | None:
    """Return why ``user`` may not give the second opinion on ``submission`` (None: may)."""
    reason = rules.why_not_decide(user, submission)
    if reason is not None:
        return reason
    if check is None or check.state is not CheckState.OPEN:
        return _("This photo does not await a second opinion.")
    if check.first_reviewer_id == getattr(user, "id", None):
        return _("You approved this photo; a different reviewer gives the second opinion.")
    return None


def can_second(user: Any, submission: Submission) -> bool:
    """Return whether ``user`` may give the second opinion on ``submission`` now."""
    if not submission.is_approved:
        return False
    return why_not_second(user, submission, submission.final_check) is None  # type: ignore[attr-defined]


def claim(check: SecondOpinion, was: CheckState, new: CheckState, **values: Any) -> None:
    """Move a check from ``was`` to ``new`` atomically, or refuse (someone else was first)."""
    result = db.session.execute(
        update(SecondOpinion)
        .where(SecondOpinion.id == check.id, SecondOpinion.state == was)
        .values(state=new, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(check)
    if not result.rowcount:
        raise DomainError(_("Someone else answered this check at the same moment; reload it."))


def confirm(submission: Submission) -> None:
    """Release the held earning and tell the contributor it is payable."""
    if not ledger.release_held(submission.id):
        return  # given up with the contributor's account: nothing to release or announce
    earning = db.session.scalar(select(Earning).where(Earning.submission_id == submission.id))
    contributor = submission.contributor
    if contributor is not None and earning is not None:
        with in_locale_of(contributor):
            notify(
                contributor,
                "review",
                _(
                    "Your photo for “%(project)s” passed its final check. It earns %(amount)s.",
                    project=submission.project.title,
                    amount=format_money(earning.amount_minor, earning.currency),
                ),
                local_url("submissions.mine", _anchor=submission.dom_id),
            )


def give_second_opinion(
    submission: Submission,
    reviewer: User,
    agree: bool,
    code: str | None = None,
    note: str | None = None,
) -> SecondOpinion:
    """Confirm a sampled approval (its earning becomes payable) or dispute it (owner decides)."""
    check = pending_check(submission)
    reason = why_not_second(reviewer, submission, check)
    if reason is not None:
        raise DomainError(reason, status=403 if reason == rules.NOT_A_REVIEWER else 409)
    assert check is not None
    project = submission.project
    opinions = {"first_reviewer": check.first_reviewer_id, "second_reviewer": reviewer.id}
    if agree:
        claim(
            check,
            CheckState.OPEN,
            CheckState.AGREED,
            second_reviewer_id=reviewer.id,
            second_at=utcnow(),
        )
        confirm(submission)
        stats.count(project.id, check.first_reviewer_id, checked=1, agreed=1)
        stats.count(project.id, reviewer.id, decided=True)
        record_event(
            reviewer,
            "second_opinion.agreed",
            submission,
            project_id=project.id,
            check=check.id,
            **opinions,
        )
        return check
    code, note = checked_reason(submission.brief_version, code or "", note)
    claim(
        check,
        CheckState.OPEN,
        CheckState.DISPUTED,
        second_reviewer_id=reviewer.id,
        second_code=code,
        second_note=note,
        second_at=utcnow(),
    )
    stats.count(project.id, check.first_reviewer_id, checked=1)
    stats.count(project.id, reviewer.id, decided=True)
    record_event(
        reviewer,
        "second_opinion.disputed",
        submission,
        project_id=project.id,
        check=check.id,
        code=code,
        note=note,
        **opinions,
    )
    url = local_url("review.disagreements", project_id=project.id, _anchor=check.dom_id)
    for member in projects.team_holding(project, Capability.MANAGE):
        notify(
            member.user,
            "review",
            _l(
                "Two reviewers disagree on photo %(id)s of “%(project)s”. Decide it.",
                id=submission.id,
                project=project.title,
            ),
            url,
        )
    return check


def settle_share(project: Project, owner: User, second_percent: int, gold_percent: int) -> None:
    """Set the share of approvals that get a second opinion, and the share of gold in queues."""
    if not projects.can(owner, project, Capability.MANAGE):
        raise DomainError(_("Only the project's owner changes review checks."), status=403)
    if not 0 <= second_percent <= 100:
        raise DomainError(
            _("Give a share from 0 to 100 %."), field="second_opinion_percent", status=422
        )
    if not 0 <= gold_percent <= 50:
        raise DomainError(_("Give a share from 0 to 50 %."), field="gold_percent", status=422)
    project.second_opinion_percent = second_percent
    project.gold_percent = gold_percent
    db.session.flush()
    record_event(
        owner,
        "project.review_checks",
        project,
        project_id=project.id,
        second_opinion_percent=second_percent,
        gold_percent=gold_percent,
    )
