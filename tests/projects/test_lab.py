"""Lab staff start on their projects dashboard, which says what waits for them."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from tests.conftest import TEST_PASSWORD, login
from tests.factories import add_team_member, make_project, make_submission, make_user
from trove.accounts.models import Role, User
from trove.discussions import service as discussions
from trove.extensions import db
from trove.projects.models import Project
from trove.review.service import approve_submission


@pytest.mark.parametrize(
    ("role", "home"), [(Role.LAB_MEMBER, "/lab"), (Role.ADMIN, "/lab"), (Role.CONTRIBUTOR, "/")]
)
def test_sign_in_lands_lab_staff_on_their_projects(app, client, role, home):
    with app.app_context():
        email = make_user(role).email
    response = login(client, email)
    assert response.headers["Location"] == home


def test_sign_in_still_follows_next(app, client):
    with app.app_context():
        email = make_user(Role.LAB_MEMBER).email
    response = client.post("/login?next=/projects", data={"email": email, "password": "x"})
    assert response.status_code == 422  # wrong password: the form comes back
    response = client.post(
        "/login", data={"email": email, "password": TEST_PASSWORD, "next": "/projects"}
    )
    assert response.headers["Location"] == "/projects"


def _busy_project(owner, title: str, *, pending: int) -> tuple[int, int]:
    """A project of ``owner``'s with ``pending`` photos to review and a mix of questions."""
    project = make_project(owner, title=title)
    reviewer = add_team_member(project, "reviewer")
    approve_submission(make_submission(project), reviewer)
    for _ in range(pending):
        make_submission(project)
    asker = make_user()
    discussions.ask_question(project, asker, "Do reflections on the glass matter?")
    answered = discussions.ask_question(project, asker, "May the shelf be half empty?")
    discussions.reply_to_question(answered, reviewer, "Yes, that is what we need.")
    only_contributors = discussions.ask_question(project, asker, "Is night time fine?")
    discussions.reply_to_question(only_contributors, make_user(), "I would like to know too.")
    hidden = discussions.ask_question(project, asker, "Buy cheap watches here")
    discussions.hide_post(hidden, make_user(Role.ADMIN))
    db.session.commit()
    return project.id, reviewer.id


def test_dashboard_counts_photos_to_review_and_unanswered_questions(app, client):
    with app.test_request_context("/"):  # questions notify the team with links
        owner = make_user(Role.LAB_MEMBER, email="olive@lab.example.org")
        busy, _ = _busy_project(owner, "Shelves", pending=2)
        quiet = make_project(owner, title="Door handles").id
        make_project(title="Somebody else's")
        viewer = add_team_member(db.session.get_one(Project, busy), "viewer").email
    login(client, "olive@lab.example.org")
    page = client.get("/lab").get_data(as_text=True)
    assert (
        f'<a id="awaiting-review-{busy}" href="/projects/{busy}/review">2 photos await review'
        in page
    )
    assert f'href="/projects/{busy}/questions">2 unanswered questions</a>' in page
    assert f"awaiting-review-{quiet}" not in page and f"unanswered-{quiet}" not in page
    assert "Somebody else" not in page
    # A viewer may not review: the count is shown, not linked to the queue.
    other = app.test_client()
    login(other, viewer)
    page = other.get("/lab").get_data(as_text=True)
    assert f'<span id="awaiting-review-{busy}">2 photos await review</span>' in page


def test_dashboard_queries_do_not_grow_with_projects(app, client):
    with app.test_request_context("/"):  # questions notify the team with links
        owner = make_user(Role.LAB_MEMBER, email="olive@lab.example.org")
        _busy_project(owner, "First", pending=1)
        owner_id, engine = owner.id, db.engine
    login(client, "olive@lab.example.org")
    seen: list[int] = []

    def count(*args):
        seen[-1] += 1

    for more in (0, 3):
        with app.test_request_context("/"):
            for n in range(more):
                _busy_project(db.session.get_one(User, owner_id), f"More {n}", pending=1)
        seen.append(0)
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/lab").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert seen[0] == seen[1], seen
