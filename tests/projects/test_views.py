"""Project pages over HTTP: permissions by role, the wizard, vetting, catalogue."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD, login, seed_once
from tests.factories import add_team_member, make_project, make_user
from trove.accounts.models import Role
from trove.extensions import db
from trove.projects.models import Project, ProjectStatus

HX = {"HX-Request": "true"}
ROLES = [
    "anonymous",
    "contributor",
    "outsider",
    "viewer",
    "reviewer",
    "finance",
    "steward",
    "owner",
    "admin",
]
TEAM = {"viewer", "reviewer", "finance", "steward", "owner"}


def _as(app, client, project_id: int, who: str) -> None:
    """Sign ``client`` in as someone holding role ``who`` on the project."""
    if who == "anonymous":
        return
    with app.app_context():
        project = db.session.get(Project, project_id)
        if who == "contributor":
            user = make_user()
        elif who == "outsider":
            user = make_user(Role.LAB_MEMBER)
        elif who == "admin":
            user = make_user(Role.ADMIN)
        elif who == "owner":
            user = project.members[0].user
        else:
            user = add_team_member(project, who)
        email = user.email
    login(client, email, TEST_PASSWORD)


def _expected(who: str, *, need: str, public: bool) -> int:
    """Return the status a role should get for a page needing ``need``."""
    if need == "public":
        return 200 if public or who in TEAM | {"admin"} else 404
    allowed = {"view": TEAM | {"admin"}, "manage": {"owner", "admin"}}[need]
    if who == "anonymous":
        return 302  # signed-in pages send everyone anonymous to sign in first, existing or not
    if who in allowed:
        return 200
    if not public and who not in TEAM:
        return 404
    return 302 if who == "anonymous" else 403


@pytest.fixture
def projects(app):
    return seed_once(app, _build_projects)


def _build_projects(app):
    with app.app_context():
        published = make_project(title="Published one")
        draft = make_project(status="draft", title="Draft one")
        return {"published": published.id, "draft": draft.id}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("state", ["published", "draft"])
@pytest.mark.parametrize(
    ("path", "need"),
    [
        ("", "public"),
        ("/team", "view"),
        ("/versions", "view"),
        ("/brief/1", "manage"),
        ("/brief/3", "manage"),
        ("/brief/4", "manage"),
    ],
)
def test_project_pages_by_role(app, client, projects, who, state, path, need):
    project_id = projects[state]
    _as(app, client, project_id, who)
    response = client.get(f"/projects/{project_id}{path}")
    assert response.status_code == _expected(who, need=need, public=state == "published")


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("action", ["pause", "close", "submit", "withdraw-submission"])
def test_status_changes_need_manage(app, client, projects, who, action):
    project_id = projects["published"]
    _as(app, client, project_id, who)
    response = client.post(f"/projects/{project_id}/{action}")
    expected = _expected(who, need="manage", public=True)
    assert response.status_code == (303 if expected == 200 else expected)
    with app.app_context():
        status = db.session.get(Project, project_id).status
    if who in {"owner", "admin"} and action in {"pause", "close"}:
        assert status is not ProjectStatus.PUBLISHED
    else:
        assert status is ProjectStatus.PUBLISHED


@pytest.mark.parametrize(
    ("who", "code"),
    [("anonymous", 302), ("contributor", 403), ("outsider", 200), ("admin", 200)],
)
def test_new_project_and_lab_pages(app, client, projects, who, code):
    _as(app, client, projects["published"], who)
    assert client.get("/projects/new").status_code == code
    assert client.get("/lab").status_code == code


@pytest.mark.parametrize(
    ("who", "code"), [("anonymous", 302), ("contributor", 403), ("owner", 403), ("admin", 200)]
)
def test_vetting_is_for_admins(app, client, projects, who, code):
    _as(app, client, projects["published"], who)
    assert client.get("/vetting").status_code == code
    assert client.get(f"/vetting/{projects['draft']}").status_code == code


def _owner_client(app, client, project_id):
    _as(app, client, project_id, "owner")


def test_wizard_creates_draft_then_saves_each_step(app, client):
    with app.app_context():
        make_user(Role.LAB_MEMBER, email="lab@example.org")
    login(client, "lab@example.org")
    response = client.post(
        "/projects", data={"title": "Door handles", "summary": "Robots opening doors."}
    )
    assert response.status_code == 303
    with app.app_context():
        project = db.session.scalar(select(Project))
        project_id = project.id
        assert project.status is ProjectStatus.DRAFT and project.wizard_step == 2
    assert response.headers["Location"] == f"/projects/{project_id}/brief/2"
    step2 = {
        "must_show": "A door handle, close up.",
        "usage": "Training a robot arm.",
        "access": "The team.",
        "retention_days": "365",
        "withdrawal_grace_days": "14",
        "licence_text": "I agree.",
        "exclusions": ["faces", "screens"],
    }
    assert client.post(f"/projects/{project_id}/brief/2", data=step2).status_code == 303
    assert client.post(f"/projects/{project_id}/brief/3").status_code == 303
    step4 = {
        "target_count": "40",
        "currency": "EUR",
        "pay": "0.75",
        "deadline": (date.today() + timedelta(days=20)).isoformat(),
    }
    assert client.post(f"/projects/{project_id}/brief/4", data=step4).status_code == 303
    assert client.post(f"/projects/{project_id}/brief/5", data={"confirm": "y"}).status_code == 303
    assert client.post(f"/projects/{project_id}/submit").status_code == 303
    with app.app_context():
        project = db.session.get(Project, project_id)
        assert project.status is ProjectStatus.SUBMITTED
        assert (project.pay_minor, project.currency, project.budget_minor) == (75, "EUR", 3000)
        assert project.exclusions == ["faces", "screens"]
        assert project.withdrawal_grace_days == 14
    brief = client.get(f"/projects/{project_id}").data
    assert b"is deleted 14 days later" in brief


@pytest.mark.parametrize(
    ("step", "data", "message"),
    [
        (4, {"target_count": "10", "currency": "USD", "pay": "-1"}, b"zero or more"),
        (4, {"target_count": "0", "currency": "USD", "pay": "1"}, b"Between 1 and 1,000,000"),
        (
            4,
            {"target_count": "10", "currency": "USD", "pay": "1", "deadline": "2001-01-01"},
            b"Choose a date in the future",
        ),
        (4, {"target_count": "ten", "currency": "USD", "pay": "1"}, b"Not a valid integer"),
        (4, {"target_count": "10", "currency": "USD", "pay": "1.234"}, b"at most 2 decimal"),
        (4, {"target_count": "10", "currency": "XXX", "pay": "1"}, b"Not a valid choice"),
        (1, {"title": "x" * (10 * 1024 * 1024), "summary": "s"}, b"Use 3 to 120 characters"),
        (1, {"title": "Fine", "summary": "s" * 5000}, b"under 2,000 characters"),
        (
            2,
            {
                "must_show": "x",
                "usage": "u",
                "access": "a",
                "retention_days": "-5",
                "licence_text": "l",
            },
            b"Between 1 day and 10 years",
        ),
        (
            2,
            {
                "must_show": "x",
                "usage": "u",
                "access": "a",
                "retention_days": "30",
                "withdrawal_grace_days": "365",
                "licence_text": "l",
            },
            b"Between 0 (at once) and 90 days",
        ),
    ],
)
def test_wizard_rejects_bad_input_inline(app, client, projects, step, data, message):
    _owner_client(app, client, projects["draft"])
    response = client.post(f"/projects/{projects['draft']}/brief/{step}", data=data, headers=HX)
    assert response.status_code == 422
    assert message in response.data
    assert b"<html" not in response.data


def test_markup_in_brief_is_escaped_everywhere(app, client):
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    with app.app_context():
        project = make_project(title=evil, summary=evil, must_show=evil)
        project_id = project.id
    for url in ["/projects", f"/projects/{project_id}", "/"]:
        page = client.get(url).data
        assert b"<script>alert(1)" not in page and b"<img src=x" not in page
        assert b"&lt;script&gt;" in page


def test_budget_preview_fragment(app, client, projects):
    _owner_client(app, client, projects["draft"])
    response = client.post(
        f"/projects/{projects['draft']}/brief/4/preview",
        data={"target_count": "200", "currency": "GBP", "pay": "1.25"},
        headers=HX,
    )
    assert response.status_code == 200
    assert "£250.00".encode() in response.data and b"<html" not in response.data


def test_admin_publishes_and_sends_back(app, client):
    with app.app_context():
        first = make_project(status="submitted").id
        second = make_project(status="submitted").id
        make_user(Role.ADMIN, email="admin@example.org")
    login(client, "admin@example.org")
    assert b"Briefs waiting" in client.get("/vetting").data
    assert client.post(f"/vetting/{first}/publish").status_code == 303
    empty = client.post(f"/vetting/{second}/send-back", data={"comment": ""}, headers=HX)
    assert empty.status_code == 422 and b"cannot be empty" in empty.data
    assert (
        client.post(f"/vetting/{second}/send-back", data={"comment": "Fix it"}).status_code == 303
    )
    with app.app_context():
        assert db.session.get(Project, first).status is ProjectStatus.PUBLISHED
        assert db.session.get(Project, first).current_version.number == 1
        assert db.session.get(Project, second).status is ProjectStatus.DRAFT


def test_catalogue_search_filter_and_pages(app, client):
    with app.app_context():
        for n in range(14):
            make_project(title=f"Plants {n}", currency="GBP" if n % 2 else "USD")
        make_project(title="Bicycles", deadline=date.today() + timedelta(days=2))
        make_project(title="Hidden draft", status="draft")
        make_project(title="Paused one", status="paused")
    page = client.get("/projects").data
    assert b"15 open projects" in page and b"Hidden draft" not in page and b"Paused one" not in page
    assert b"Page 1 of 2" in page
    found = client.get("/projects?q=bicy", headers=HX)
    assert b"1 open project" in found.data and b"<html" not in found.data
    assert b"7 open projects" in client.get("/projects?currency=GBP").data
    ending = client.get("/projects?sort=ending").data.decode()
    assert ending.index("Bicycles") < ending.index("Plants 0")
    assert client.get("/projects?page=abc&sort=evil&currency=ZZZ").status_code == 200


def test_catalogue_empty_state(client):
    assert b"No project is open right now" in client.get("/projects").data


def test_team_management(app, client, projects):
    project_id = projects["published"]
    with app.app_context():
        make_user(Role.LAB_MEMBER, email="colleague@example.org")
        make_user(email="public@example.org")
    _owner_client(app, client, project_id)
    ok = client.post(
        f"/projects/{project_id}/team", data={"email": "colleague@example.org", "role": "reviewer"}
    )
    assert ok.status_code == 303
    refused = client.post(
        f"/projects/{project_id}/team",
        data={"email": "public@example.org", "role": "viewer"},
        headers=HX,
    )
    assert refused.status_code == 422 and b"No lab member uses that address" in refused.data
    unknown = client.post(
        f"/projects/{project_id}/team",
        data={"email": "ghost@example.org", "role": "viewer"},
        headers=HX,
    )
    assert unknown.status_code == 422 and b"No lab member uses that address" in unknown.data
    # Nothing tells a contributor's address from an unknown one (nor shows a name).
    assert refused.data.replace(b"public@", b"ghost@") == unknown.data
    page = client.get(f"/projects/{project_id}/team").data
    assert b"colleague@example.org" in page


def test_edit_published_brief_makes_version_visible(app, client, projects):
    project_id = projects["published"]
    _owner_client(app, client, project_id)
    response = client.post(
        f"/projects/{project_id}/brief/1",
        data={"title": "Published one, clearer", "summary": "Better words."},
    )
    assert response.status_code == 303
    page = client.get(f"/projects/{project_id}/versions").data
    assert b"Version 2" in page and b"Edited: beneficiaries, summary, title" in page
