"""In Chromium: an owner starts a contest, draws it once it ends, records the prize; the
winner sees it on a phone with the revealed seed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import desktop_page, phone_page, sign_in, sign_out
from tests.conftest import screenshot
from tests.exports.conftest import build_lab
from trove.contests.models import Contest
from trove.extensions import db
from trove.timeutil import utcnow

pytestmark = pytest.mark.browser


def _start_contest(page, name: str, prize: str) -> None:
    """Fill the contest form on a project's Contests page and start it."""
    page.get_by_label("Name").fill(name)
    page.get_by_label("Prize").fill(prize)
    page.get_by_label("Rules").fill("One entry per approved photo. Winners are told by e-mail.")
    page.get_by_label("Starts (UTC)").fill("2026-01-01T00:00")
    page.get_by_label("Ends (UTC)").fill("2030-01-01T00:00")
    page.get_by_role("button", name="Start the contest").click()


def test_owner_runs_a_contest_and_the_winner_sees_the_prize(live_server, browser):
    base = live_server.url
    with live_server.app.test_request_context("/"):
        lab = build_lab((3,), title="Shop shelves")
        project_id, owner, winner = lab.project.id, lab.owner.email, lab.contributors[0].email

    desk, page, console = desktop_page(browser)
    sign_in(page, base, owner)
    page.goto(f"{base}/projects/{project_id}")
    page.get_by_role("link", name="Contests").click()
    _start_contest(page, "Spring draw", "A $500 gift card")
    expect(page.get_by_role("heading", name="Spring draw")).to_be_visible()
    expect(page.locator("#leaderboard")).to_contain_text("3")
    commitment = page.locator("#seed-commitment").inner_text()
    with live_server.app.app_context():
        contest = db.session.query(Contest).one()
        contest.ends_at = utcnow()
        db.session.commit()
        contest_id = contest.id
    page.reload()
    page.get_by_role("button", name="Draw the winners").click()
    expect(page.locator("#seed")).to_be_visible()
    page.get_by_placeholder("Gift code or delivery note").fill("Code GIFT-1234 sent by e-mail")
    page.get_by_role("button", name="Record prize sent").click()
    expect(page.locator("#winners")).to_contain_text("Prize sent")
    screenshot(page, "contest-drawn-desktop")
    assert console.csp_violations() == [] and console.unexpected() == []
    sign_out(page)
    desk.close()

    phone, mobile = phone_page(browser, base, winner)
    mobile.goto(f"{base}/contests/{contest_id}")
    expect(mobile.locator("#winners")).to_contain_text("(you!)")
    expect(mobile.locator("#winners")).to_contain_text("GIFT-1234")
    assert mobile.locator("#seed-commitment").inner_text() == commitment
    screenshot(mobile, "contest-winner-phone")
    phone.close()


def test_owner_cancels_a_contest_and_entrants_see_why(live_server, browser):
    base = live_server.url
    with live_server.app.test_request_context("/"):
        lab = build_lab((2,), title="Shop shelves")
        project_id, owner, entrant = lab.project.id, lab.owner.email, lab.contributors[0].email

    desk, page, console = desktop_page(browser)
    sign_in(page, base, owner)
    page.goto(f"{base}/projects/{project_id}/contests")
    _start_contest(page, "Autumn draw", "Vouchers")
    page.get_by_text("Cancel this contest").click()
    page.get_by_role("button", name="Cancel the contest").click()  # empty: the browser asks
    page.get_by_label("Why? Everyone with an entry is told.").fill("The sponsor withdrew.")
    page.get_by_role("button", name="Cancel the contest").click()
    expect(page.locator("#cancelled")).to_contain_text("The sponsor withdrew.")
    screenshot(page, "contest-cancelled-desktop")
    assert console.csp_violations() == [] and console.unexpected() == []
    sign_out(page)
    desk.close()

    phone, mobile = phone_page(browser, base, entrant)
    mobile.goto(f"{base}/notifications")
    mobile.get_by_text("was cancelled: The sponsor withdrew.").click()
    expect(mobile.locator("#cancelled")).to_be_visible()
    screenshot(mobile, "contest-cancelled-phone")
    phone.close()
