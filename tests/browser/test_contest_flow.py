"""In Chromium: an owner starts a contest, draws it once it ends, records the prize; the
winner sees it on a phone with the revealed seed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in, sign_out
from tests.conftest import PHONE, ConsoleWatcher, screenshot
from tests.exports.conftest import build_lab
from trove.contests.models import Contest
from trove.extensions import db
from trove.timeutil import utcnow

pytestmark = pytest.mark.browser


def test_owner_runs_a_contest_and_the_winner_sees_the_prize(live_server, browser):
    base = live_server.url
    with live_server.app.test_request_context("/"):
        lab = build_lab((3,), title="Shop shelves")
        project_id, owner, winner = lab.project.id, lab.owner.email, lab.contributors[0].email

    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    page.set_default_timeout(15_000)
    page.on("dialog", lambda dialog: dialog.accept())
    console = ConsoleWatcher()
    console.attach(page)
    sign_in(page, base, owner)
    page.goto(f"{base}/projects/{project_id}")
    page.get_by_role("link", name="Contests").click()
    page.get_by_label("Name").fill("Spring draw")
    page.get_by_label("Prize").fill("A $500 gift card")
    page.get_by_label("Rules").fill("One entry per approved photo. Winners are told by e-mail.")
    page.get_by_label("Starts (UTC)").fill("2026-01-01T00:00")
    page.get_by_label("Ends (UTC)").fill("2030-01-01T00:00")
    page.get_by_role("button", name="Start the contest").click()
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

    phone = browser.new_context(**PHONE)
    mobile = phone.new_page()
    mobile.set_default_timeout(15_000)
    sign_in(mobile, base, winner)
    mobile.goto(f"{base}/contests/{contest_id}")
    expect(mobile.locator("#winners")).to_contain_text("(you!)")
    expect(mobile.locator("#winners")).to_contain_text("GIFT-1234")
    assert mobile.locator("#seed-commitment").inner_text() == commitment
    screenshot(mobile, "contest-winner-phone")
    phone.close()
