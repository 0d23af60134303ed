"""Nobody decides on their own photo: approve, decline, undo, bulk, appeals, contests, team."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from tests.conftest import login
from tests.factories import (
    add_team_member,
    make_contest,
    make_project,
    make_submission,
    make_user,
)
from trove.accounts.models import Role
from trove.contests import service as contests
from trove.errors import DomainError
from trove.extensions import db
from trove.payouts.models import Earning
from trove.projects import team as teams
from trove.projects.models import TeamRole
from trove.review import bulk, service
from trove.review.rules import can_decide
from trove.submissions.models import Submission, SubmissionStatus
from trove.timeutil import utcnow


def _earnings() -> int:
    return db.session.scalar(select(func.count()).select_from(Earning))


def _contributor_joins_team(project, role: str = "reviewer"):
    """A contributor sends a photo, then is made a lab member and joins the team."""
    person = make_user()
    photo = make_submission(project, person)
    person.role = Role.LAB_MEMBER
    teams.add_member(project, project.members[0].user, person, TeamRole(role))
    db.session.commit()
    return person, photo


def test_an_admin_cannot_approve_a_photo_they_uploaded(app_ctx):
    project = make_project()
    admin = make_user(Role.ADMIN)
    photo = make_submission(project, admin)
    assert not can_decide(admin, photo)
    with pytest.raises(DomainError, match="someone else on the team") as caught:
        service.approve_submission(photo, admin)
    assert caught.value.status == 403
    assert _earnings() == 0 and project.approved_count == 0
    service.approve_submission(photo, make_user(Role.ADMIN))  # another admin may
    assert _earnings() == 1


@pytest.mark.parametrize("role", ["reviewer", "owner"])
def test_a_contributor_added_to_the_team_cannot_decide_on_their_earlier_photos(app_ctx, role):
    project = make_project()
    person, photo = _contributor_joins_team(project, role)
    with pytest.raises(DomainError, match="someone else"):
        service.approve_submission(photo, person)
    with pytest.raises(DomainError, match="someone else"):
        service.reject_submission(photo, person, "blurry")
    other = add_team_member(project, "reviewer")
    service.approve_submission(photo, other)
    db.session.commit()
    with pytest.raises(DomainError, match="someone else"):
        service.reset_submission(photo, person)  # nor undo someone else's decision on it
    with pytest.raises(DomainError, match="someone else"):
        service.reject_submission(photo, person, "blurry")
    assert photo.status is SubmissionStatus.APPROVED
    assert photo.reviewed_by_id == other.id


def test_bulk_actions_skip_the_deciders_own_photos_and_say_so(app_ctx):
    project = make_project()
    person, own = _contributor_joins_team(project)
    others = [make_submission(project) for _ in range(2)]
    results = bulk.bulk_review(project, person, [own.id] + [s.id for s in others], "approve")
    outcome = {r.submission_id: (r.ok, r.message) for r in results}
    assert outcome[own.id][0] is False and "someone else" in outcome[own.id][1]
    assert all(outcome[s.id][0] for s in others)
    db.session.commit()
    assert own.status is SubmissionStatus.PENDING_REVIEW
    assert db.session.scalar(select(Earning.id).where(Earning.submission_id == own.id)) is None
    assert _earnings() == 2


def test_an_appeal_on_ones_own_photo_is_decided_by_someone_else(app_ctx):
    project = make_project()
    person, photo = _contributor_joins_team(project)
    other = add_team_member(project, "reviewer")
    service.reject_submission(photo, other, "blurry")
    appeal = service.appeal_rejection(photo, person, "It is sharp, look again.")
    db.session.commit()
    with pytest.raises(DomainError, match="someone else"):
        service.approve_submission(photo, person)
    db.session.rollback()
    assert appeal.resolved_at is None and _earnings() == 0
    service.approve_submission(photo, other)
    assert appeal.resolved_by_id == other.id


def test_team_members_past_and_present_never_win_and_self_approvals_earn_no_entry(app_ctx):
    project = make_project()
    owner = project.members[0].user
    reviewer = add_team_member(project, "reviewer")
    current, current_photo = _contributor_joins_team(project, "viewer")
    former, former_photo = _contributor_joins_team(project, "viewer")
    admin = make_user(Role.ADMIN)
    admin_photo = make_submission(project, admin)
    outsider = make_user()
    outsider_photo = make_submission(project, outsider)
    legacy = make_user()
    legacy_photo = make_submission(project, legacy)
    for photo in (current_photo, former_photo, admin_photo, outsider_photo, legacy_photo):
        service.approve_submission(photo, reviewer)
    # A photo approved by its own contributor before the rule existed earns no entry.
    db.session.execute(
        update(Submission).where(Submission.id == legacy_photo.id).values(reviewed_by_id=legacy.id)
    )
    member = next(m for m in project.members if m.user_id == former.id)
    teams.remove_member(project, owner, member)
    db.session.commit()

    contest = make_contest(project, owner, winner_count=5)
    board = {e.user.id: e for e in contests.standings(contest)}
    assert set(board) == {current.id, former.id, admin.id, outsider.id}
    for user in (current, former, admin):
        assert board[user.id].excluded == contests.TEAM_EXCLUDED
    assert board[outsider.id].excluded is None

    contest.ends_at = utcnow()
    db.session.commit()
    winners = contests.draw(contest, owner)
    assert [w.user_id for w in winners] == [outsider.id]
    assert [e["contributor"] for e in contest.entries] == [board[outsider.id].pseudonym]


# --- over HTTP: the card, the team page -------------------------------------------------------


def test_the_review_card_does_not_offer_decisions_on_ones_own_photo(app, client):
    with app.app_context():
        project = make_project()
        person, own = _contributor_joins_team(project)
        other = make_submission(project)
        ids = (project.id, own.dom_id, other.dom_id, person.email)
    login(client, ids[3])
    page = client.get(f"/projects/{ids[0]}/review").get_data(as_text=True)
    own_card = page.split(f'id="{ids[1]}"')[1].split("</li>")[0]
    other_card = page.split(f'id="{ids[2]}"')[1].split("</li>")[0]
    assert "data-approve" not in own_card and "data-own-photo" in own_card
    assert 'name="ids"' not in own_card
    assert "data-approve" in other_card


def test_adding_someone_with_photos_in_the_project_warns_the_owner(app, client):
    with app.app_context():
        project = make_project()
        owner = project.members[0].user
        person = make_user(Role.LAB_MEMBER, name="Pat Photographer")
        make_submission(project, person)
        make_submission(project, person)
        ids = (project.id, owner.email, person.email)
    login(client, ids[1])
    response = client.post(
        f"/projects/{ids[0]}/team",
        data={"email": ids[2], "role": "reviewer"},
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "alert-warning" in text
    assert "Pat Photographer sent 2 photos to this project" in text
    page = client.get(f"/projects/{ids[0]}/team").get_data(as_text=True)
    assert "data-own-photos" in page and "cannot approve or decline their own photos" in page
