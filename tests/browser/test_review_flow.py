"""In Chromium: a reviewer clears 30 photos with the keyboard; the contributor sees why."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in
from tests.conftest import BROWSER_TIMEOUT, PHONE, ConsoleWatcher, screenshot
from tests.factories import add_team_member, make_project, make_submission, make_user
from trove.extensions import db

pytestmark = pytest.mark.browser


def test_keyboard_review_of_thirty_photos(live_server, browser):
    base = live_server.url
    with live_server.app.app_context():
        project = make_project(title="Door handles", target_count=40, per_contributor_limit=None)
        contributor = make_user(email="sam@example.org", name="Sam")
        ids = [make_submission(project, contributor, commit=False).id for _ in range(30)]
        reviewer = add_team_member(project, "reviewer", commit=False)
        db.session.commit()
        project_id, reviewer_email = project.id, reviewer.email
    declined = {ids[4]: ("blurry", "Hold the phone steady"), ids[20]: ("person", "")}

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    console = ConsoleWatcher()
    console.attach(page)
    sign_in(page, base, reviewer_email)
    page.goto(f"{base}/projects/{project_id}/review")
    expect(page.locator("[data-review-card]")).to_have_count(30)
    page.keyboard.press("ArrowRight")  # focus the first card
    for submission_id in ids:
        card = page.locator(f"#submission-{submission_id}")
        expect(card).to_be_focused()
        if submission_id in declined:
            code, note = declined[submission_id]
            page.keyboard.press("r")
            page.locator(f"#code-{submission_id}").select_option(code)
            page.locator(f"#note-{submission_id}").fill(note)
            page.locator(f"#note-{submission_id}").press("Enter")
            expect(card.locator(".badge-rejected")).to_be_visible()
        else:
            page.keyboard.press("a")
            expect(card.locator(".badge-approved")).to_be_visible()
    counters = page.locator("#review-counters")
    expect(counters).to_contain_text("28 / 40")
    expect(counters.locator("div").first).to_contain_text("0")
    screenshot(page, "review-queue-desktop")

    # U undoes the last decision, and A re-approves it.
    page.keyboard.press("u")
    last = page.locator(f"#submission-{ids[-1]}")
    expect(last.locator(".badge-pending_review")).to_be_visible()
    expect(counters).to_contain_text("27 / 40")
    last.focus()
    page.keyboard.press("a")
    expect(last.locator(".badge-approved")).to_be_visible()
    assert console.csp_violations() == [] and console.unexpected() == []
    context.close()

    # The contributor sees the two reasons on a phone.
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    sign_in(page, base, "sam@example.org")
    page.goto(f"{base}/me/photos?status=rejected")
    expect(page.locator(".photo-list .photo-card")).to_have_count(2)
    expect(page.get_by_text("The photo is blurry or out of focus.")).to_be_visible()
    expect(page.get_by_text("“Hold the phone steady”")).to_be_visible()
    expect(page.get_by_text("The photo contains a person or a face.")).to_be_visible()
    screenshot(page, "declined-reasons-phone")
    phone.close()
