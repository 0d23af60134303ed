"""Trust story: a photo earns once, even after it is withdrawn and sent again.

Over HTTP, as the people do it: a contributor uploads, the owner approves (one earning),
the contributor withdraws the photo (the earning stays payable) and uploads the identical
bytes again. The second upload is refused with a clear 409, nothing new is recorded, and
there is still one earning. The withdrawn photo still counts against the person's limit.
"""

from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import login
from tests.factories import make_project, make_user
from tests.images import photo
from trove.extensions import db
from trove.payouts.models import Earning
from trove.submissions.models import Submission, SubmissionStatus


def _upload(client, project_id: int, version_id: int, data: bytes):
    return client.post(
        f"/projects/{project_id}/submissions?consent={version_id}",
        data=data,
        headers={
            "Content-Type": "application/octet-stream",
            "X-Trove-Filename": "IMG_0001.jpg",
            "HX-Request": "true",
        },
    )


def test_a_withdrawn_photo_sent_again_is_refused_and_earns_once(app):
    with app.app_context():
        project = make_project(target_count=10, per_contributor_limit=2)
        owner = project.members[0].user.email
        make_user(email="sam@example.org")
        ids = project.id, project.current_version_id
    data = photo(640, 480, seed=42)
    contributor = app.test_client()
    login(contributor, "sam@example.org")
    assert _upload(contributor, *ids, data).status_code == 201
    with app.app_context():
        submission_id = db.session.scalar(select(Submission.id))

    reviewer = app.test_client()
    login(reviewer, owner)
    assert reviewer.post(f"/submissions/{submission_id}/approve").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Earning)) == 1

    assert contributor.post("/me/withdraw", data={"photo": submission_id}).status_code == 303
    with app.app_context():
        withdrawn = db.session.get(Submission, submission_id)
        assert withdrawn.status is SubmissionStatus.WITHDRAWN

    again = _upload(contributor, *ids, data)
    assert again.status_code == 409
    assert "already sent this exact photo" in again.get_data(as_text=True)
    # The withdrawn photo still holds one of the person's two places: one more, not two.
    assert _upload(contributor, *ids, photo(640, 480, seed=43)).status_code == 201
    third = _upload(contributor, *ids, photo(640, 480, seed=44))
    assert third.status_code == 409
    assert "most photos one person can send" in third.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 2
        assert db.session.scalar(select(func.count()).select_from(Earning)) == 1
