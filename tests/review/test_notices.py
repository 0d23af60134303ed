"""What a contributor is told as reviewers decide, undo and answer appeals."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import login
from tests.factories import add_team_member, make_project, make_submission
from trove.extensions import db
from trove.notifications.models import Notification
from trove.notifications.service import mark_all_read
from trove.review import service
from trove.submissions.models import SubmissionStatus

HX = {"HX-Request": "true"}


def _notices(user) -> list[str]:
    return list(
        db.session.scalars(
            select(Notification.text)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id)
        )
    )


@pytest.fixture
def photo(app_ctx):
    project = make_project(title="Door handles", pay_minor=250)
    reviewer = add_team_member(project, "reviewer")
    return make_submission(project), reviewer


def test_approve_undo_approve_tells_the_contributor_once(photo):
    submission, reviewer = photo
    service.approve_submission(submission, reviewer)
    service.reset_submission(submission, reviewer)
    service.approve_submission(submission, reviewer)
    db.session.commit()
    earns = [t for t in _notices(submission.contributor) if "earns" in t]
    assert earns == ["Your photo for “Door handles” was approved. It earns $2.50."]


def test_undoing_an_approval_already_read_sends_a_correction(photo):
    submission, reviewer = photo
    service.approve_submission(submission, reviewer)
    mark_all_read(submission.contributor)
    service.reset_submission(submission, reviewer)
    db.session.commit()
    notices = _notices(submission.contributor)
    assert len(notices) == 2 and notices[1].startswith("Correction: the approval")


def test_keep_declined_answers_the_appeal_without_offering_another(photo):
    submission, reviewer = photo
    service.reject_submission(submission, reviewer, "too_dark")
    service.appeal_rejection(submission, submission.contributor, "It was daylight.")
    service.keep_declined(submission, reviewer, "blurry", "Still shaky")
    db.session.commit()
    assert submission.status is SubmissionStatus.REJECTED
    assert (submission.rejection_code, submission.rejection_note) == ("blurry", "Still shaky")
    assert submission.appeal.resolved_at is not None and submission.appeal.outcome == "rejected"
    last = _notices(submission.contributor)[-1]
    assert "stays declined" in last and "Still shaky" in last and "appeal" not in last.lower()
    with pytest.raises(service.DomainError):
        service.keep_declined(submission, reviewer, "blurry", None)  # appeal now resolved


def test_declining_again_after_an_appeal_does_not_offer_another_appeal(photo):
    submission, reviewer = photo
    service.reject_submission(submission, reviewer, "too_dark")
    service.appeal_rejection(submission, submission.contributor, "It was daylight.")
    service.reset_submission(submission, reviewer)
    service.reject_submission(submission, reviewer, "too_dark")
    db.session.commit()
    assert "appeal" not in _notices(submission.contributor)[-1].lower()


def test_keep_declined_over_htmx_and_its_form_on_the_card(app, client):
    with app.app_context():
        project = make_project()
        reviewer = add_team_member(project, "reviewer")
        submission = make_submission(project)
        service.reject_submission(submission, reviewer, "too_dark")
        service.appeal_rejection(submission, submission.contributor, "Look again")
        db.session.commit()
        sid, email, pid = submission.id, reviewer.email, project.id
    login(client, email)
    card = client.get(f"/projects/{pid}/review?status=appealed").data
    assert b"Keep declined" in card
    bad = client.post(f"/submissions/{sid}/keep-declined", data={"code": "x"}, headers=HX)
    assert bad.status_code == 422 and b"Choose a reason" in bad.data
    ok = client.post(f"/submissions/{sid}/keep-declined", data={"code": "too_dark"}, headers=HX)
    assert ok.status_code == 200 and b"Keep declined" not in ok.data
