"""Review and image routes over HTTP: the permission matrix, htmx fragments, no-JS forms."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD, login, seed_once
from tests.factories import add_team_member, make_processed_submission, make_project, make_user
from trove.accounts.models import Role
from trove.audit.models import AuditEvent
from trove.extensions import db
from trove.payouts.models import Earning
from trove.projects.models import Project
from trove.submissions.models import Submission, SubmissionStatus

HX = {"HX-Request": "true"}
ROLES = [
    "anonymous",
    "other_contributor",
    "owner_contributor",
    "outsider",
    "viewer",
    "reviewer",
    "owner",
    "admin",
]


def _build_ids(app):
    with app.app_context():
        project = make_project()
        sub = make_processed_submission(project)
        return {"project": project.id, "submission": sub.id, "contributor": sub.contributor.email}


@pytest.fixture
def ids(app):
    return seed_once(app, _build_ids)


def _as(app, client, ids, who):
    if who == "anonymous":
        return
    with app.app_context():
        project = db.session.get(Project, ids["project"])
        email = {
            "other_contributor": lambda: make_user().email,
            "owner_contributor": lambda: ids["contributor"],
            "outsider": lambda: make_user(Role.LAB_MEMBER).email,
            "admin": lambda: make_user(Role.ADMIN).email,
            "owner": lambda: project.members[0].user.email,
            "viewer": lambda: add_team_member(project, "viewer").email,
            "reviewer": lambda: add_team_member(project, "reviewer").email,
        }[who]()
    login(client, email, TEST_PASSWORD)


MATRIX = {
    # route: expected status per role, in ROLES order
    "GET /projects/{project}/review": [302, 403, 403, 403, 403, 200, 200, 200],
    "GET /projects/{project}/review/counters": [302, 403, 403, 403, 403, 200, 200, 200],
    "GET /submissions/{submission}/zoom": [302, 404, 403, 404, 403, 200, 200, 200],
    "POST /submissions/{submission}/approve": [302, 404, 403, 404, 403, 303, 303, 303],
    "POST /submissions/{submission}/reset": [302, 404, 403, 404, 403, 303, 303, 303],
    "POST /submissions/{submission}/keep-declined": [302, 404, 403, 404, 403, 303, 303, 303],
    "POST /projects/{project}/review/bulk": [302, 403, 403, 403, 403, 303, 303, 303],
    "GET /submissions/{submission}/image/320": [404, 404, 200, 404, 200, 200, 200, 200],
    "GET /submissions/{submission}/image/1280": [404, 404, 200, 404, 200, 200, 200, 200],
    "GET /submissions/{submission}/original": [404, 404, 200, 404, 200, 200, 200, 200],
    "GET /submissions/{submission}/card": [302, 404, 200, 404, 200, 200, 200, 200],
    "GET /projects/{project}/audit": [302, 403, 403, 403, 403, 403, 200, 200],
    "GET /projects/{project}/review/disagreements": [302, 403, 403, 403, 403, 403, 200, 200],
    "GET /projects/{project}/review/insight": [302, 403, 403, 403, 403, 403, 200, 200],
    "POST /projects/{project}/review/checks": [302, 403, 403, 403, 403, 403, 303, 303],
    "POST /submissions/{submission}/second-opinion": [302, 404, 403, 404, 403, 303, 303, 303],
    "POST /submissions/{submission}/gold": [302, 404, 403, 404, 403, 303, 303, 303],
}


@pytest.mark.parametrize("route", list(MATRIX))
@pytest.mark.parametrize("who", ROLES)
def test_permission_matrix(app, client, ids, route, who):
    method, path = route.split(" ")
    _as(app, client, ids, who)
    url = path.format(**ids)
    data = {"ids": [str(ids["submission"])], "action": "approve"} if "bulk" in path else {}
    response = client.open(url, method=method, data=data)
    with response:
        assert response.status_code == MATRIX[route][ROLES.index(who)]
        if response.status_code == 200 and "image" in path:
            assert response.headers["Cache-Control"].startswith("private")


def test_inline_approve_returns_card_and_event(app, client, ids):
    _as(app, client, ids, "reviewer")
    response = client.post(f"/submissions/{ids['submission']}/approve", headers=HX)
    assert response.status_code == 200
    assert b"<html" not in response.data and b"badge-approved" in response.data
    assert "submission-reviewed" in response.headers["HX-Trigger"]
    counters = client.get(f"/projects/{ids['project']}/review/counters", headers=HX)
    assert b"1 / 100" in counters.data
    again = client.post(f"/submissions/{ids['submission']}/approve", headers=HX)
    assert again.status_code == 409 and b"already approved" in again.data
    with app.app_context():
        assert len(db.session.scalars(select(Earning)).all()) == 1
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "submission.approved" in actions


def test_inline_reject_validates_reason(app, client, ids):
    _as(app, client, ids, "reviewer")
    url = f"/submissions/{ids['submission']}/reject"
    bad = client.post(url, data={"code": "nonsense"}, headers=HX)
    assert bad.status_code == 422 and b"Choose a reason" in bad.data
    ok = client.post(url, data={"code": "blurry", "note": "<b>shaky</b>"}, headers=HX)
    assert ok.status_code == 200 and b"&lt;b&gt;shaky" in ok.data


def test_contributor_sees_reason_and_appeals_once(app, client, ids):
    reviewer = app.test_client()
    _as(app, reviewer, ids, "reviewer")
    reviewer.post(
        f"/submissions/{ids['submission']}/reject",
        data={"code": "too_dark", "note": "Use daylight"},
    )
    login(client, ids["contributor"])
    page = client.get("/me/photos").data
    assert b"too dark" in page and b"Use daylight" in page and b"Appeal this decision" in page
    url = f"/submissions/{ids['submission']}/appeal"
    empty = client.post(url, data={"message": " "}, headers=HX)
    assert empty.status_code == 422
    assert client.post(url, data={"message": "It was daylight."}).status_code == 303
    assert client.post(url, data={"message": "Again"}).status_code == 303
    assert b"already appealed" in client.get("/me/photos").data
    queue = reviewer.get(f"/projects/{ids['project']}/review?status=appealed").data
    assert b"It was daylight." in queue


def test_queue_pages_by_keyset(app, client):
    with app.app_context():
        project = make_project(target_count=200, per_contributor_limit=None)
        for _ in range(35):
            make_processed_submission(project, commit=False)
        db.session.commit()
        project_id = project.id
        email = project.members[0].user.email
    login(client, email)
    first = client.get(f"/projects/{project_id}/review").data.decode()
    assert first.count("data-review-card") == 30 and "cursor=" in first
    cursor = first.split("cursor=")[1].split('"')[0]
    second = client.get(f"/projects/{project_id}/review?cursor={cursor}", headers=HX).data.decode()
    assert second.count("data-review-card") == 5 and "<html" not in second
    newest = client.get(f"/projects/{project_id}/review?sort=newest").data.decode()
    assert newest.index("submission-35") < newest.index("submission-34")


def test_bulk_without_javascript(app, client, ids):
    with app.app_context():
        project = db.session.get(Project, ids["project"])
        second = make_processed_submission(project).id
    _as(app, client, ids, "owner")
    response = client.post(
        f"/projects/{ids['project']}/review/bulk",
        data={
            "ids": [str(ids["submission"]), str(second), "99999"],
            "action": "reject",
            "code": "blurry",
        },
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).data
    assert b"2 of 3 photos done" in page and b"Not a photo of this project" in page
    with app.app_context():
        statuses = db.session.scalars(select(Submission.status)).all()
        assert statuses.count(SubmissionStatus.REJECTED) == 2


def test_queue_queries_do_not_grow_with_page_size(app, client, monkeypatch):
    from sqlalchemy import event

    from trove.review import queries

    with app.app_context():
        project = make_project(target_count=100, per_contributor_limit=None)
        for n in range(12):
            sub = make_processed_submission(project)
            if n % 3 == 0:
                from trove.review import service

                service.reject_submission(sub, project.members[0].user, "blurry")
                service.appeal_rejection(sub, sub.contributor, "Please look again")
        db.session.commit()
        project_id, email = project.id, project.members[0].user.email
        engine = db.engine
    login(client, email)
    seen: list[int] = []

    def count(*args):
        seen[-1] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        for size in (2, 10):
            monkeypatch.setattr(queries, "PAGE_SIZE", size)
            for status in ("pending", "rejected"):
                seen.append(0)
                client.get(f"/projects/{project_id}/review?status={status}")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert seen[0] == seen[2] and seen[1] == seen[3], seen


def test_an_approve_click_loads_what_it_needs_up_front(app, client):
    """Approving: the photo comes with its project, brief version, appeal, final check and
    gold mark in one statement; nothing of them is lazy-loaded one by one afterwards."""
    from tests.statements import statements_of_this_thread

    with app.app_context():
        project = make_project(target_count=10, per_contributor_limit=None)
        first = make_processed_submission(project)
        second = make_processed_submission(project)
        db.session.commit()
        ids, email, engine = (first.id, second.id), project.members[0].user.email, db.engine
    login(client, email)
    assert client.post(f"/submissions/{ids[0]}/approve", headers=HX).status_code == 200
    with statements_of_this_thread(engine) as seen:
        response = client.post(f"/submissions/{ids[1]}/approve", headers=HX)
    assert response.status_code == 200, response.data
    assert b"Approved" in response.data or b"approved" in response.data
    lazy = ("SELECT projects.id", "SELECT brief_versions", "SELECT appeals", "SELECT gold_photos")
    lazy += ("SELECT second_opinions",)
    assert not [s for s in seen if s.startswith(lazy)], "\n".join(seen)
    # 28 when each relation was loaded on first use, 18 when the moves read back what they wrote
    assert len(seen) <= 16, "\n".join(seen)
    # The photo is read to decide and read back for the card; the status move and the
    # approval count take what they wrote from RETURNING instead of reading it again.
    assert len([s for s in seen if s.startswith("SELECT submissions.")]) == 2, "\n".join(seen)
    assert not [s for s in seen if s.startswith("SELECT projects.approved_count")]


def _copies(project_id: int, count: int) -> None:
    """Add ``count`` pending photos to the project, copies of its first one (rows only)."""
    table = Submission.__table__
    row = dict(
        db.session.execute(select(table).where(table.c.project_id == project_id)).first()._mapping
    )
    del row["id"]
    db.session.execute(
        table.insert(),
        [{**row, "dedupe_sha256": f"{n:064x}", "upload_sha256": f"{n:064x}"} for n in range(count)],
    )
    db.session.commit()


def test_review_statements_do_not_grow_with_the_project(app, client):
    """A queue page, an approve and the counters refresh it triggers run as many statements
    with 200 photos in the project as with 10 (nothing reads every photo, nothing per row)."""
    from tests.statements import statements_of_this_thread

    with app.app_context():
        project = make_project(target_count=1000, per_contributor_limit=None)
        for _ in range(10):
            make_processed_submission(project, commit=False)
        db.session.commit()
        project_id, email, engine = project.id, project.members[0].user.email, db.engine
        pending = list(db.session.scalars(select(Submission.id).order_by(Submission.id)))
    login(client, email)
    assert client.post(f"/submissions/{pending[0]}/approve", headers=HX).status_code == 200

    def counts(submission_id: int) -> dict[str, list[str]]:
        seen = {}
        for name, method, url in (
            ("page", "GET", f"/projects/{project_id}/review"),
            ("more", "GET", f"/projects/{project_id}/review?cursor={pending[1]}"),
            ("approved", "GET", f"/projects/{project_id}/review?status=approved"),
            ("approve", "POST", f"/submissions/{submission_id}/approve"),
            ("counters", "GET", f"/projects/{project_id}/review/counters"),
        ):
            with statements_of_this_thread(engine) as seen[name]:
                assert client.open(url, method=method, headers=HX).status_code == 200
        return seen

    small = counts(pending[2])
    with app.app_context():
        _copies(project_id, 190)
    large = counts(pending[3])
    assert {k: len(v) for k, v in small.items()} == {k: len(v) for k, v in large.items()}, large
    # The counters come from the project row loaded to check access: no second read of it.
    assert not [s for s in large["counters"] if s.startswith("SELECT projects.photos")]
