"""axe-core on every page and fragment state the browser tests visit, on a phone and a
desktop, as each persona sees it: no critical or serious violation (WCAG 2.2 AA rules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.browser.axe import describe, load_on_every_page, violations
from tests.browser.helpers import sign_in, sign_in_by_ids
from tests.conftest import BROWSER_TIMEOUT, PHONE, seed_once
from tests.factories import (
    add_team_member,
    make_contest,
    make_processed_submission,
    make_project,
    make_user,
)
from trove.accounts.models import Role
from trove.discussions.service import ask_question
from trove.extensions import db
from trove.notifications.service import notify
from trove.payouts.service import prepare_batch
from trove.review.service import approve_submission, reject_submission

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
SCREENS = {"phone": PHONE, "desktop": DESKTOP}


@dataclass
class Lab:
    """A published project with photos in every state, a batch, a contest and a question."""

    project: int
    draft: int
    submitted: int
    pending: int
    approved: int
    declined: int
    batch: int
    contest: int


def _build_lab() -> Lab:
    admin = make_user(Role.ADMIN, email="admin@a11y.example", name="Ada Admin")
    owner = make_user(Role.LAB_MEMBER, email="owner@a11y.example", name="Olive Owner")
    contributor = make_user(
        email="cory@a11y.example", name="Cory Contributor", paypal_email="cory@pay.example"
    )
    project = make_project(owner, title="Shelves in corner shops")
    finance = add_team_member(project, "finance")
    reviewer = add_team_member(project, "reviewer")
    reviewer.email = "rita@a11y.example"
    finance.email = "fin@a11y.example"
    pending = make_processed_submission(project, contributor)
    approved = make_processed_submission(project, contributor)
    declined = make_processed_submission(project, contributor)
    approve_submission(approved, reviewer)
    reject_submission(declined, reviewer, "blurry", "Hold the phone still.")
    db.session.commit()
    [batch] = prepare_batch(project, finance)
    contest = make_contest(project, owner)
    ask_question(project, contributor, "Do reflections on the glass matter?")
    notify(contributor, "test", "Your photo was approved", "/me/photos")
    draft = make_project(owner, title="Bus stops at night", status="draft")
    submitted = make_project(owner, title="Park benches", status="submitted")
    db.session.commit()
    del admin
    return Lab(
        project=project.id,
        draft=draft.id,
        submitted=submitted.id,
        pending=pending.id,
        approved=approved.id,
        declined=declined.id,
        batch=batch.id,
        contest=contest.id,
    )


def _built_lab(app: Any) -> Lab:
    with app.test_request_context():
        return _build_lab()


def _lab(app: Any) -> Lab:
    """Build the lab (once per process: later tests get a copy of its database and files)."""
    return seed_once(app, _built_lab)


def _pages(lab: Lab) -> dict[str | None, list[str]]:
    """The pages each persona visits (None: signed out)."""
    p = f"/projects/{lab.project}"
    return {
        None: [
            "/",
            "/about/collecting-responsibly",
            "/login",
            "/signup",
            "/password/forgot",
            "/login/link",
            "/projects",
            p,
            f"{p}/questions",
        ],
        "cory@a11y.example": [
            p,
            "/me/photos",
            f"/me/photos/{lab.approved}",
            f"/me/photos/{lab.declined}",
            "/me/earnings",
            "/account",
            "/notifications",
            "/me/delete",
            f"/contests/{lab.contest}",
        ],
        "owner@a11y.example": [
            "/lab",
            "/projects/new",
            *[f"/projects/{lab.draft}/brief/{step}" for step in range(1, 6)],
            f"{p}/review",
            f"/submissions/{lab.pending}/zoom",
            f"{p}/team",
            f"{p}/versions",
            f"{p}/audit",
            f"{p}/review/insight",
            f"{p}/review/disagreements",
            f"{p}/datasets",
            f"{p}/contests",
            f"/contests/{lab.contest}",
            f"{p}/questions",
        ],
        "fin@a11y.example": [f"{p}/payouts", f"/payouts/batches/{lab.batch}"],
        "admin@a11y.example": [
            "/admin/",
            "/admin/users",
            "/admin/invitations",
            "/admin/jobs",
            "/vetting",
            f"/vetting/{lab.submitted}",
        ],
    }


def _form_errors(page: Any, base: str) -> dict[str, Any]:
    """Fragment states: forms answered with inline errors (htmx 422 swaps)."""
    states = {}
    page.goto(base + "/login")
    page.locator("#email").fill("nobody@a11y.example")
    page.locator("#password").fill("wrong password")
    page.locator("main form button[type=submit]").first.click()
    page.locator(".error-text, .alert-error").first.wait_for()
    states["/login (refused)"] = violations(page)
    page.goto(base + "/signup")
    page.locator("main form button[type=submit]").first.click()
    page.locator(".field-invalid").first.wait_for()
    states["/signup (errors)"] = violations(page)
    return states


#: Who visits: signed out (None), a contributor, the project's owner, its finance member and
#: an admin. One test per persona, screen and language, so the tour spreads over the pytest
#: processes instead of running its ~140 page visits one after another in one of them.
PERSONAS = [
    None,
    "cory@a11y.example",
    "owner@a11y.example",
    "fin@a11y.example",
    "admin@a11y.example",
]


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda p: (p or "signed-out").split("@")[0])
@pytest.mark.parametrize(
    ("screen", "language"), [("phone", "en"), ("desktop", "en"), ("phone", "ar")]
)
def test_no_serious_accessibility_problem_on_any_page(
    live_server, browser, screen, language, persona
):
    lab = _lab(live_server.app)
    base = live_server.url
    found: dict[str, list[dict[str, Any]]] = {}
    context = browser.new_context(bypass_csp=True, locale=language, **SCREENS[screen])
    load_on_every_page(context)
    # Right to left too: Arabic pages mirror (the language cookie the footer sets).
    context.add_cookies([{"name": "trove_lang", "value": language, "url": base}])
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    if persona:
        sign_in_by_ids(page, base, persona)
    else:
        found.update(_form_errors(page, base))
    for path in _pages(lab)[persona]:
        response = page.goto(base + path)
        assert response.status == 200, (persona, path, response.status)
        found[f"{persona or 'signed out'} {path} [{language}]"] = violations(page)
    context.close()
    problems = {state: v for state, v in found.items() if v}
    assert not problems, "\n" + describe(problems)


def test_the_tour_visits_every_persona():
    assert sorted(_pages(Lab(*range(8))), key=str) == sorted(PERSONAS, key=str)


def _overflow(page: Any) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_keyboard_reaches_what_the_mouse_does_and_nothing_overflows_at_320px(live_server, browser):
    with live_server.app.test_request_context():
        lab = _build_lab()
    base = live_server.url
    context = browser.new_context(viewport={"width": 320, "height": 700})
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)

    sign_in(page, base, "fin@a11y.example")
    for path in (f"/projects/{lab.project}/payouts", f"/payouts/batches/{lab.batch}"):
        page.goto(base + path)
        assert _overflow(page) <= 0, (path, _overflow(page))
    # The batch's table is wider than the screen: it takes focus, so arrow keys scroll it.
    page.locator("#batch-items").focus()
    assert page.evaluate("document.activeElement.id") == "batch-items"

    context.clear_cookies()
    sign_in(page, base, "owner@a11y.example")
    page.goto(base + f"/projects/{lab.project}/review")
    box = page.get_by_role("checkbox", name=f"Select photo #{lab.pending}")
    assert box.count() == 1
    page.goto(base + f"/submissions/{lab.pending}/zoom")
    page.keyboard.press("Escape")
    page.wait_for_url(f"**/projects/{lab.project}/review*")

    context.clear_cookies()
    sign_in(page, base, "cory@a11y.example")
    page.goto(base + f"/projects/{lab.project}")
    page.locator("#photo-input").focus()
    outline = page.locator('label[for="photo-input"]').evaluate(
        "e => getComputedStyle(e).outlineStyle"
    )
    assert outline != "none"
    context.close()
