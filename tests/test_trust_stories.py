"""Trust stories over HTTP: what a determined user tries, end to end, and what stops them.

Each story is one self-contained test function on the Flask test client; the suite runs
them on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import io

from sqlalchemy import func, select

from tests.conftest import login
from tests.factories import add_team_member, make_project, make_user
from tests.images import photo
from trove.accounts.models import Role
from trove.extensions import db
from trove.payouts.models import Earning
from trove.submissions.models import Submission, SubmissionStatus


def test_a_contributor_who_joins_the_team_cannot_approve_their_own_photo(app):
    """Upload, join the team as a reviewer, try to approve it (single and bulk): refused."""
    hx = {"HX-Request": "true"}
    with app.app_context():
        project = make_project(title="Park benches")
        owner = project.members[0].user
        colleague = add_team_member(project, "reviewer")
        admin = make_user(Role.ADMIN)
        person = make_user(name="Sam Sender")
        ids = {
            "project": project.id,
            "version": project.current_version_id,
            "person": person.id,
        }
        emails = {
            "owner": owner.email,
            "colleague": colleague.email,
            "admin": admin.email,
            "person": person.email,
        }

    def state() -> tuple[SubmissionStatus, int]:
        with app.app_context():
            own = db.session.scalar(
                select(Submission).where(Submission.contributor_id == ids["person"])
            )
            earnings = db.session.scalar(
                select(func.count()).select_from(Earning).where(Earning.submission_id == own.id)
            )
            return own.status, earnings

    # 1. A contributor uploads a photo to the project.
    sam = app.test_client()
    login(sam, emails["person"])
    response = sam.post(
        f"/projects/{ids['project']}/submissions",
        data={
            "photos": (io.BytesIO(photo(320, 240, seed=77)), "bench.jpg"),
            "consent": str(ids["version"]),
        },
        content_type="multipart/form-data",
        headers=hx,
    )
    assert response.status_code == 201
    with app.app_context():
        photo_id = db.session.scalar(
            select(Submission.id).where(Submission.contributor_id == ids["person"])
        )
    assert state() == (SubmissionStatus.PENDING_REVIEW, 0)

    # 2. An admin makes them a lab member; the owner adds them to the team as a reviewer
    #    and is warned that they have photos in the project.
    admin_client = app.test_client()
    login(admin_client, emails["admin"])
    response = admin_client.post(f"/admin/users/{ids['person']}/role", data={"role": "lab_member"})
    assert response.status_code == 303
    owner_client = app.test_client()
    login(owner_client, emails["owner"])
    response = owner_client.post(
        f"/projects/{ids['project']}/team",
        data={"email": emails["person"], "role": "reviewer"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Sam Sender sent 1 photo to this project" in response.get_data(as_text=True)

    # 3. The queue shows them their own photo without an Approve button.
    queue = sam.get(f"/projects/{ids['project']}/review").get_data(as_text=True)
    card = queue.split(f'id="submission-{photo_id}"')[1].split("</li>")[0]
    assert "data-approve" not in card and "someone else on the team decides" in card

    # 4. They approve it anyway, by hand: with htmx, without, and in bulk. Each is refused
    #    with a clear message and no earning is created.
    refusal = "You sent this photo, so someone else on the team must decide on it."
    response = sam.post(f"/submissions/{photo_id}/approve", headers=hx)
    assert response.status_code == 403
    assert refusal in response.get_data(as_text=True)
    assert state() == (SubmissionStatus.PENDING_REVIEW, 0)

    response = sam.post(f"/submissions/{photo_id}/approve", follow_redirects=True)
    assert refusal in response.get_data(as_text=True)
    assert state() == (SubmissionStatus.PENDING_REVIEW, 0)

    response = sam.post(
        f"/projects/{ids['project']}/review/bulk",
        data={"ids": [str(photo_id)], "action": "approve"},
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert "0 of 1 photos done." in text and f"Photo {photo_id}: {refusal}" in text
    assert state() == (SubmissionStatus.PENDING_REVIEW, 0)

    response = sam.post(f"/submissions/{photo_id}/reject", data={"code": "blurry"}, headers=hx)
    assert response.status_code == 403 and refusal in response.get_data(as_text=True)

    # 5. Someone else on the team decides: the photo earns exactly once.
    colleague_client = app.test_client()
    login(colleague_client, emails["colleague"])
    response = colleague_client.post(f"/submissions/{photo_id}/approve", headers=hx)
    assert response.status_code == 200
    assert state() == (SubmissionStatus.APPROVED, 1)
