"""Role changes take effect at once: a demoted or removed team member loses every capability."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.exports.conftest import build_lab, cut
from tests.factories import make_user
from trove.accounts.models import Role
from trove.extensions import db
from trove.projects.models import Capability
from trove.projects.service import can


@pytest.fixture
def world(app):
    with app.test_request_context("/"):
        lab = build_lab((1,))
        version = cut(lab)
        admin = make_user(Role.ADMIN)
        return {
            "owner": lab.owner.email,
            "owner_id": lab.owner.id,
            "reviewer": lab.reviewer.email,
            "admin": admin.email,
            "pages": [
                f"/submissions/{lab.photos[0].id}/original",
                f"/datasets/{version.id}/download",
                f"/projects/{lab.project.id}/review",
                f"/projects/{lab.project.id}/payouts",
                f"/projects/{lab.project.id}/payouts/export.csv",
            ],
            "project_id": lab.project.id,
        }


def _status(client, page):
    response = client.get(page)
    response.close()  # file downloads stream; close them
    return response.status_code


def test_demoting_a_lab_member_revokes_every_project_capability_at_once(app, world):
    member = app.test_client()
    login(member, world["owner"])
    for page in world["pages"]:
        assert _status(member, page) == 200, page

    admin = app.test_client()
    login(admin, world["admin"])
    response = admin.post(f"/admin/users/{world['owner_id']}/role", data={"role": "contributor"})
    assert response.status_code == 303

    # The same session, no sign-out: the next request already sees the new role.
    for page in world["pages"]:
        assert _status(member, page) in (403, 404), page
    assert member.post(f"/projects/{world['project_id']}/payouts/prepare").status_code == 403


def test_demoted_member_holds_no_capability_and_regains_none_by_membership(app, world):
    with app.app_context():
        from trove.accounts.models import User
        from trove.projects.models import Project

        owner = db.session.get(User, world["owner_id"])
        project = db.session.get(Project, world["project_id"])
        assert can(owner, project, Capability.MANAGE)
        owner.role = Role.CONTRIBUTOR
        db.session.flush()
        assert project.member(owner) is not None  # the membership row is still there
        assert not any(can(owner, project, c) for c in Capability)
        db.session.rollback()


def test_removal_from_the_team_revokes_the_review_queue_at_once(app, world):
    reviewer = app.test_client()
    login(reviewer, world["reviewer"])
    queue = f"/projects/{world['project_id']}/review"
    assert reviewer.get(queue).status_code == 200
    owner = app.test_client()
    login(owner, world["owner"])
    with app.app_context():
        from trove.projects.models import Project

        project = db.session.get(Project, world["project_id"])
        member = next(m for m in project.members if m.user.email == world["reviewer"])
        member_id = member.id
    response = owner.post(f"/projects/{world['project_id']}/team/{member_id}/remove")
    assert response.status_code == 303
    assert reviewer.get(queue).status_code == 403
