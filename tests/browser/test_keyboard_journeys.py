"""In Chromium, with the keyboard only (no clicks, no fills): a contributor signs in, agrees
and sends a photo; a reviewer signs in and works through a queue."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import htmx_settled
from tests.conftest import BROWSER_TIMEOUT, TEST_PASSWORD
from tests.factories import add_team_member, make_processed_submission, make_project, make_user
from tests.images import photo
from trove.extensions import db

pytestmark = pytest.mark.browser

#: How many Tab presses a journey may need to reach one control before the test gives up.
MAX_TABS = 60


def _tab_to(page: Any, selector: str) -> None:
    """Press Tab until the element matching ``selector`` has focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/login")
    _tab_to(page, "#email")
    page.keyboard.type(email)
    _tab_to(page, "#password")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.locator('.site-nav form[action$="/logout"]').wait_for(state="attached")


def test_a_contributor_sends_a_photo_with_the_keyboard_only(live_server, browser):
    base = live_server.url
    with live_server.app.app_context():
        project = make_project(title="Door handles", target_count=10, per_contributor_limit=5)
        make_user(email="kim@example.org", name="Kim")
        project_id = project.id
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    # Playwright turns on catching file choosers when the first listener comes, without
    # waiting for Chromium to confirm it: listening from the start has it on long before
    # Space opens the chooser (a listener added just before the key press lost the race).
    page.on("filechooser", lambda chooser: None)
    _sign_in(page, base, "kim@example.org")
    page.goto(f"{base}/projects/{project_id}")

    _tab_to(page, "[data-consent]")
    page.keyboard.press("Space")
    expect(page.locator("[data-consent]")).to_be_checked()
    _tab_to(page, "#photo-input")
    # The focused chooser is visible: its label carries the focus ring.
    label = page.locator('label[for="photo-input"]')
    assert label.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(
        files=[{"name": "door.jpg", "mimeType": "image/jpeg", "buffer": photo(800, 600, seed=3)}]
    )
    expect(page.locator("[data-upload-list] .badge-pending_review")).to_have_count(1)
    context.close()


def test_a_reviewer_works_through_the_queue_with_the_keyboard_only(live_server, browser):
    base = live_server.url
    with live_server.app.app_context():
        project = make_project(title="Door handles", target_count=10, per_contributor_limit=None)
        contributor = make_user(email="sam@example.org", name="Sam")
        ids = [make_processed_submission(project, contributor, commit=False).id for _ in range(3)]
        reviewer = add_team_member(project, "reviewer", commit=False)
        db.session.commit()
        project_id, reviewer_email = project.id, reviewer.email
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    _sign_in(page, base, reviewer_email)
    page.goto(f"{base}/projects/{project_id}/review")

    page.keyboard.press("ArrowRight")  # the first card
    first, second, third = (page.locator(f"#submission-{i}") for i in ids)
    expect(first).to_be_focused()
    page.keyboard.press("a")
    expect(first.locator(".badge-approved")).to_be_visible()

    # Decline: R opens the reasons, arrows choose one, Tab reaches the note, Enter sends.
    expect(second).to_be_focused()
    page.keyboard.press("r")
    reason = page.locator(f"#code-{ids[1]}")
    expect(reason).to_be_focused()
    page.keyboard.press("ArrowDown")
    chosen = reason.evaluate("e => e.value")
    assert chosen
    page.keyboard.press("Tab")
    expect(page.locator(f"#note-{ids[1]}")).to_be_focused()
    page.keyboard.type("Hold the phone steady")
    page.keyboard.press("Enter")
    expect(second.locator(".badge-rejected")).to_be_visible()

    # Z opens the zoom page; Esc comes back to the queue.
    expect(third).to_be_focused()
    page.keyboard.press("z")
    page.wait_for_url(f"**/submissions/{ids[2]}/zoom*")
    htmx_settled(page)
    page.keyboard.press("Escape")
    page.wait_for_url(f"**/projects/{project_id}/review*")
    htmx_settled(page)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.locator(f"#submission-{ids[2]}")).to_be_focused()
    page.keyboard.press("a")
    expect(page.locator(f"#submission-{ids[2]} .badge-approved")).to_be_visible()
    context.close()
