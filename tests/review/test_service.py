"""Review rules without HTTP: one earning per approval, limits, locks, undo, bulk, appeals."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from tests.factories import (
    add_team_member,
    make_project,
    make_submission,
    make_user,
    recounted_statuses,
)
from tests.races import race
from trove.accounts.models import Role
from trove.errors import DomainError
from trove.extensions import db
from trove.payouts.models import Earning, EarningStatus
from trove.projects.models import Project, ProjectStatus
from trove.review import bulk, service
from trove.submissions.models import Submission, SubmissionStatus
from trove.submissions.spots import status_counts


def _earnings() -> int:
    return db.session.scalar(select(func.count()).select_from(Earning))


def test_approve_creates_one_earning_from_the_agreed_version(app_ctx):
    project = make_project(pay_minor=150, currency="GBP")
    sub = make_submission(project)
    owner = project.members[0].user
    # The brief's pay changes after the contributor agreed: the agreed version pays.
    from trove.projects import service as projects

    projects.save_brief(project, owner, 4, {"pay_minor": 300})
    earning = service.approve_submission(sub, owner)
    assert (earning.amount_minor, earning.currency) == (150, "GBP")
    assert sub.status is SubmissionStatus.APPROVED
    assert (project.approved_count, project.spent_minor) == (1, 150)
    with pytest.raises(DomainError, match="already approved"):
        service.approve_submission(sub, owner)
    assert _earnings() == 1


def test_only_reviewers_review(app_ctx):
    project = make_project()
    sub = make_submission(project)
    for user in (
        add_team_member(project, "viewer"),
        add_team_member(project, "finance"),
        make_user(Role.LAB_MEMBER),
        sub.contributor,
    ):
        with pytest.raises(DomainError):
            service.approve_submission(sub, user)
    service.approve_submission(sub, add_team_member(project, "reviewer"))


def test_target_limit_and_closing(app_ctx):
    project = make_project(target_count=2)
    subs = [make_submission(project) for _ in range(2)]
    owner = project.members[0].user
    service.approve_submission(subs[0], owner)
    # Target 2 with one approval: a third upload is not possible, but a pending one is.
    service.approve_submission(subs[1], owner)
    assert project.status is ProjectStatus.CLOSED and project.close_reason == "Target reached"
    service.reset_submission(subs[1], owner)
    assert project.approved_count == 1
    extra = Submission(  # a photo that arrived before the close
        project_id=project.id,
        contributor_id=make_user().id,
        upload_format="jpeg",
        upload_size=1,
        upload_sha256="1" * 64,
        status=SubmissionStatus.PENDING_REVIEW,
        brief_version_id=project.current_version_id,
        licence_hash="x" * 64,
    )
    db.session.add(extra)
    db.session.flush()
    service.approve_submission(subs[1], owner)
    with pytest.raises(DomainError, match="reached its target"):
        service.approve_submission(extra, owner)
    assert bulk.decline_remaining(project, owner) == 1
    assert extra.status is SubmissionStatus.REJECTED and extra.rejection_code == "target_reached"


def test_budget_limit(app_ctx):
    project = make_project(target_count=3, pay_minor=100)
    subs = [make_submission(project) for _ in range(2)]
    project.spent_minor = 150  # e.g. spent by earlier, pricier versions
    owner = project.members[0].user
    service.approve_submission(subs[0], owner)
    with pytest.raises(DomainError, match="budget"):
        service.approve_submission(subs[1], owner)


def test_reject_needs_reason_and_can_reverse_an_unpaid_approval(app_ctx):
    project = make_project()
    sub = make_submission(project)
    owner = project.members[0].user
    with pytest.raises(DomainError, match="reason"):
        service.reject_submission(sub, owner, "made-up")
    with pytest.raises(DomainError, match="note"):
        service.reject_submission(sub, owner, "other")
    service.approve_submission(sub, owner)
    service.reject_submission(sub, owner, "blurry", "Out of focus")
    assert sub.status is SubmissionStatus.REJECTED and _earnings() == 0
    assert project.approved_count == 0 and project.spent_minor == 0
    service.approve_submission(sub, owner)  # approving a declined photo is allowed
    assert _earnings() == 1


def test_approval_locks_after_payout(app_ctx):
    project = make_project()
    sub = make_submission(project)
    owner = project.members[0].user
    earning = service.approve_submission(sub, owner)
    earning.status = EarningStatus.PAID
    for attempt in (
        lambda: service.reset_submission(sub, owner),
        lambda: service.reject_submission(sub, owner, "blurry"),
    ):
        with pytest.raises(DomainError, match="locked"):
            attempt()
    assert sub.status is SubmissionStatus.APPROVED


def test_bulk_reports_each_failure(app_ctx):
    project = make_project(target_count=2)
    subs = [make_submission(project) for _ in range(2)]
    owner = project.members[0].user
    service.approve_submission(subs[0], owner)
    other_project_sub = make_submission(make_project())
    results = bulk.bulk_review(
        project, owner, [subs[0].id, subs[1].id, other_project_sub.id], "approve"
    )
    assert [r.ok for r in results] == [False, True, False]
    assert "already approved" in results[0].message
    assert "Not a photo of this project" in results[2].message
    assert _earnings() == 2


def test_appeal_once(app_ctx):
    project = make_project()
    sub = make_submission(project)
    owner = project.members[0].user
    with pytest.raises(DomainError):
        service.appeal_rejection(sub, sub.contributor, "Please")
    service.reject_submission(sub, owner, "too_dark")
    with pytest.raises(DomainError, match="own photos"):
        service.appeal_rejection(sub, make_user(), "Mine!")
    appeal = service.appeal_rejection(sub, sub.contributor, "It is bright enough.")
    with pytest.raises(DomainError, match="already appealed"):
        service.appeal_rejection(sub, sub.contributor, "Again")
    service.approve_submission(sub, owner)
    assert appeal.resolved_at is not None and appeal.outcome == "approved"


def test_decisions_notify_the_contributor(app_ctx):
    from trove.notifications.models import Notification

    project = make_project()
    sub = make_submission(project)
    service.reject_submission(sub, project.members[0].user, "blurry", "Hold it steady")
    text = db.session.scalar(
        select(Notification.text).where(Notification.user_id == sub.contributor_id)
    )
    assert "declined" in text and "Hold it steady" in text


def test_concurrent_approvals_create_one_earning(make_app, tmp_path):
    app = make_app()
    with app.app_context():
        project = make_project()
        sub = make_submission(project)
        owner_id = project.members[0].user_id
        sub_id = sub.id
        project_id = project.id

    def approve(ready: Callable[[], None]) -> str:
        from trove.accounts.models import User

        submission = db.session.get(Submission, sub_id)
        owner = db.session.get(User, owner_id)
        ready()
        service.approve_submission(submission, owner)
        return "ok"

    outcomes = race(app, approve, approve)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Earning)) == 1
        assert db.session.get(Project, project_id).approved_count == 1
        assert status_counts(project_id) == recounted_statuses(project_id)
    assert outcomes.count("ok") == 1


def test_status_counters_stay_exact_under_racing_decisions_and_withdrawals(make_app):
    """Reviewers approve, decline and undo while the contributor withdraws, all at once."""
    from trove.accounts.models import User
    from trove.consent.service import request_withdrawal

    app = make_app()
    with app.app_context():
        project = make_project(target_count=100)
        contributor = make_user(email="sam@example.org")
        ids = [make_submission(project, contributor).id for _ in range(8)]
        project_id, owner_id, contributor_id = (
            project.id,
            project.members[0].user_id,
            contributor.id,
        )
    barrier = threading.Barrier(4)
    errors: list[str] = []

    def act(work) -> None:
        with app.app_context():
            owner = db.session.get(User, owner_id)
            barrier.wait()
            for submission_id in ids:
                submission = db.session.get(Submission, submission_id)
                try:
                    work(submission, owner)
                    db.session.commit()
                except DomainError:
                    db.session.rollback()
                except Exception as error:  # a lock refused (SQLite) or a deadlock victim
                    db.session.rollback()
                    errors.append(type(error).__name__)
            db.session.remove()

    def withdraw(submission, owner) -> None:
        if submission.id % 2:
            request_withdrawal([submission], db.session.get(User, contributor_id))

    works = [
        lambda s, owner: service.approve_submission(s, owner),
        lambda s, owner: service.reject_submission(s, owner, "blurry", None),
        lambda s, owner: service.reset_submission(s, owner),
        withdraw,
    ]
    threads = [threading.Thread(target=act, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        counts = recounted_statuses(project_id)
        assert status_counts(project_id) == counts, errors
        assert sum(counts.values()) == len(ids)
        active = counts["processing"] + counts["pending_review"] + counts["approved"]
        assert db.session.get(Project, project_id).active_count == active
