"""Review rules: approve, reject, undo, bulk, appeals; each approval earns exactly once.

Functions flush but never commit. State changes are compare-and-set UPDATEs, so two
reviewers clicking at once cannot approve a photo twice; the unique earning per
submission is the database's backstop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from trove.accounts.models import User
from trove.audit.service import record_event
from trove.blur import Box, boxes_from_json, boxes_to_json
from trove.errors import DomainError
from trove.extensions import db
from trove.i18n import in_locale_of
from trove.money import format_money
from trove.notifications.service import notify, retract_unread
from trove.payouts.models import Earning, EarningStatus
from trove.projects import service as projects
from trove.projects.models import Capability, Project
from trove.review import rules, second, stats
from trove.review.models import Appeal
from trove.security import local_url
from trove.submissions import spots
from trove.submissions.jobs import settle_blur_after_decision
from trove.submissions.models import Submission, SubmissionStatus
from trove.submissions.reasons import STANDARD_REVIEW_REASONS, checked_reason, review_reasons
from trove.timeutil import utcnow

#: The standard reasons a reviewer may pick; each photo adds its brief's own rules.
REVIEW_REASONS = STANDARD_REVIEW_REASONS
APPEAL_MAX = 1000


def require_reviewer(user: User, project: Project) -> None:
    """Refuse anyone who may not review ``project``'s photos (403)."""
    if not projects.can(user, project, Capability.REVIEW):
        raise DomainError(str(rules.NOT_A_REVIEWER), status=403)


def _require_decider(user: User, submission: Submission) -> None:
    reason = rules.why_not_decide(user, submission)
    if reason is not None:
        raise DomainError(reason, status=403)


def _earning(submission: Submission) -> Earning | None:
    return db.session.scalar(select(Earning).where(Earning.submission_id == submission.id))


def _check_not_paid(submission: Submission) -> None:
    earning = _earning(submission)
    if earning is not None and earning.status.locked:
        raise DomainError(_("This photo has been paid (or is being paid); its approval is locked."))


def _move(
    submission: Submission,
    allowed: tuple[SubmissionStatus, ...],
    new: SubmissionStatus,
    reviewer: User | None,
    **values: Any,
) -> bool:
    """Change status if it is still the one read and one of ``allowed`` (atomic); say if so."""
    was = submission.status
    if was not in allowed:
        return False
    return spots.move_status(
        submission,
        was,
        new,
        reviewed_at=utcnow(),
        reviewed_by_id=reviewer.id if reviewer else None,
        **values,
    )


def _notice_url(submission: Submission) -> str:
    return local_url("submissions.mine", _anchor=submission.dom_id)


def _tell_contributor(submission: Submission, compose: Callable[[], str]) -> None:
    """Notify the contributor, ``compose`` writing the text in their language (not ours)."""
    contributor = submission.contributor
    if contributor is None:
        return
    with in_locale_of(contributor):
        notify(contributor, "review", compose(), _notice_url(submission))


def _retract_decision_notice(submission: Submission) -> bool:
    """Take back the contributor's unread notice of a decision now undone; return if one was."""
    if submission.contributor is None:
        return True
    return retract_unread(submission.contributor, "review", _notice_url(submission)) > 0


