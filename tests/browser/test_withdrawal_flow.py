"""In Chromium: a contributor withdraws a photo that is in version 1; the steward cuts
version 2 without it; the deletion list names it; the contributor sees both facts."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import sign_in, sign_out
from tests.conftest import BROWSER_TIMEOUT, PHONE, ConsoleWatcher, screenshot
from tests.exports.conftest import build_lab

pytestmark = pytest.mark.browser


def test_withdrawal_reaches_the_next_version_and_the_deletion_list(live_server, browser):
    base = live_server.url
    with live_server.app.test_request_context("/"):
        lab = build_lab((3, 1), title="Shop shelves")
        project_id = lab.project.id
        steward = lab.steward.email
        contributor = lab.contributors[0].email
        gone_id, gone_sha = lab.photos[0].id, lab.photos[0].sha256

    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    console = ConsoleWatcher()
    console.attach(page)
    sign_in(page, base, steward)
    page.goto(f"{base}/projects/{project_id}")
    page.get_by_role("link", name="Datasets").click()
    expect(page.get_by_text("No version yet.")).to_be_visible()
    page.get_by_role("button", name="Cut version").click()
    expect(page.get_by_role("heading", name="Version 1")).to_be_visible()
    expect(page.locator("#version-status")).to_contain_text("Ready")
    screenshot(page, "dataset-version-desktop")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the zip").click()
    assert download.value.suggested_filename == f"trove-project-{project_id}-v1.zip"
    sign_out(page)

    phone = browser.new_context(**PHONE)
    mobile = phone.new_page()
    mobile.set_default_timeout(BROWSER_TIMEOUT)
    phone_console = ConsoleWatcher()
    phone_console.attach(mobile)
    sign_in(mobile, base, contributor)
    mobile.goto(f"{base}/me/photos")
    mobile.locator(f"#submission-{gone_id} input[name=photo]").check()
    screenshot(mobile, "my-photos-select-phone")
    mobile.get_by_role("button", name="Withdraw selected…").click()
    expect(mobile.get_by_role("heading", name="Withdraw 1 photo?")).to_be_visible()
    screenshot(mobile, "withdraw-confirm-phone")
    mobile.get_by_role("button", name="Withdraw 1 photo").click()
    expect(mobile.locator("#photo-status")).to_have_text("Withdrawn")
    expect(mobile.locator("#withdrawal-facts")).to_contain_text("deletion list")

    sign_in(page, base, steward)
    page.goto(f"{base}/projects/{project_id}/datasets")
    expect(page.locator("#version-list")).to_contain_text("Archive removed")
    expect(page.locator("#deletion-table")).to_contain_text(gone_sha[:16])
    # The steward downloaded version 1, so is asked to delete the photo and confirm.
    expect(page.locator("#deletion-request")).to_contain_text("1 withdrawn photo")
    screenshot(page, "deletion-list-desktop")
    page.get_by_role("button", name="I have deleted them").click()
    expect(page.get_by_text("Your confirmation is recorded.")).to_be_visible()
    expect(page.locator("#deletion-request")).to_have_count(0)
    page.get_by_role("button", name="Cut version").click()
    expect(page.get_by_role("heading", name="Version 2")).to_be_visible()
    expect(page.locator("#withdrawn-count")).to_have_text("1")
    expect(page.locator("#version-status")).to_contain_text("3")  # 3 photos remain
    screenshot(page, "dataset-version-2-desktop")
    listing = page.request.get(f"{base}/projects/{project_id}/deletion-list.json").json()
    assert [p["sha256"] for p in listing["photos"]] == [gone_sha]
    assert listing["photos"][0]["versions"] == [1]

    mobile.goto(f"{base}/me/photos/{gone_id}")
    expect(mobile.locator("#photo-versions")).to_contain_text("Dataset version 1")
    expect(mobile.locator("#photo-versions")).not_to_contain_text("Dataset version 2")
    expect(mobile.locator("#withdrawal-facts")).to_contain_text("You withdrew this photo")
    screenshot(mobile, "withdrawn-photo-phone")
    for watcher in (console, phone_console):
        assert watcher.csp_violations() == [] and watcher.unexpected() == []
    desk.close()
    phone.close()
