"""In Chromium: a lab member writes a brief, an admin publishes it, a contributor finds it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.browser.helpers import nav, sign_in, sign_out, start_brief
from tests.conftest import BROWSER_TIMEOUT, PHONE, ConsoleWatcher, screenshot
from tests.factories import make_user
from trove.accounts.models import Role

pytestmark = pytest.mark.browser


def test_brief_from_wizard_to_catalogue(live_server, browser):
    base = live_server.url
    with live_server.app.app_context():
        make_user(Role.LAB_MEMBER, email="lin@example.org", name="Lin Researcher")
        make_user(Role.ADMIN, email="admin@example.org", name="Ada Admin")
        make_user(email="sam@example.org", name="Sam")

    # The lab member completes the wizard on a laptop-sized window.
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    console = ConsoleWatcher()
    console.attach(page)
    sign_in(page, base, "lin@example.org")
    start_brief(page, "Empty shelves in corner shops")
    page.get_by_label("Target number of photos").fill("200")
    page.get_by_label("Currency").select_option("GBP")
    page.get_by_label("Pay per approved photo").fill("-3")
    page.get_by_role("button", name="Save and continue").click()
    # The whole step comes back with the message (the live budget line may say it first).
    page.get_by_text("Please fix the 2 fields marked below.").wait_for()
    page.get_by_text("Enter an amount of zero or more.").first.wait_for()
    page.get_by_label("Pay per approved photo").fill("1.25")
    page.get_by_text("£250.00").wait_for()  # the live budget line
    page.get_by_label("Deadline").fill((date.today() + timedelta(days=30)).isoformat())
    screenshot(page, "wizard-pay-desktop")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("I have read the guide").check()
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("button", name="Submit for vetting").click()
    page.get_by_text("Submitted. An admin will vet").wait_for()
    sign_out(page)

    # The admin publishes it.
    sign_in(page, base, "admin@example.org")
    nav(page, "Admin")
    page.get_by_role("link", name="Vetting").click()
    page.get_by_role("link", name="Empty shelves in corner shops").click()
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("is published").wait_for()
    assert console.csp_violations() == [] and console.unexpected() == []
    desk.close()

    # A contributor on a phone finds it in the catalogue and reads it.
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    console = ConsoleWatcher()
    console.attach(page)
    sign_in(page, base, "sam@example.org")
    nav(page, "Projects")
    page.get_by_label("Search").fill("shelves")
    page.get_by_text("1 open project").wait_for()
    screenshot(page, "catalogue-phone")
    page.get_by_role("link", name="Empty shelves in corner shops").click()
    page.get_by_text("for each approved photo").wait_for()
    assert page.get_by_text("£1.25").first.is_visible()
    screenshot(page, "brief-phone")
    assert page.get_by_text("is deleted 14 days later").is_visible()
    assert console.csp_violations() == [] and console.unexpected() == []
    phone.close()