def approve_submission(submission: Submission, reviewer: User) -> Earning:
    """Approve a photo: count it against target and budget and create its one earning."""
    project = submission.project
    _require_decider(reviewer, submission)
    if submission.status is SubmissionStatus.APPROVED:
        raise DomainError(_("This photo is already approved."))
    if submission.status not in (SubmissionStatus.PENDING_REVIEW, SubmissionStatus.REJECTED):
        raise DomainError(
            _(
                "A photo that is %(status)s cannot be approved.",
                status=submission.status.label.lower(),
            )
        )
    version = submission.brief_version
    amount = version.pay_minor
    if not projects.reserve_approval(project, amount):
        if project.spots_left <= 0:
            raise DomainError(
                ngettext(
                    "The project has reached its target of %(num)d photo; no more can be approved.",
                    "The project has reached its target of %(num)d photos; "
                    "no more can be approved.",
                    project.target_count,
                )
            )
        raise DomainError(_("Approving this photo would go over the project's budget."))
    was = submission.status
    declined_by = submission.reviewed_by_id if was is SubmissionStatus.REJECTED else None
    overturns_appeal = submission.has_open_appeal
    if not _move(
        submission,
        (SubmissionStatus.PENDING_REVIEW, SubmissionStatus.REJECTED),
        SubmissionStatus.APPROVED,
        reviewer,
        rejection_code=None,
        rejection_note=None,
    ):
        projects.release_approval(project, amount)
        raise DomainError(_("Someone else decided on this photo at the same moment; reload it."))
    held = second.sampled(project)
    earning = Earning(
        submission_id=submission.id,
        project_id=project.id,
        contributor_id=submission.contributor_id,
        brief_version_id=version.id,
        amount_minor=amount,
        currency=version.currency,
        # Held from its first moment: no payout path can take it before the check ends.
        status=EarningStatus.HELD if held else EarningStatus.UNPAID,
    )
    try:
        with db.session.begin_nested():
            db.session.add(earning)
    except IntegrityError:
        raise DomainError(_("This photo already has an earning.")) from None
    record_event(
        reviewer,
        "submission.approved",
        submission,
        project_id=project.id,
        previous=was.value,
        amount=amount,
        currency=version.currency,
        held=held,
    )
    stats.count(project.id, reviewer.id, decided=True)
    if overturns_appeal:
        stats.count(project.id, declined_by, appeals_overturned=1)
    if held:
        second.hold(submission, reviewer)
        _tell_contributor(
            submission,
            lambda: _(
                "Your photo for “%(project)s” was approved and is in a final check by a "
                "second reviewer. Once it passes, it earns %(amount)s.",
                project=project.title,
                amount=_money(amount, version.currency),
            ),
        )
    else:
        _tell_contributor(
            submission,
            lambda: _(
                "Your photo for “%(project)s” was approved. It earns %(amount)s.",
                project=project.title,
                amount=_money(amount, version.currency),
            ),
        )
    resolve_appeal_on_decision(submission, reviewer)
    settle_blur_after_decision(submission)
    projects.close_if_target_reached(project)
    return earning


def reject_submission(
    submission: Submission, reviewer: User, code: str, note: str | None = None
) -> None:
    """Decline a photo with a reason (and undo its approval if it was approved, unpaid)."""
    project = submission.project
    _require_decider(reviewer, submission)
    code, note = checked_reason(submission.brief_version, code, note)
    was = submission.status
    if was is SubmissionStatus.APPROVED:
        _unapprove(submission, reviewer)
    elif was is SubmissionStatus.REJECTED:
        raise DomainError(_("This photo is already declined."))
    if not _move(
        submission,
        (SubmissionStatus.PENDING_REVIEW,),
        SubmissionStatus.REJECTED,
        reviewer,
        rejection_code=code,
        rejection_note=note,
    ):
        raise DomainError(_("This photo cannot be declined now."))
    record_event(
        reviewer,
        "submission.rejected",
        submission,
        project_id=project.id,
        previous=was.value,
        code=code,
    )
    stats.count(project.id, reviewer.id, decided=True)
    appealed = getattr(submission, "appeal", None) is not None
    resolve_appeal_on_decision(submission, reviewer)
    settle_blur_after_decision(submission)
    _tell_contributor(
        submission,
        lambda: " ".join(
            part
            for part in (
                _(
                    "Your photo for “%(project)s” was declined: %(reason)s",
                    project=project.title,
                    reason=review_reasons(submission.brief_version)[code],
                ),
                _note(note),
                # An appeal is allowed once: someone who already appealed is not invited again.
                None if appealed else _("You can appeal once from My photos."),
            )
            if part
        ),
    )


def keep_declined(submission: Submission, reviewer: User, code: str, note: str | None) -> None:
    """Answer an appeal by keeping the photo declined, with a reason for the contributor."""
    project = submission.project
    _require_decider(reviewer, submission)
    if not submission.keepable_declined:
        raise DomainError(_("Only a declined photo with an open appeal can be kept declined."))
    code, note = checked_reason(submission.brief_version, code, note)
    submission.rejection_code = code
    submission.rejection_note = note
    submission.reviewed_at = utcnow()
    submission.reviewed_by_id = reviewer.id
    resolve_appeal_on_decision(submission, reviewer)
    db.session.flush()
    record_event(
        reviewer, "submission.appeal_declined", submission, project_id=project.id, code=code
    )
    stats.count(project.id, reviewer.id, decided=True)
    _tell_contributor(
        submission,
        lambda: " ".join(
            part
            for part in (
                _(
                    "A reviewer looked again at your photo for “%(project)s”, as you asked. "
                    "It stays declined: %(reason)s",
                    project=project.title,
                    reason=review_reasons(submission.brief_version)[code],
                ),
                _note(note),
            )
            if part
        ),
    )


def _note(note: str | None) -> str | None:
    """Return the reviewer's note as the contributor's notice quotes it (None: no note)."""
    return _("Note from the reviewer: %(note)s", note=note) if note else None


