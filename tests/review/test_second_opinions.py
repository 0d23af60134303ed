"""Second opinions on a sample of approvals: held earnings, agreement, disputes, the owner."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from tests.factories import add_team_member, make_processed_submission, make_project
from tests.races import Attempt, race
from trove.audit.models import AuditEvent
from trove.errors import DomainError
from trove.extensions import db
from trove.notifications.models import Notification
from trove.payouts.models import Earning, EarningStatus
from trove.review import disputes, rules, second, service
from trove.review.models import CheckState, ReviewerStat, SecondOpinion
from trove.submissions.models import SubmissionStatus


@pytest.fixture
def team(app_ctx):
    """A project checking every approval, its owner, two reviewers and one pending photo."""
    project = make_project(per_contributor_limit=None)
    project.second_opinion_percent = 100
    owner = project.members[0].user
    first = add_team_member(project, "reviewer")
    other = add_team_member(project, "reviewer")
    photo = make_processed_submission(project)
    return project, owner, first, other, photo


def _earning(photo) -> Earning | None:
    return db.session.scalar(select(Earning).where(Earning.submission_id == photo.id))


def _actions(photo) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.target_type == "submission", AuditEvent.target_id == photo.id)
            .order_by(AuditEvent.id)
        )
    )


def _stat(project, user) -> ReviewerStat:
    return db.session.get(ReviewerStat, (project.id, user.id))


def _last_notice(user) -> str:
    return db.session.scalar(
        select(Notification.text)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id.desc())
        .limit(1)
    )


def test_without_a_share_set_approvals_are_payable_at_once(app_ctx):
    project = make_project()
    photo = make_processed_submission(project)
    service.approve_submission(photo, project.members[0].user)
    assert _earning(photo).status is EarningStatus.UNPAID
    assert db.session.scalar(select(func.count()).select_from(SecondOpinion)) == 0


def test_a_sampled_approval_is_held_and_the_contributor_sees_a_final_check(team):
    project, owner, first, other, photo = team
    service.approve_submission(photo, first)
    assert _earning(photo).status is EarningStatus.HELD
    assert _earning(photo).status.label == "In final check"
    check = second.pending_check(photo)
    assert (check.state, check.first_reviewer_id) == (CheckState.OPEN, first.id)
    assert "final check" in _last_notice(photo.contributor)
    # Target and budget are reserved as for any approval.
    assert (project.approved_count, project.spent_minor) == (1, 150)


def test_a_second_different_reviewer_confirms_and_the_earning_becomes_payable(team):
    project, owner, first, other, photo = team
    service.approve_submission(photo, first)
    for refused in (first, photo.contributor):
        with pytest.raises(DomainError):
            second.give_second_opinion(photo, refused, agree=True)
    second.give_second_opinion(photo, other, agree=True)
    assert _earning(photo).status is EarningStatus.UNPAID
    assert second.pending_check(photo) is None
    assert "passed its final check" in _last_notice(photo.contributor)
    assert _actions(photo) == [
        "submission.approved",
        "second_opinion.requested",
        "second_opinion.agreed",
    ]
    stat = _stat(project, first)
    assert (stat.checked, stat.agreed) == (1, 1)
    with pytest.raises(DomainError, match="does not await"):
        second.give_second_opinion(photo, other, agree=False, code="blurry")


def test_a_disagreement_holds_the_earning_until_the_owner_declines(team):
    project, owner, first, other, photo = team
    service.approve_submission(photo, first)
    second.give_second_opinion(photo, other, agree=False, code="blurry", note="Shaky")
    check = db.session.scalar(select(SecondOpinion))
    assert check.state is CheckState.DISPUTED and check.second_code == "blurry"
    assert _earning(photo).status is EarningStatus.HELD
    assert "disagree" in _last_notice(owner)
    # Nobody settles it through the ordinary buttons, not even the first reviewer.
    for reviewer in (first, other):
        assert not rules.can_undo(reviewer, photo) and not rules.can_decline(reviewer, photo)
        with pytest.raises(DomainError, match="owner decides"):
            service.reset_submission(photo, reviewer)
        with pytest.raises(DomainError, match="owner decides"):
            service.reject_submission(photo, reviewer, "blurry")
    # Only the owner settles it.
    with pytest.raises(DomainError) as refused:
        disputes.resolve_dispute(check, other, approve=True)
    assert refused.value.status == 403
    disputes.resolve_dispute(check, owner, approve=False, code="blurry", note="Shaky")
    assert photo.status is SubmissionStatus.REJECTED and photo.rejection_code == "blurry"
    assert _earning(photo) is None
    assert (project.approved_count, project.spent_minor) == (0, 0)
    assert check.state is CheckState.RESOLVED and check.outcome == "rejected"
    assert "declined" in _last_notice(photo.contributor)
    resolved = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "second_opinion.resolved")
    )
    assert resolved.actor_id == owner.id
    assert resolved.data["first_reviewer"] == first.id
    assert resolved.data["first_decision"] == "approved"
    assert resolved.data["second_reviewer"] == other.id
    assert resolved.data["second_decision"] == "rejected"
    assert resolved.data["second_code"] == "blurry"
    assert resolved.data["outcome"] == "rejected"
    with pytest.raises(DomainError, match="already settled"):
        disputes.resolve_dispute(check, owner, approve=True)


def test_the_owner_may_side_with_the_approval_and_the_earning_is_released(team):
    project, owner, first, other, photo = team
    service.approve_submission(photo, first)
    second.give_second_opinion(photo, other, agree=False, code="person")
    check = second.pending_check(photo)
    disputes.resolve_dispute(check, owner, approve=True)
    assert photo.status is SubmissionStatus.APPROVED
    assert _earning(photo).status is EarningStatus.UNPAID
    assert check.outcome == "approved"
    stat = _stat(project, first)
    assert (stat.checked, stat.agreed) == (1, 0)


def test_the_first_reviewer_may_take_back_a_slip_while_the_check_is_open(team):
    project, owner, first, other, photo = team
    service.approve_submission(photo, first)
    assert not rules.can_undo(other, photo)
    with pytest.raises(DomainError, match="second opinion"):
        service.reset_submission(photo, other)
    assert rules.can_undo(first, photo)
    service.reset_submission(photo, first)
    assert photo.status is SubmissionStatus.PENDING_REVIEW and _earning(photo) is None
    assert db.session.scalar(select(SecondOpinion.state)) is CheckState.CANCELLED
    with pytest.raises(DomainError):
        second.give_second_opinion(photo, other, agree=True)


def test_a_disagreement_needs_a_reason_from_the_list(team):
    project, owner, first, other, photo = team
    service.approve_submission(photo, first)
    with pytest.raises(DomainError, match="Choose a reason") as refused:
        second.give_second_opinion(photo, other, agree=False, code="nonsense")
    assert refused.value.status == 422


@pytest.mark.parametrize(
    ("share", "gold", "field"), [(101, 0, "second"), (10, 51, "gold"), (-1, 0, "second")]
)
def test_only_owners_set_the_shares_within_bounds(team, share, gold, field):
    project, owner, first, *_ = team
    with pytest.raises(DomainError) as refused:
        second.settle_share(project, owner, share, gold)
    assert refused.value.field.startswith(field)
    with pytest.raises(DomainError):
        second.settle_share(project, first, 10, 10)
    second.settle_share(project, owner, 25, 10)
    assert (project.second_opinion_percent, project.gold_percent) == (25, 10)


def test_two_second_opinions_at_once_one_wins_and_the_earning_moves_once(make_app):
    app = make_app()
    with app.app_context():
        project = make_project(per_contributor_limit=None)
        project.second_opinion_percent = 100
        first = add_team_member(project, "reviewer")
        others = [add_team_member(project, "reviewer").id for _ in range(2)]
        photo = make_processed_submission(project)
        service.approve_submission(photo, first)
        db.session.commit()
        photo_id = photo.id

    def answer(reviewer_id: int, agree: bool) -> Attempt:
        def attempt(ready: Callable[[], None]) -> str:
            from trove.accounts.models import User
            from trove.submissions.models import Submission

            submission = db.session.get(Submission, photo_id)
            reviewer = db.session.get(User, reviewer_id)
            ready()
            second.give_second_opinion(submission, reviewer, agree, "blurry")
            return "agreed" if agree else "disputed"

        return attempt

    outcomes = race(app, answer(others[0], True), answer(others[1], False))
    assert len([o for o in outcomes if o in ("agreed", "disputed")]) == 1
    with app.app_context():
        check = db.session.scalar(select(SecondOpinion))
        earning = db.session.scalar(select(Earning))
        if "agreed" in outcomes:
            assert (check.state, earning.status) == (CheckState.AGREED, EarningStatus.UNPAID)
        else:
            assert (check.state, earning.status) == (CheckState.DISPUTED, EarningStatus.HELD)
        assert (
            db.session.scalar(
                select(func.count()).select_from(ReviewerStat).where(ReviewerStat.checked > 0)
            )
            == 1
        )
