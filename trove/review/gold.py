"""Gold photos: decided photos with a known answer, mixed unmarked into reviewers' queues.

The owner marks a decided photo gold; its expected decision (and decline reason) is the
decision it has. At the project's set rate, a reviewer's page of pending photos carries
gold photos they have not answered yet, rendered like any pending photo. An answer on one
is scored and counted for the reviewer, and that is all: it never changes the photo, never
reserves the target or budget, and never creates an earning. Functions flush, never commit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from trove.accounts.models import User
from trove.audit.service import record_event
from trove.errors import DomainError
from trove.extensions import db
from trove.projects import service as projects
from trove.projects.models import Capability, Project
from trove.review import rules, stats
from trove.review.models import GoldAnswer, GoldPhoto
from trove.submissions.models import Submission, SubmissionStatus
from trove.submissions.reasons import checked_reason

DECIDED = (SubmissionStatus.APPROVED, SubmissionStatus.REJECTED)
_SALT = "trove.review.served"


def can_mark_gold(user: Any, submission: Submission) -> bool:
    """Return whether ``user`` may make ``submission`` a gold photo now."""
    if submission.status not in DECIDED or submission.is_unreadable:
        return False
    if not projects.can(user, submission.project, Capability.MANAGE):
        return False
    gold = getattr(submission, "gold", None)
    return (gold is None or not gold.active) and rules.can_decide(user, submission)


def mark_gold(submission: Submission, owner: User) -> GoldPhoto:
    """Make a decided photo gold, its decision the expected answer."""
    if not can_mark_gold(owner, submission):
        if not projects.can(owner, submission.project, Capability.MANAGE):
            raise DomainError(_("Only the project's owner chooses gold photos."), status=403)
        raise DomainError(_("Only a decided photo that is not gold yet can become gold."))
    gold = getattr(submission, "gold", None)
    if gold is None:
        gold = GoldPhoto(
            project_id=submission.project_id, submission_id=submission.id, created_by_id=owner.id
        )
        db.session.add(gold)
    gold.expected = submission.status.value
    gold.expected_code = submission.rejection_code
    gold.active = True
    db.session.flush()
    record_event(
        owner,
        "gold.marked",
        submission,
        project_id=submission.project_id,
        expected=gold.expected,
        code=gold.expected_code,
    )
    return gold


def unmark_gold(gold: GoldPhoto, owner: User) -> None:
    """Stop showing a gold photo to reviewers (its answers stay counted)."""
    if not projects.can(owner, gold.submission.project, Capability.MANAGE):
        raise DomainError(_("Only the project's owner chooses gold photos."), status=403)
    gold.active = False
    db.session.flush()
    record_event(owner, "gold.unmarked", gold.submission, project_id=gold.project_id)


def active_gold(project: Project, limit: int = 100) -> list[GoldPhoto]:
    """Return the project's gold photos in use, newest first."""
    return list(
        db.session.scalars(
            select(GoldPhoto)
            .where(GoldPhoto.project_id == project.id, GoldPhoto.active.is_(True))
            .options(selectinload(GoldPhoto.submission))
            .order_by(GoldPhoto.id.desc())
            .limit(limit)
        )
    )


def _unanswered(project: Project, reviewer: User, count: int) -> list[GoldPhoto]:
    """Return up to ``count`` gold photos ``reviewer`` may answer and has not (random order)."""
    if count <= 0:
        return []
    return list(
        db.session.scalars(
            select(GoldPhoto)
            .join(Submission, Submission.id == GoldPhoto.submission_id)
            .where(
                GoldPhoto.project_id == project.id,
                GoldPhoto.active.is_(True),
                Submission.status.in_(DECIDED),
                Submission.contributor_id.is_distinct_from(reviewer.id),
                Submission.reviewed_by_id.is_distinct_from(reviewer.id),
                ~exists().where(
                    GoldAnswer.gold_id == GoldPhoto.id, GoldAnswer.reviewer_id == reviewer.id
                ),
            )
            .options(selectinload(GoldPhoto.submission).selectinload(Submission.brief_version))
            .order_by(func.random())
            .limit(count)
        )
    )


