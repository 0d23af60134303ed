"""In Chromium: a sampled approval is held, a second reviewer disputes it, the owner decides."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import desktop_page, phone_page, sign_in
from tests.conftest import screenshot
from tests.factories import add_team_member, make_processed_submission, make_project, make_user
from trove.extensions import db

pytestmark = pytest.mark.browser


def test_second_opinion_from_approval_to_the_owners_decision(live_server, browser):
    base = live_server.url
    with live_server.app.app_context():
        project = make_project(title="Door handles", per_contributor_limit=None)
        project.second_opinion_percent = 100
        contributor = make_user(email="sam@example.org", name="Sam")
        ids = [make_processed_submission(project, contributor, commit=False).id for _ in range(2)]
        first = add_team_member(project, "reviewer", commit=False)
        first.display_name = "Rita Reviewer"
        other = add_team_member(project, "reviewer", commit=False)
        other.display_name = "Omar Other"
        db.session.commit()
        project_id, owner_email = project.id, project.members[0].user.email
        first_email, other_email = first.email, other.email
    confirmed, disputed = ids

    # The first reviewer approves both with the keyboard; each is held for a final check.
    context, page, console = desktop_page(browser)
    sign_in(page, base, first_email)
    page.goto(f"{base}/projects/{project_id}/review")
    page.keyboard.press("ArrowRight")
    for submission_id in ids:
        card = page.locator(f"#submission-{submission_id}")
        expect(card).to_be_focused()
        page.keyboard.press("a")
        expect(card.locator("[data-final-check]")).to_have_text("Awaiting a second opinion")
    assert console.csp_violations() == [] and console.unexpected() == []
    context.close()

    # The contributor sees that the photos are in a final check, not yet payable.
    phone, page = phone_page(browser, base, "sam@example.org")
    page.goto(f"{base}/me/photos")
    expect(page.get_by_text("In final check")).to_have_count(2)
    phone.close()

    # A different reviewer confirms one and disagrees on the other.
    context, page, console = desktop_page(browser)
    sign_in(page, base, other_email)
    page.goto(f"{base}/projects/{project_id}/review?status=second")
    expect(page.locator("[data-review-card]")).to_have_count(2)
    page.keyboard.press("ArrowRight")
    expect(page.locator(f"#submission-{confirmed}")).to_be_focused()
    page.keyboard.press("a")
    expect(page.locator(f"#submission-{confirmed} [data-final-check]")).to_have_count(0)
    card = page.locator(f"#submission-{disputed}")
    expect(card).to_be_focused()
    page.keyboard.press("r")
    page.locator(f"#second-code-{disputed}").select_option("blurry")
    page.locator(f"#second-note-{disputed}").fill("The handle is a smear")
    page.locator(f"#second-note-{disputed}").press("Enter")
    expect(card.locator("[data-final-check]")).to_have_text("Reviewers disagree")
    assert console.csp_violations() == [] and console.unexpected() == []
    context.close()

    # The owner sees both opinions and decides; the log keeps all three.
    context, page, console = desktop_page(browser)
    sign_in(page, base, owner_email)
    page.goto(f"{base}/projects/{project_id}/review/disagreements")
    row = page.locator(".disagreement")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Rita Reviewer")
    expect(row).to_contain_text("Omar Other")
    expect(row).to_contain_text("The photo is blurry or out of focus.")
    expect(row).to_contain_text("The handle is a smear")
    screenshot(page, "review-disagreements")
    row.locator("[data-resolve-decline]").click()
    expect(page.get_by_text("No disagreements to settle.")).to_be_visible()
    page.goto(f"{base}/projects/{project_id}/audit?action=second_opinion.")
    expect(page.get_by_text("second_opinion.resolved")).to_be_visible()
    expect(page.get_by_text("second_opinion.disputed")).to_be_visible()
    page.goto(f"{base}/projects/{project_id}/review/insight")
    expect(page.locator("#reviewer-insight")).to_contain_text("Rita Reviewer")
    screenshot(page, "review-insight")
    assert console.csp_violations() == [] and console.unexpected() == []
    context.close()

    # The contributor: one photo payable, one declined with the reason and guidance.
    phone, page = phone_page(browser, base, "sam@example.org")
    page.goto(f"{base}/me/photos")
    expect(page.get_by_text("In final check")).to_have_count(0)
    expect(page.get_by_text("The photo is blurry or out of focus.")).to_be_visible()
    expect(page.get_by_text("Hold the phone steady")).to_be_visible()
    phone.close()
