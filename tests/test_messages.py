"""Messages a person understands: expired forms, closed or paused projects, no more photos."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.factories import make_project, make_submission, make_user
from trove.extensions import db
from trove.projects import service as projects

HX = {"HX-Request": "true"}


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_an_expired_form_says_reload_with_the_reload_one_tap_away(csrf_app, headers):
    client = csrf_app.test_client()
    with csrf_app.app_context():
        pid = make_project().id
    client.get(f"/projects/{pid}")  # a session (and its token) exists; the form's is stale
    referrer = f"http://localhost/projects/{pid}"
    response = client.post(
        f"/projects/{pid}/questions",
        data={"body": "Can I?", "csrf_token": "stale"},
        headers={**headers, "Referer": referrer},
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "This page has expired. Reload it and try again." in body
    assert "CSRF token" not in body
    assert f'href="/projects/{pid}" data-reload' in body
    assert ("<html" in body) is (headers == {})


def test_closed_and_paused_projects_say_different_things(app, client):
    with app.app_context():
        paused = make_project(status="paused").id
        ended = make_project(status="closed").id
        full = make_project(target_count=1)
        submission = make_submission(full)
        reviewer = full.members[0].user
        from trove.review.service import approve_submission

        approve_submission(submission, reviewer)
        db.session.commit()
        assert full.close_reason == "Target reached"
        full_id = full.id
        make_user(email="sam@example.org")
    login(client, "sam@example.org")
    texts = {
        pid: client.get(f"/projects/{pid}").get_data(as_text=True)
        for pid in (paused, ended, full_id)
    }
    assert "is paused" in texts[paused] and "Check back later" in texts[paused]
    assert "has ended (Closed by the owner)" in texts[ended] and "paused" not in texts[ended]
    assert "reached its target" in texts[full_id]
    refused = client.post(
        f"/projects/{paused}/submissions",
        data=b"x",
        headers={**HX, "Content-Type": "image/jpeg", "X-Trove-Filename": "a.jpg"},
    )
    assert refused.status_code == 409 and b"is paused" in refused.data


def test_no_more_photos_hides_the_drop_zone_and_says_why(app, client):
    with app.app_context():
        project = make_project(per_contributor_limit=1)
        sam = make_user(email="sam@example.org")
        make_submission(project, sam)
        pid = project.id
    login(client, "sam@example.org")
    page = client.get(f"/projects/{pid}").get_data(as_text=True)
    assert "data-dropzone" not in page and "You can send" not in page
    assert "the most photos one person can send to this project (1)" in page


def test_the_project_refusal_is_a_model_rule(app_ctx):
    project = make_project()
    assert project.not_accepting_reason is None
    projects.pause_project(project, project.members[0].user)
    assert "paused" in project.not_accepting_reason
