"""A brief's optional maximum long edge: set in the wizard, stated on the brief, given to phones."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.conftest import login
from tests.factories import make_project, make_user
from tests.images import photo
from trove.extensions import db
from trove.projects.models import Project
from trove.submissions.models import Submission

HX = {"HX-Request": "true"}


def _step4(**extra: str) -> dict[str, str]:
    return {
        "target_count": "40",
        "currency": "EUR",
        "pay": "0.75",
        "deadline": (date.today() + timedelta(days=20)).isoformat(),
        **extra,
    }


@pytest.fixture
def draft(app):
    with app.app_context():
        project = make_project(status="draft", title="Door handles")
        return project.id, project.members[0].user.email


def test_wizard_saves_the_limit_and_empty_means_none(app, client, draft):
    project_id, owner = draft
    login(client, owner)
    response = client.post(f"/projects/{project_id}/brief/4", data=_step4(max_long_edge="2048"))
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Project, project_id).max_long_edge == 2048
    page = client.get(f"/projects/{project_id}/brief/4").data
    assert b'name="max_long_edge"' in page and b'value="2048"' in page
    assert client.post(f"/projects/{project_id}/brief/4", data=_step4()).status_code == 303
    with app.app_context():
        assert db.session.get(Project, project_id).max_long_edge is None


@pytest.mark.parametrize(
    ("value", "extra", "message"),
    [
        ("100", {}, b"Between 512 and 10,000 pixels."),
        ("20000", {}, b"Between 512 and 10,000 pixels."),
        ("big", {}, b"Not a valid integer"),
        ("1000", {"min_width": "1600"}, b"cannot be below the minimum size (1,600 px)"),
    ],
)
def test_wizard_refuses_a_bad_limit_inline(app, client, draft, value, extra, message):
    project_id, owner = draft
    login(client, owner)
    data = _step4(max_long_edge=value, **extra)
    response = client.post(f"/projects/{project_id}/brief/4", data=data, headers=HX)
    assert response.status_code == 422
    assert message in response.data and b"<html" not in response.data
    with app.app_context():
        assert db.session.get(Project, project_id).max_long_edge is None


def test_brief_states_the_limit_and_the_upload_form_carries_it(app, client):
    with app.app_context():
        project = make_project(max_long_edge=2048)
        project_id = project.id
        assert project.current_version.data["max_long_edge"] == 2048
        make_user(email="sam@example.org")
    page = client.get(f"/projects/{project_id}").data
    assert b"resized on your phone to at most 2,048 px" in page
    login(client, "sam@example.org")
    page = client.get(f"/projects/{project_id}").data
    assert b'data-max-long-edge="2048"' in page


def test_brief_without_a_limit_says_nothing_of_resizing(app, client):
    with app.app_context():
        project_id = make_project().id
        make_user(email="sam@example.org")
    login(client, "sam@example.org")
    page = client.get(f"/projects/{project_id}").data
    # What the page shows, not the script's message catalogue (which every page carries).
    shown = re.sub(rb'<script type="application/json" id="trove-messages">.*?</script>', b"", page)
    assert b"resized" not in shown and b"data-max-long-edge" not in shown


def test_server_accepts_a_photo_larger_than_the_limit(app, client):
    # The limit is the phone's work; the server takes what arrives (HEIC, no JavaScript).
    with app.app_context():
        project_id = make_project(max_long_edge=600).id
        version = db.session.get(Project, project_id).current_version_id
        make_user(email="sam@example.org")
    login(client, "sam@example.org")
    response = client.post(
        f"/projects/{project_id}/submissions?consent={version}",
        data=photo(1200, 900),
        content_type="application/octet-stream",
        headers={**HX, "X-Trove-Filename": "big.jpg"},
    )
    assert response.status_code == 201, response.data
    with app.app_context():
        [sub] = db.session.scalars(db.select(Submission)).all()
        assert (sub.width, sub.height) == (1200, 900)
