"""The brief's people policy in the wizard and on the brief; reviewers' blur boxes over HTTP."""

from __future__ import annotations

import json

import pytest

from tests.blur.test_media_job import _upload
from tests.conftest import login, seed_once
from tests.faces import face_photo
from tests.factories import add_team_member, make_project, make_user
from trove.accounts.models import Role
from trove.extensions import db
from trove.projects.models import Project
from trove.submissions.models import Submission

HX = {"HX-Request": "true"}
STEP2 = {
    "must_show": "A door handle, close up.",
    "usage": "Training a robot arm.",
    "access": "The team.",
    "retention_days": "365",
    "withdrawal_grace_days": "14",
    "licence_text": "I agree.",
}


@pytest.fixture
def draft(app, client):
    with app.app_context():
        owner = make_user(Role.LAB_MEMBER)
        project = make_project(owner, status="draft")
        ids = project.id
        email = owner.email
    login(client, email)
    return ids


def test_wizard_offers_blurring_first_and_saves_the_choice(app, client, draft):
    page = client.get(f"/projects/{draft}/brief/2").text
    assert (
        '<input checked id="people_policy-0" name="people_policy" type="radio" value="blur">'
        in page
    )
    for policy in ("subject", "not_allowed", "blur"):
        response = client.post(
            f"/projects/{draft}/brief/2", data={**STEP2, "people_policy": policy}
        )
        assert response.status_code == 303
        with app.app_context():
            assert db.session.get(Project, draft).people_policy == policy


def test_wizard_refuses_an_unknown_people_policy(app, client, draft):
    response = client.post(
        f"/projects/{draft}/brief/2", data={**STEP2, "people_policy": "sometimes"}, headers=HX
    )
    assert response.status_code == 422
    assert "Choose one of the options." in response.text


def test_wizard_form_without_the_field_keeps_the_saved_policy(app, client, draft):
    client.post(f"/projects/{draft}/brief/2", data={**STEP2, "people_policy": "subject"})
    assert client.post(f"/projects/{draft}/brief/2", data=STEP2).status_code == 303
    with app.app_context():
        assert db.session.get(Project, draft).people_policy == "subject"


@pytest.mark.parametrize(
    ("policy", "says"),
    [
        ("blur", "Any face we find is blurred"),
        ("subject", "People are the subject of these photos"),
        ("not_allowed", "People must not appear in these photos"),
    ],
)
def test_brief_tells_contributors_the_people_policy(app, client, policy, says):
    with app.app_context():
        project_id = make_project(people_policy=policy).id
    assert says in client.get(f"/projects/{project_id}").text


def _face_pending_review(app) -> dict[str, object]:
    with app.app_context():
        project = make_project(people_policy="blur")
        submission = _upload(project, face_photo()[0])  # the real media job, detection included
        reviewer = add_team_member(project, "reviewer")
        return {
            "submission": submission.id,
            "contributor": submission.contributor.email,
            "reviewer": reviewer.email,
        }


@pytest.fixture
def pending(app, client):
    """A face photo pending review on a blur project, and a signed-in reviewer (the photo is
    uploaded and detected once per process; each test gets a copy of its rows and files)."""
    ids = seed_once(app, _face_pending_review)
    login(client, ids.pop("reviewer"))
    return ids


def _boxes(app, submission_id):
    with app.app_context():
        return db.session.get(Submission, submission_id).blur_boxes


def test_review_card_and_zoom_show_the_detected_box(client, pending):
    zoom = client.get(f"/submissions/{pending['submission']}/zoom").text
    assert zoom.count('class="blur-box blur-face"') == 2  # on the photo and on its card
    assert "1 area blurred" in zoom
    assert 'id="blur-editor"' in zoom


def test_reviewer_removes_and_adds_boxes_without_javascript(app, client, pending):
    sid = pending["submission"]
    url = f"/submissions/{sid}/blur"
    assert client.post(url, data={"remove": "1"}).status_code == 303
    assert _boxes(app, sid) == []
    response = client.post(url, data={"x": "10", "y": "20", "w": "30", "h": "25"})
    assert response.status_code == 303
    assert _boxes(app, sid) == [{"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.25, "source": "reviewer"}]
    assert "Blur changes apply on decision" in client.get(f"/submissions/{sid}/zoom").text


def test_reviewer_sends_the_whole_list_with_htmx(app, client, pending):
    sid = pending["submission"]
    boxes = [{"x": 0.5, "y": 0.5, "w": 0.1, "h": 0.1, "source": "reviewer"}]
    response = client.post(
        f"/submissions/{sid}/blur", data={"boxes": json.dumps(boxes)}, headers=HX
    )
    assert response.status_code == 200 and f'id="submission-{sid}"' in response.text
    assert _boxes(app, sid) == boxes


@pytest.mark.parametrize(
    "form",
    [
        {"boxes": "not json"},
        {"boxes": json.dumps([{"x": 0.5}])},
        {"boxes": json.dumps([{"x": 2, "y": 2, "w": 0.1, "h": 0.1}])},
        {"remove": "9"},
        {"x": "ten", "y": "1", "w": "1", "h": "1"},
    ],
)
def test_bad_boxes_are_refused_with_a_message(app, client, pending, form):
    sid = pending["submission"]
    before = _boxes(app, sid)
    response = client.post(f"/submissions/{sid}/blur", data=form, headers=HX)
    assert response.status_code == 422
    assert 'role="alert"' in response.text
    assert _boxes(app, sid) == before


def test_only_a_reviewer_who_may_decide_edits_boxes(app, client, pending):
    client.post("/logout")
    login(client, pending["contributor"])  # their own photo: not theirs to review
    response = client.post(f"/submissions/{pending['submission']}/blur", data={"remove": "1"})
    assert response.status_code in (403, 404)
    assert len(_boxes(app, pending["submission"])) == 1