@dataclass
class GoldItem:
    """A gold photo as served in a queue: looks pending until this reviewer answers."""

    gold: GoldPhoto
    ref: str
    answer: GoldAnswer | None = None

    @property
    def submission(self) -> Submission:
        """Return the photo behind the gold item."""
        return self.gold.submission

    @property
    def shown_status(self) -> SubmissionStatus:
        """Return the status the reviewer sees: pending, then their own answer."""
        if self.answer is None:
            return SubmissionStatus.PENDING_REVIEW
        return (
            SubmissionStatus.APPROVED
            if self.answer.decision == "approve"
            else SubmissionStatus.REJECTED
        )


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key or "", salt=_SALT)


def served(gold: GoldPhoto, answer: GoldAnswer | None = None) -> GoldItem:
    """Return a gold photo as a queue item, with the opaque reference its forms send back."""
    return GoldItem(gold, _serializer().dumps(gold.id), answer)


def mix_into(items: list[Any], project: Project, reviewer: User) -> list[Any]:
    """Return a page of pending photos with gold items at the project's rate, spread at random."""
    if not items or project.gold_percent <= 0:
        return items
    wanted = len(items) * project.gold_percent / 100
    count = int(wanted) + (random.random() < wanted - int(wanted))  # noqa: S311 - not secret
    golds = _unanswered(project, reviewer, count)
    mixed = list(items)
    for gold in golds:
        mixed.insert(random.randrange(len(mixed) + 1), served(gold))  # noqa: S311
    return mixed


def served_gold(ref: str, submission: Submission) -> GoldPhoto:
    """Return the gold photo an opaque queue reference names, checked against the photo."""
    try:
        gold_id = _serializer().loads(ref)
    except BadSignature:
        raise DomainError(_("This photo's form is out of date; reload the queue.")) from None
    gold = db.session.get(GoldPhoto, gold_id) if isinstance(gold_id, int) else None
    if gold is None or gold.submission_id != submission.id:
        raise DomainError(_("This photo's form is out of date; reload the queue."))
    return gold


def answer_gold(
    gold: GoldPhoto, reviewer: User, decision: str, code: str | None = None, note: str | None = None
) -> GoldAnswer:
    """Score a reviewer's answer on a gold photo; the photo and the money stay untouched."""
    submission = gold.submission
    reason = rules.why_not_decide(reviewer, submission)
    if reason is not None:
        raise DomainError(reason, status=403)
    if decision not in ("approve", "reject"):
        raise DomainError(_("Choose approve or decline."), status=422)
    if decision == "reject":
        code, note = checked_reason(submission.brief_version, code or "", note)
    else:
        code = None
    if gold.expected == SubmissionStatus.APPROVED.value:
        correct = decision == "approve"
    else:
        correct = decision == "reject" and gold.expected_code in (None, code)
    answer = GoldAnswer(
        gold_id=gold.id,
        project_id=gold.project_id,
        reviewer_id=reviewer.id,
        decision=decision,
        code=code,
        correct=correct,
    )
    try:
        with db.session.begin_nested():
            db.session.add(answer)
    except IntegrityError:
        raise DomainError(_("You already decided on this photo.")) from None
    stats.count(
        gold.project_id, reviewer.id, decided=True, gold_answered=1, gold_correct=int(correct)
    )
    record_event(
        reviewer,
        "gold.answered",
        submission,
        project_id=gold.project_id,
        decision=decision,
        code=code,
        correct=correct,
    )
    return answer


def served_in_zoom(ref: str | None, submission: Submission, reviewer: User) -> GoldItem | None:
    """Return the gold item a zoom link from the queue names (None: show the photo as it is)."""
    if not ref:
        return None
    try:
        gold = served_gold(ref, submission)
    except DomainError:
        return None
    answer = db.session.scalar(
        select(GoldAnswer).where(
            GoldAnswer.gold_id == gold.id, GoldAnswer.reviewer_id == reviewer.id
        )
    )
    return served(gold, answer)