def _unapprove(submission: Submission, reviewer: User) -> bool:
    """Take an unpaid approval back; return whether its notice was still unread (retracted)."""
    _check_not_paid(submission)
    reason = rules.why_not_change(reviewer, second.pending_check(submission))
    if reason is not None:
        raise DomainError(reason, status=409)
    earning = _earning(submission)
    if not _move(
        submission, (SubmissionStatus.APPROVED,), SubmissionStatus.PENDING_REVIEW, reviewer
    ):
        raise DomainError(_("This photo is no longer approved."))
    amount = earning.amount_minor if earning else submission.brief_version.pay_minor
    db.session.execute(delete(Earning).where(Earning.submission_id == submission.id))
    second.cancel(submission)
    projects.release_approval(submission.project, amount)
    record_event(reviewer, "submission.unapproved", submission, project_id=submission.project_id)
    return _retract_decision_notice(submission)


def reset_submission(submission: Submission, reviewer: User) -> None:
    """Undo a decision: the photo goes back to pending review (not once it is paid)."""
    _require_decider(reviewer, submission)
    title = submission.project.title
    if submission.status is SubmissionStatus.APPROVED:
        if not _unapprove(submission, reviewer):
            # They read "it earns …": say plainly that this is no longer so.
            _tell_contributor(
                submission,
                lambda: _(
                    "Correction: the approval of your photo for “%(project)s” was undone. "
                    "It is back in review and earns nothing for now.",
                    project=title,
                ),
            )
    elif submission.status is SubmissionStatus.REJECTED:
        if submission.is_unreadable:
            raise DomainError(_("A file that could not be read cannot be reviewed."))
        _move(
            submission,
            (SubmissionStatus.REJECTED,),
            SubmissionStatus.PENDING_REVIEW,
            reviewer,
            rejection_code=None,
            rejection_note=None,
        )
        record_event(reviewer, "submission.reset", submission, project_id=submission.project_id)
        if not _retract_decision_notice(submission):
            _tell_contributor(
                submission,
                lambda: _(
                    "Your photo for “%(project)s” is back in review: it is not declined.",
                    project=title,
                ),
            )
    else:
        raise DomainError(_("Only a decided photo can be undone."))


def set_blur_boxes(submission: Submission, reviewer: User, boxes: list[Box]) -> None:
    """Replace the blur boxes of a photo awaiting review; its decision applies them.

    A box already blurred into the stored file can be removed only while the unblurred
    copy is kept (until the photo is first decided): after that, nothing can unblur it.
    """
    _require_decider(reviewer, submission)
    if not rules.can_edit_blur(reviewer, submission):
        raise DomainError(_("Blur boxes can be changed only while the photo awaits review."))
    if submission.unblurred_name is None and any(
        applied not in boxes for applied in boxes_from_json(submission.blur_applied)
    ):
        raise DomainError(
            _("An area blurred when the photo was first decided cannot be unblurred."),
            status=409,
        )
    submission.blur_boxes = boxes_to_json(boxes)
    db.session.flush()
    record_event(
        reviewer,
        "submission.blur_boxes",
        submission,
        project_id=submission.project_id,
        boxes=len(boxes),
    )


def appeal_rejection(submission: Submission, contributor: User, message: str) -> Appeal:
    """Ask once for a declined photo to be looked at again."""
    if submission.contributor_id != contributor.id:
        raise DomainError(_("You can only appeal your own photos."), status=403)
    if not submission.declined_by_reviewer:
        raise DomainError(_("Only a photo declined by a reviewer can be appealed."))
    if getattr(submission, "appeal", None) is not None:
        raise DomainError(_("You have already appealed this decision."))
    message = message.strip()
    if not message:
        raise DomainError(
            _("Say briefly why the photo fits the brief."), field="message", status=422
        )
    if len(message) > APPEAL_MAX:
        raise DomainError(
            _("Keep it under %(num)s characters.", num=format_number(APPEAL_MAX)),
            field="message",
            status=422,
        )
    appeal = Appeal(submission_id=submission.id, message=message)
    db.session.add(appeal)
    db.session.flush()
    db.session.refresh(submission)
    record_event(contributor, "submission.appealed", submission, project_id=submission.project_id)
    return appeal


def resolve_appeal_on_decision(submission: Submission, reviewer: User) -> None:
    """Mark an open appeal as resolved when a reviewer decides on the photo again."""
    appeal = getattr(submission, "appeal", None)
    if appeal is not None and appeal.resolved_at is None:
        appeal.resolved_at = utcnow()
        appeal.resolved_by_id = reviewer.id
        appeal.outcome = submission.status.value


def _money(amount: int, currency: str) -> str:
    return format_money(amount, currency)
