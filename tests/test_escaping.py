"""Every user-supplied text is escaped wherever it is rendered.

One world is built once for the module, through the real HTTP forms where a person types
the text (the wizard, Q&A, review, contests, datasets, payouts, profile, admin) and through
the service layer where no form exists. Each text carries markup, quotes, an ampersand and
a Jinja expression. Every page that shows it must carry the escaped form and never the raw
one; ``PAGES`` lists which page shows which text to whom, so coverage can be read off it.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select

from tests.conftest import BACKEND, TEST_PASSWORD, _empty_tables, base_config, login
from tests.factories import make_project, make_user
from tests.images import photo
from tests.signup import confirmation_path
from trove import create_app
from trove import mail as trove_mail
from trove.accounts.invitations import invite_lab_member
from trove.accounts.models import Role, User
from trove.contests import service as contests
from trove.contests.models import ContestWinner
from trove.exports.service import pseudonym_for
from trove.extensions import db
from trove.payouts.models import PayoutBatch, PayoutItem
from trove.projects import team as teams
from trove.projects.models import Project, TeamRole
from trove.templating import linkify
from trove.timeutil import utcnow

#: Markup, both quotes, an ampersand and a template expression that must stay text.
PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(1)>\"'&{{7*7}}"


def tainted(tag: str) -> str:
    """Return the payload behind a tag naming the field (so a page cannot pass on another's)."""
    return f"{tag}:{PAYLOAD}"


def tainted_email(tag: str) -> str:
    """Return an address that passes the e-mail validators yet needs escaping."""
    return f"{tag}'&{{{{7*7}}}}@example.org"


#: What each field holds. Uploads lose everything up to a slash (and the test client cuts
#: a file name at a double quote), so the file name carries its markup without either.
FIELDS: dict[str, str] = {
    "project title": tainted("title"),
    "summary": tainted("summary"),
    "beneficiaries": tainted("benefits"),
    "must show": tainted("must-show"),
    "must not show": tainted("must-not"),
    "usage": tainted("usage"),
    "access": tainted("access"),
    "licence": tainted("licence"),
    "ethics reference": tainted("ethics"),
    "example caption": tainted("caption"),
    "closed title": tainted("closed"),
    "close reason": tainted("close-reason"),
    "draft title": tainted("draft"),
    "send-back comment": tainted("send-back"),
    "vetting title": tainted("vetting"),
    "vetting ethics": tainted("vet-ethics"),
    "admin name": tainted("admin"),
    "owner name": tainted("owner"),
    "reviewer name": tainted("reviewer"),
    "steward name": tainted("steward"),
    "viewer name": tainted("viewer"),
    "sam name": tainted("sam"),
    "kim name": tainted("kim"),
    "lee name": tainted("lee"),
    "steward email": tainted_email("steward"),
    "viewer email": tainted("viewer-mail") + "@example.org",  # set by the service, unchecked
    "sam paypal": tainted_email("sam"),
    "lee paypal": tainted_email("lee"),
    "file name": "<svg onload=alert(1)><img src=x onerror=alert(1)>'&{{7*7}}.jpg",
    "rejection note": tainted("note"),
    "appeal": tainted("appeal"),
    "question": tainted("question"),
    "answer": tainted("answer"),
    "contest title": tainted("contest"),
    "prize": tainted("prize"),
    "rules": tainted("rules"),
    "exclusion reason": tainted("exclude"),
    "drawn title": tainted("drawn"),
    "drawn prize": tainted("drawn-prize"),
    "drawn rules": tainted("drawn-rules"),
    "fulfilment": tainted("fulfil"),
    "version note": tainted("version-note"),
    "seed": "<img src=x onerror=alert(1)>\"'&{{7*7}}",  # 64 characters at most
    "use": tainted("use"),
    "payment note": tainted("pay-note"),
    "invited email": tainted_email("invitee"),  # through the admin's form
    "invitation email": tainted("invite") + "@example.org",  # through the service
}

#: Who signs in for a page (anonymous visitors sign in as nobody).
EMAILS = {
    "admin": "admin@example.org",
    "owner": "owner@example.org",
    "reviewer": "reviewer@example.org",
    "steward": FIELDS["steward email"],
    "sam": "sam@example.org",
    "kim": "kim@example.org",
}

HX = {"HX-Request": "true"}

#: Raw markup that must never reach a page (the escaped text still shows its words).
DANGEROUS = ("<script>alert", "<img src=x", "<svg onload")


# --- the world -------------------------------------------------------------------------------


@dataclass
class World:
    """Ids of everything the pages point at, and the invitation link's token."""

    ids: dict[str, int] = field(default_factory=dict)
    token: str = ""
    mail: list[Any] = field(default_factory=list)  # the e-mails building it sent

    def url(self, template: str) -> str:
        """Fill ``template``'s ``{name}`` placeholders."""
        return template.format(token=self.token, **self.ids)


def _ok(response: Any, *codes: int) -> Any:
    assert response.status_code in (codes or (201, 204, 303)), (
        response.status_code,
        response.data[:1000],
    )
    return response


def _id_in(text: str, pattern: str) -> int:
    match = re.search(pattern, text)
    assert match, (pattern, text[:300])
    return int(match.group(1))


def _signed_in(app: Flask, who: str) -> FlaskClient:
    client = app.test_client()
    if who != "anonymous":
        login(client, EMAILS[who])
    return client


def _upload(client: FlaskClient, project_id: int, version_id: int, name: str, seed: int) -> int:
    response = _ok(
        client.post(
            f"/projects/{project_id}/submissions",
            data={"photos": (io.BytesIO(photo(seed=seed)), name), "consent": str(version_id)},
            content_type="multipart/form-data",
            headers=HX,
        ),
        201,
    )
    return _id_in(response.get_data(as_text=True), r'id="submission-(\d+)"')


def _create_people(app: Flask) -> dict[str, int]:
    with app.app_context():
        people = {
            "admin": make_user(Role.ADMIN, email=EMAILS["admin"], name=FIELDS["admin name"]),
            "owner": make_user(Role.LAB_MEMBER, email=EMAILS["owner"], name=FIELDS["owner name"]),
            "reviewer": make_user(
                Role.LAB_MEMBER, email=EMAILS["reviewer"], name=FIELDS["reviewer name"]
            ),
            "steward": make_user(
                Role.LAB_MEMBER, email=EMAILS["steward"], name=FIELDS["steward name"]
            ),
            "viewer": make_user(
                Role.LAB_MEMBER, email=FIELDS["viewer email"], name=FIELDS["viewer name"]
            ),
            "sam": make_user(email=EMAILS["sam"], name="Sam"),  # renamed through the profile
            "kim": make_user(email=EMAILS["kim"], name=FIELDS["kim name"]),
            "lee": make_user(
                email="lee@example.org", name=FIELDS["lee name"], paypal_email=FIELDS["lee paypal"]
            ),
        }
        return {f"{key}_id": user.id for key, user in people.items()}


def _write_brief(owner: FlaskClient, admin: FlaskClient) -> int:
    """Create, submit and publish the main project through the wizard's forms."""
    response = _ok(
        owner.post(
            "/projects",
            data={
                "title": FIELDS["project title"],
                "summary": FIELDS["summary"],
                "beneficiaries": FIELDS["beneficiaries"],
            },
        )
    )
    project_id = _id_in(response.headers["Location"], r"/projects/(\d+)/")
    _ok(
        owner.post(
            f"/projects/{project_id}/brief/2",
            data={
                "must_show": FIELDS["must show"],
                "must_not_show": FIELDS["must not show"],
                "usage": FIELDS["usage"],
                "access": FIELDS["access"],
                "retention_days": "365",
                "withdrawal_grace_days": "14",
                "licence_text": FIELDS["licence"],
                "ethics_reference": FIELDS["ethics reference"],
            },
        )
    )
    _ok(
        owner.post(
            f"/projects/{project_id}/examples",
            data={
                "caption": FIELDS["example caption"],
                "kind": "good",
                "image": (io.BytesIO(photo(seed=7)), "example.jpg"),
            },
            content_type="multipart/form-data",
        )
    )
    _ok(owner.post(f"/projects/{project_id}/brief/3"))
    _ok(
        owner.post(
            f"/projects/{project_id}/brief/4",
            data={
                "target_count": "100",
                "currency": "USD",
                "pay": "1.50",
                "deadline": (date.today() + timedelta(days=60)).isoformat(),
            },
        )
    )
    _ok(owner.post(f"/projects/{project_id}/brief/5", data={"confirm": "y"}))
    _ok(owner.post(f"/projects/{project_id}/submit"))
    _ok(admin.post(f"/vetting/{project_id}/publish"))
    return project_id


def build_world(app: Flask) -> World:
    """Fill the database with tainted text in every field a person can write."""
    world = World(ids=_create_people(app))
    ids = world.ids
    admin, owner, reviewer, steward, sam, kim = (
        _signed_in(app, who) for who in ("admin", "owner", "reviewer", "steward", "sam", "kim")
    )
    lee = app.test_client()
    login(lee, "lee@example.org")
    _ok(
        sam.post(
            "/account",
            data={
                "display_name": FIELDS["sam name"],
                "paypal_email": FIELDS["sam paypal"],
                "password": TEST_PASSWORD,
            },
        )
    )

    project_id = ids["project"] = _write_brief(owner, admin)
    for who in ("reviewer", "steward"):
        _ok(owner.post(f"/projects/{project_id}/team", data={"email": EMAILS[who], "role": who}))
    with app.test_request_context("/"):
        project = db.session.get(Project, project_id)
        teams.add_member(
            project, project.created_by, db.session.get(User, ids["viewer_id"]), TeamRole.VIEWER
        )
        db.session.commit()
        version_id = project.current_version_id

    # Photos: Sam's carry the tainted file name; one of them is declined and appealed.
    ids["sam_photo"] = _upload(sam, project_id, version_id, FIELDS["file name"], 11)
    ids["declined"] = _upload(sam, project_id, version_id, FIELDS["file name"], 12)
    kim_photos = [_upload(kim, project_id, version_id, "kim.jpg", seed) for seed in (21, 22)]
    lee_photo = _upload(lee, project_id, version_id, "lee.jpg", 31)
    ids["pending"] = _upload(lee, project_id, version_id, "lee-2.jpg", 32)
    for submission_id in (ids["sam_photo"], *kim_photos, lee_photo):
        _ok(reviewer.post(f"/submissions/{submission_id}/approve"))
    _ok(
        reviewer.post(
            f"/submissions/{ids['declined']}/reject",
            data={"code": "other", "note": FIELDS["rejection note"]},
        )
    )
    _ok(sam.post(f"/submissions/{ids['declined']}/appeal", data={"message": FIELDS["appeal"]}))

    # Q&A: Sam asks, the owner answers and pins the answer into the brief's FAQ.
    response = _ok(sam.post(f"/projects/{project_id}/questions", data={"body": FIELDS["question"]}))
    ids["question"] = _id_in(response.headers["Location"], r"#post-(\d+)")
    response = _ok(owner.post(f"/posts/{ids['question']}/replies", data={"body": FIELDS["answer"]}))
    ids["answer"] = _id_in(response.headers["Location"], r"#post-(\d+)")
    _ok(owner.post(f"/posts/{ids['answer']}/pin", data={"pinned": "1"}))

    # Contests: an open one (Kim excluded), and a drawn one whose prize reached Sam.
    now = utcnow().replace(second=0, microsecond=0)
    response = _ok(
        owner.post(
            f"/projects/{project_id}/contests",
            data={
                "title": FIELDS["contest title"],
                "prize": FIELDS["prize"],
                "rules": FIELDS["rules"],
                "starts_at": (now - timedelta(days=1)).isoformat(),
                "ends_at": (now + timedelta(days=7)).isoformat(),
                "winner_count": "1",
                "referral_bonus": "1",
            },
        )
    )
    ids["contest"] = _id_in(response.headers["Location"], r"/contests/(\d+)")
    with app.test_request_context("/"):
        kim_pseudonym = pseudonym_for(db.session.get(Project, project_id), ids["kim_id"])
    _ok(
        owner.post(
            f"/contests/{ids['contest']}/exclude",
            data={"contributor": kim_pseudonym, "reason": FIELDS["exclusion reason"]},
        )
    )
    with app.test_request_context("/"):
        project = db.session.get(Project, project_id)
        drawn = contests.create_contest(
            project,
            project.created_by,
            contests.ContestTerms(
                title=FIELDS["drawn title"],
                prize=FIELDS["drawn prize"],
                rules=FIELDS["drawn rules"],
                starts_at=utcnow() - timedelta(days=1),
                ends_at=utcnow(),
                winner_count=3,
            ),
        )
        db.session.flush()
        contests.draw(drawn, project.created_by)
        db.session.commit()
        ids["drawn"] = drawn.id
        ids["winner"] = db.session.scalar(
            select(ContestWinner.id).where(
                ContestWinner.contest_id == drawn.id, ContestWinner.user_id == ids["sam_id"]
            )
        )
    _ok(
        owner.post(
            f"/contests/winners/{ids['winner']}/fulfil", data={"fulfilment": FIELDS["fulfilment"]}
        )
    )

    # Datasets: the steward cuts a version with a note and a seed, records a use, downloads.
    response = _ok(
        steward.post(
            f"/projects/{project_id}/datasets",
            data={
                "train_percent": "80",
                "validation_percent": "10",
                "test_percent": "10",
                "seed": FIELDS["seed"],
                "note": FIELDS["version note"],
            },
        )
    )
    ids["version"] = _id_in(response.headers["Location"], r"/datasets/(\d+)")
    _ok(
        steward.post(
            f"/datasets/{ids['version']}/uses",
            data={"kind": "paper", "description": FIELDS["use"], "url": "https://example.org/p"},
        )
    )
    with steward.get(f"/datasets/{ids['version']}/download") as download:
        _ok(download, 200)
    _ok(kim.post("/me/withdraw", data={"photo": str(kim_photos[1])}))

    # Payouts, paid by hand: Sam's payment fails with the finance team's note.
    _ok(owner.post(f"/projects/{project_id}/payouts/prepare"))
    with app.app_context():
        ids["batch"] = db.session.scalar(select(PayoutBatch.id))
        sam_item = db.session.scalar(
            select(PayoutItem.id).where(PayoutItem.contributor_id == ids["sam_id"])
        )
    for step in ("approve", "send"):
        _ok(owner.post(f"/payouts/batches/{ids['batch']}/{step}"))
    _ok(
        owner.post(
            f"/payouts/batches/{ids['batch']}/mark",
            data={"item": str(sam_item), "outcome": "failed", "note": FIELDS["payment note"]},
        )
    )

    # Other projects: one closed with a reason, one sent back, one waiting for vetting.
    with app.app_context():
        owner_user = db.session.get(User, ids["owner_id"])
        ids["closed"] = make_project(owner_user, title=FIELDS["closed title"]).id
        ids["draft"] = make_project(owner_user, title=FIELDS["draft title"], status="submitted").id
        ids["vetting"] = make_project(
            owner_user,
            title=FIELDS["vetting title"],
            ethics_reference=FIELDS["vetting ethics"],
            status="submitted",
        ).id
    _ok(owner.post(f"/projects/{ids['closed']}/close", data={"reason": FIELDS["close reason"]}))
    _ok(
        admin.post(
            f"/vetting/{ids['draft']}/send-back", data={"comment": FIELDS["send-back comment"]}
        )
    )

    # Invitations: one through the admin's form, one through the service (for its token).
    _ok(admin.post("/admin/invitations", data={"email": FIELDS["invited email"]}))
    with app.test_request_context("/"):
        inviter = db.session.get(User, ids["admin_id"])
        _invitation, world.token = invite_lab_member(inviter, FIELDS["invitation email"])
        db.session.commit()
    _ok(kim.post("/notifications/read-all"))  # read notifications render as links
    world.mail = list(trove_mail.outbox)
    return world


@pytest.fixture(scope="module")
def world_app(migrated_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app and one tainted world for the module (building it once keeps the file fast)."""
    workdir: Path = tmp_path_factory.mktemp("escaping")
    if BACKEND == "postgresql":
        _empty_tables(migrated_db)
        url = migrated_db
    else:
        shutil.copyfile(migrated_db, workdir / "trove.sqlite3")
        url = f"sqlite:///{workdir / 'trove.sqlite3'}"
    app = create_app(base_config(workdir, url))
    trove_mail.outbox.clear()
    app.extensions["escaping_world"] = build_world(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def world(world_app: Flask) -> World:
    """Return the ids of the module's world."""
    return world_app.extensions["escaping_world"]


# --- assertions ------------------------------------------------------------------------------


def assert_shown_escaped(body: str, *values: str) -> None:
    """Assert each value shows up escaped in ``body`` and never raw, and no markup leaked."""
    for value in values:
        assert str(escape(value)) in body, f"{value!r} is not on the page (escaped)"
        assert value not in body, f"{value!r} is on the page unescaped"
    leaked = [raw for raw in DANGEROUS if raw in body]
    assert leaked == [], f"raw markup on the page: {leaked}"


def assert_escaped(body: str, names: list[str]) -> None:
    """Assert the ``FIELDS`` called ``names`` show up escaped in ``body``, never raw."""
    for name in names:
        value = FIELDS[name]
        assert str(escape(value)) in body, f"{name} is not on the page (escaped)"
        assert value not in body, f"{name} is on the page unescaped"
    assert_shown_escaped(body)


def _get(app: Flask, who: str, url: str, *, htmx: bool = False) -> Any:
    response = _signed_in(app, who).get(url, headers=HX if htmx else {})
    assert response.status_code == 200, (url, response.status_code, response.data[:500])
    assert response.mimetype == "text/html"
    return response


# --- pages -----------------------------------------------------------------------------------

BRIEF_TEXT = [
    "project title",
    "summary",
    "beneficiaries",
    "must show",
    "must not show",
    "usage",
    "access",
    "licence",
    "ethics reference",
    "example caption",
]
TEAM_NAMES = ["owner name", "reviewer name", "steward name", "viewer name"]


@dataclass(frozen=True)
class Page:
    """A page, who looks at it, and the fields it must show escaped."""

    who: str
    url: str
    fields: list[str]
    htmx: bool = False  # ask for the htmx fragment instead of the page


PAGES = {
    # Public pages.
    "home": Page("anonymous", "/", ["project title", "summary"]),
    "catalogue": Page("anonymous", "/projects", ["project title", "summary"]),
    "catalogue fragment": Page("anonymous", "/projects", ["project title", "summary"], True),
    "brief": Page(
        "anonymous",
        "/projects/{project}",
        [*BRIEF_TEXT, *TEAM_NAMES, "prize", "question", "answer"],
    ),
    "brief as its owner": Page("owner", "/projects/{project}", BRIEF_TEXT),
    "closed brief": Page("anonymous", "/projects/{closed}", ["closed title", "close reason"]),
    "thread": Page(
        "anonymous",
        "/projects/{project}/questions",
        ["project title", "question", "answer", "sam name", "owner name"],
    ),
    "thread fragment": Page(
        "anonymous",
        "/projects/{project}/questions",
        ["question", "answer", "sam name", "owner name"],
        True,
    ),
    "question page": Page(
        "anonymous",
        "/posts/{question}",
        ["project title", "question", "answer", "sam name", "owner name"],
    ),
    "question fragment": Page("anonymous", "/posts/{question}", ["question", "sam name"], True),
    "contest": Page(
        "anonymous", "/contests/{contest}", ["project title", "contest title", "prize", "rules"]
    ),
    "drawn contest": Page(
        "anonymous", "/contests/{drawn}", ["drawn title", "drawn prize", "drawn rules"]
    ),
    "invitation": Page("anonymous", "/invitations/{token}", ["admin name", "invitation email"]),
    # The contributor's own pages.
    "my photos": Page("sam", "/me/photos", ["file name", "project title", "rejection note"]),
    "my photos fragment": Page(
        "sam", "/me/photos", ["file name", "project title", "rejection note"], True
    ),
    "photo card fragment": Page(
        "sam",
        "/submissions/{declined}/card",
        ["file name", "project title", "rejection note"],
        True,
    ),
    "photo receipt": Page(
        "sam", "/me/photos/{sam_photo}", ["file name", "project title", "licence", "use"]
    ),
    "withdrawal": Page("sam", "/me/withdraw?project={project}", ["file name", "project title"]),
    "edit a question": Page("sam", "/posts/{question}/edit", ["question"]),
    "edit a question fragment": Page("sam", "/posts/{question}/edit", ["question"], True),
    "notifications": Page(
        "sam",
        "/notifications",
        ["project title", "rejection note", "owner name", "answer", "drawn title", "fulfilment"],
    ),
    "notifications fragment": Page(
        "sam", "/notifications", ["rejection note", "answer", "fulfilment"], True
    ),
    "earnings": Page("sam", "/me/earnings", ["project title", "sam paypal", "payment note"]),
    "profile": Page("sam", "/account", ["sam name", "sam paypal"]),
    "contest as a winner": Page("sam", "/contests/{drawn}", ["drawn title", "fulfilment"]),
    "read notifications": Page("kim", "/notifications", ["project title"]),
    "owner notifications": Page(
        "owner", "/notifications", ["project title", "sam name", "question"]
    ),
    # The team's pages.
    "lab": Page("owner", "/lab", ["project title", "draft title", "vetting title"]),
    "sent-back draft": Page("owner", "/projects/{draft}", ["draft title", "send-back comment"]),
    "wizard step 1": Page(
        "owner", "/projects/{project}/brief/1", ["project title", "summary", "beneficiaries"]
    ),
    "wizard step 2": Page(
        "owner",
        "/projects/{project}/brief/2",
        ["must show", "must not show", "usage", "access", "licence", "ethics reference"],
    ),
    "wizard step 3": Page("owner", "/projects/{project}/brief/3", ["example caption"]),
    "wizard step 5": Page("owner", "/projects/{project}/brief/5", ["owner name"]),
    "versions": Page("owner", "/projects/{project}/versions", ["project title"]),
    "team": Page(
        "owner",
        "/projects/{project}/team",
        ["project title", *TEAM_NAMES, "steward email", "viewer email"],
    ),
    "review queue": Page(
        "reviewer",
        "/projects/{project}/review?status=rejected",
        ["project title", "rejection note", "appeal"],
    ),
    "review queue fragment": Page(
        "reviewer", "/projects/{project}/review?status=rejected", ["rejection note", "appeal"], True
    ),
    "zoom": Page("reviewer", "/submissions/{declined}/zoom", ["rejection note", "appeal"]),
    "audit log": Page(
        "owner",
        "/projects/{project}/audit",
        ["project title", "owner name", "reviewer name", "steward name"],
    ),
    "contests of the project": Page(
        "owner",
        "/projects/{project}/contests",
        ["project title", "contest title", "prize", "drawn title", "drawn prize"],
    ),
    "leaderboard": Page(
        "owner",
        "/contests/{contest}",
        ["contest title", "exclusion reason"],
    ),
    "winners": Page("owner", "/contests/{drawn}", ["drawn title", "fulfilment"]),
    "prize contact": Page(
        "owner",
        "/contests/winners/{winner}/prize",
        ["drawn title", "drawn prize", "sam name", "sam paypal"],
    ),
    "datasets": Page(
        "owner", "/projects/{project}/datasets", ["project title", "steward name", "steward email"]
    ),
    "dataset version": Page(
        "steward",
        "/datasets/{version}",
        ["project title", "version note", "use", "steward name", "seed"],
    ),
    "payouts": Page(
        "owner",
        "/projects/{project}/payouts",
        ["project title", "sam name", "sam paypal", "kim name", "owner name"],
    ),
    "payout batch": Page(
        "owner",
        "/payouts/batches/{batch}",
        ["project title", "sam name", "sam paypal", "lee name", "lee paypal", "payment note"],
    ),
    # Admin pages.
    "vetting": Page("admin", "/vetting", ["vetting title", "owner name"]),
    "vet a brief": Page("admin", "/vetting/{vetting}", ["vetting title", "vetting ethics"]),
    "people": Page(
        "admin",
        "/admin/users",
        [*TEAM_NAMES, "admin name", "sam name", "kim name", "steward email", "viewer email"],
    ),
    "invitations": Page(
        "admin", "/admin/invitations", ["invited email", "invitation email", "admin name"]
    ),
    "dashboard": Page("admin", "/admin/", ["admin name", "owner name"]),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_user_text_is_escaped_on_every_page(world_app, world, name):
    page = PAGES[name]
    response = _get(world_app, page.who, world.url(page.url), htmx=page.htmx)
    body = response.get_data(as_text=True)
    if page.htmx:
        assert "<html" not in body, "asked for a fragment, got the page"
    assert_escaped(body, page.fields)


def test_every_field_is_checked_on_some_page():
    shown = {name for page in PAGES.values() for name in page.fields}
    assert set(FIELDS) - shown == set()


# --- values echoed back in forms and messages ------------------------------------------------


def test_search_words_are_echoed_escaped(world_app):
    response = _get(world_app, "anonymous", "/projects?q=" + PAYLOAD.replace("&", "%26"))
    body = response.get_data(as_text=True)
    assert f'value="{escape(PAYLOAD)}"' in body
    assert PAYLOAD not in body
    fragment = _get(world_app, "anonymous", "/projects?q=%3Cscript%3E", htmx=True)
    assert "<script>" not in fragment.get_data(as_text=True)


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("anonymous", "/login?next=/x%22%3E%3Cscript%3Ealert(1)%3C/script%3E"),
        ("anonymous", "/signup?next=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"),
        ("anonymous", "/signup?ref=%22%3E%3Csvg%20onload=1%3E"),
        ("owner", "/projects/{project}/audit?action=%22%3E%3Cscript%3Ealert(1)%3C/script%3E"),
        ("reviewer", "/projects/{project}/review?status=%22%3E%3Cscript%3E&sort=%3Cscript%3E"),
        ("sam", "/me/photos?status=%3Cscript%3Ealert(1)%3C/script%3E"),
    ],
)
def test_query_parameters_are_not_reflected_as_markup(world_app, world, who, url):
    body = _get(world_app, who, world.url(url)).get_data(as_text=True)
    assert "<script>alert" not in body and "<svg onload" not in body


def test_invalid_forms_echo_the_typed_text_escaped(world_app, world):
    owner = _signed_in(world_app, "owner")
    contest = owner.post(
        world.url("/projects/{project}/contests"),
        data={"title": FIELDS["contest title"], "prize": FIELDS["prize"], "rules": ""},
        headers=HX,
    )
    assert contest.status_code == 422
    assert_escaped(contest.get_data(as_text=True), ["contest title", "prize"])

    steward = _signed_in(world_app, "steward")
    cut = steward.post(
        world.url("/projects/{project}/datasets"),
        data={
            "train_percent": "50",
            "validation_percent": "10",
            "test_percent": "10",
            "seed": FIELDS["seed"],
            "note": FIELDS["version note"],
        },
        headers=HX,
    )
    assert cut.status_code == 422
    assert_escaped(cut.get_data(as_text=True), ["seed", "version note"])

    sam = _signed_in(world_app, "sam")
    name = tainted("new-name")
    profile = sam.post(
        "/account", data={"display_name": name, "paypal_email": "not an address"}, headers=HX
    )
    assert profile.status_code == 422
    assert_shown_escaped(profile.get_data(as_text=True), name)

    too_long = tainted("too-long") + " " + "x" * 5000
    question = sam.post(
        world.url("/projects/{project}/questions"), data={"body": too_long}, headers=HX
    )
    assert question.status_code == 422
    assert_shown_escaped(question.get_data(as_text=True), too_long)


def test_htmx_answers_to_changes_escape_the_new_text(world_app, world):
    kim = _signed_in(world_app, "kim")
    text = {key: tainted(f"hx-{key}") for key in ("question", "edit", "reply", "note", "use")}
    asked = kim.post(
        world.url("/projects/{project}/questions"), data={"body": text["question"]}, headers=HX
    )
    assert asked.status_code == 200 and "<html" not in asked.get_data(as_text=True)
    assert_shown_escaped(asked.get_data(as_text=True), text["question"], FIELDS["kim name"])
    question_id = _id_in(asked.get_data(as_text=True), r'id="post-(\d+)"')
    reviewer = _signed_in(world_app, "reviewer")
    steward = _signed_in(world_app, "steward")
    for client, url, data, shown in (
        (kim, f"/posts/{question_id}/edit", {"body": text["edit"]}, text["edit"]),
        (kim, f"/posts/{question_id}/replies", {"body": text["reply"]}, text["reply"]),
        (
            reviewer,
            world.url("/submissions/{pending}/reject"),
            {"code": "other", "note": text["note"]},
            text["note"],
        ),
        (
            steward,
            world.url("/datasets/{version}/uses"),
            {"kind": "model", "description": text["use"]},
            text["use"],
        ),
    ):
        answer = client.post(url, data=data, headers=HX)
        assert answer.status_code == 200, url
        assert_shown_escaped(answer.get_data(as_text=True), shown)


def test_an_upload_error_names_the_file_escaped(world_app, world):
    sam = _signed_in(world_app, "sam")
    name = FIELDS["file name"]
    response = sam.post(
        world.url("/projects/{project}/submissions"),
        data={"photos": (io.BytesIO(b"not a photo at all"), name), "consent": "1"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f"{escape(name)}: " in body  # the flashed "name: why" line
    assert_shown_escaped(body, name)


def test_the_welcome_message_escapes_the_new_name(world_app):
    client = world_app.test_client()
    client.post(
        "/signup",
        data={
            "email": "new@example.org",
            "display_name": tainted("welcome"),
            "password": "correct horse battery",
        },
    )
    response = client.post(
        confirmation_path("new@example.org"),
        data={"password": "correct horse battery"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert_shown_escaped(response.get_data(as_text=True), tainted("welcome"))


def test_invitation_errors_escape_the_address(world_app, world):
    admin = _signed_in(world_app, "admin")
    response = admin.post("/admin/invitations", data={"email": FIELDS["steward email"]})
    assert response.status_code == 422  # already a lab member: the message names the address
    assert_escaped(response.get_data(as_text=True), ["steward email"])


# --- links in Q&A text (the only rich text there is; no Markdown is rendered) ----------------


@pytest.mark.parametrize(
    ("text", "html"),
    [
        (
            'see https://example.org/a?b=1&c=2"><script>alert(1)</script>',
            'see <a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener noreferrer"'
            ' target="_blank">https://example.org/a?b=1&amp;c=2</a>&#34;&gt;&lt;script&gt;'
            "alert(1)&lt;/script&gt;",
        ),
        (
            "https://example.org/x'onmouseover='alert(1)",
            '<a href="https://example.org/x" rel="nofollow noopener noreferrer" target="_blank">'
            "https://example.org/x</a>&#39;onmouseover=&#39;alert(1)",
        ),
        (
            "https://example.org/&quot;onmouseover=alert(1)",
            '<a href="https://example.org/&amp;quot;onmouseover=alert(1" rel="nofollow noopener'
            ' noreferrer" target="_blank">https://example.org/&amp;quot;onmouseover=alert(1</a>)',
        ),
        ("javascript:alert(1) <b>bold</b>", "javascript:alert(1) &lt;b&gt;bold&lt;/b&gt;"),
        ("data:text/html,<script>x</script>", "data:text/html,&lt;script&gt;x&lt;/script&gt;"),
        ("line one\n<i>two</i>", "line one<br>&lt;i&gt;two&lt;/i&gt;"),
    ],
)
def test_linkify_escapes_everything_but_its_own_links(text, html):
    assert str(linkify(text)) == html


def test_links_in_questions_reach_the_page_escaped(world_app, world):
    kim = _signed_in(world_app, "kim")
    body = 'Is https://example.org/?q="><script>alert(1)</script> allowed? ' + PAYLOAD
    asked = kim.post(world.url("/projects/{project}/questions"), data={"body": body}, headers=HX)
    assert asked.status_code == 200
    question_id = _id_in(asked.get_data(as_text=True), r'id="post-(\d+)"')
    page = _get(world_app, "anonymous", f"/posts/{question_id}").get_data(as_text=True)
    assert '<a href="https://example.org/?q=" rel="nofollow noopener noreferrer"' in page
    assert_shown_escaped(page, PAYLOAD)


def test_a_use_link_must_be_http(world_app, world):
    steward = _signed_in(world_app, "steward")
    for url in ("javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:text/html,<b>x</b>"):
        response = steward.post(
            world.url("/datasets/{version}/uses"),
            data={"kind": "paper", "description": "A paper", "url": url},
            headers=HX,
        )
        assert response.status_code == 422, url
    page = _get(world_app, "steward", world.url("/datasets/{version}")).get_data(as_text=True)
    assert 'href="javascript' not in page.lower() and 'href="data:' not in page


# --- responses that are not HTML ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "url", "mimetype"),
    [
        ("steward", "/projects/{project}/deletion-list.json", "application/json"),
        ("anonymous", "/contests/{drawn}/entries.json", "application/json"),
        ("owner", "/contests/{contest}/entries.json", "application/json"),
        ("owner", "/projects/{project}/payouts/export.csv", "text/csv"),
        ("owner", "/projects/{project}/payouts/payees.csv", "text/csv"),
        ("owner", "/payouts/batches/{batch}/paypal.csv", "text/csv"),
        ("sam", "/me/data", "application/zip"),
    ],
)
def test_data_endpoints_are_never_served_as_html(world_app, world, who, url, mimetype):
    with _signed_in(world_app, who).get(world.url(url)) as response:
        assert response.status_code == 200, response.data[:300]
        assert response.mimetype == mimetype
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_deletion_list_carries_the_title_as_data(world_app, world):
    response = _signed_in(world_app, "steward").get(
        world.url("/projects/{project}/deletion-list.json")
    )
    assert json.loads(response.data)["title"] == FIELDS["project title"]
    assert response.mimetype == "application/json"


def test_emails_carry_the_text_as_plain_text(world):
    bodies = [message.get_content() for message in world.mail]
    assert {message.get_content_type() for message in world.mail} == {"text/plain"}
    assert any(FIELDS["question"] in body for body in bodies)  # the owner heard of it
