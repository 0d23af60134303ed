"""In a real Chromium on a phone: sign-up, sign-in, sign-out, reset, invitation."""

from __future__ import annotations

import re

import pytest

from tests.browser.helpers import nav
from tests.conftest import TEST_PASSWORD, screenshot
from tests.factories import make_user
from trove.accounts.models import Role

pytestmark = pytest.mark.browser


def _mailed_path(outbox, marker: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(marker)}\S+)", outbox[-1].get_content())
    assert match, outbox[-1].get_content()
    return match.group(1)


def test_account_journey_on_a_phone(live_server, phone, outbox):
    page, console = phone
    base = live_server.url
    with live_server.app.app_context():
        make_user(Role.ADMIN, email="admin@example.org", name="Ada Admin")

    # Sign up as a contributor; a bad password first shows an inline message.
    page.goto(base + "/")
    screenshot(page, "home-phone")
    page.get_by_role("link", name="Join").click()
    page.get_by_label("E-mail address").fill("sam@example.org")
    page.get_by_label("Display name").fill("Sam")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    page.get_by_text("Use between 10 and 256 characters").wait_for()
    screenshot(page, "signup-error-phone")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    page.goto(base + _mailed_path(outbox, "/signup/confirm/"))
    page.get_by_label("The password you chose").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.get_by_text("Welcome to Test Lab, Sam.").wait_for()

    # Edit the profile inline (htmx fragment).
    nav(page, "Account")
    page.get_by_label("PayPal e-mail address").fill("sam.pay@example.org")
    page.get_by_label("Country").select_option("GB")
    page.get_by_label("Your password").first.fill(TEST_PASSWORD)  # a PayPal change needs it
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your profile is saved.").wait_for()
    screenshot(page, "profile-phone")

    # Sign out, then reset the forgotten password through the mailed link.
    nav(page, "Sign out", "button")
    page.get_by_text("You are signed out.").wait_for()
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_role("link", name="Forgot your password?").click()
    # The sign-in page has an "E-mail address" field too: wait for the swap first.
    page.get_by_role("heading", name="Reset your password").wait_for()
    page.get_by_label("E-mail address").fill("sam@example.org")
    page.get_by_role("button", name="Send the link").click()
    page.get_by_text("we have sent it a link").wait_for()
    page.goto(base + _mailed_path(outbox, "/password/reset/"))
    page.get_by_label("Password", exact=True).fill("a new long password")
    page.get_by_label("Repeat the password").fill("a new long password")
    page.get_by_role("button", name="Save the new password").click()
    page.get_by_text("Your password has been changed.").wait_for()
    nav(page, "Sign out", "button")

    # Sign in with the new password.
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("E-mail address").fill("sam@example.org")
    page.get_by_label("Password").fill("a new long password")
    page.get_by_role("button", name="Sign in").click()
    page.locator("[data-nav-menu]").wait_for(state="attached")
    nav(page, "Sign out", "button")

    # The admin invites a lab member, who accepts from the mailed link.
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("E-mail address").fill("admin@example.org")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    nav(page, "Admin")
    page.get_by_text("Jobs run inside the web process").wait_for()
    screenshot(page, "admin-health-phone")
    page.get_by_role("link", name="Invitations").click()
    page.get_by_label("Their e-mail address").fill("lin@example.org")
    page.get_by_role("button", name="Send the invitation").click()
    page.get_by_text("Invitation sent to lin@example.org.").wait_for()
    screenshot(page, "invitations-phone")
    nav(page, "Sign out", "button")
    page.goto(base + _mailed_path(outbox, "/invitations/"))
    page.get_by_label("Display name").fill("Lin Researcher")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Create my lab account").click()
    page.get_by_text("Welcome to the Test Lab team.").wait_for()

    assert console.csp_violations() == []
    assert console.unexpected() == []
