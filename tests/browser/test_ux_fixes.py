"""In Chromium: the phone header, the upload list at 320 px, signed-out and expired uploads,
the zoom page (download, withdrawn photo), and an empty send-back followed by a reload."""

from __future__ import annotations

import base64
import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import nav, open_menu, sign_in
from tests.conftest import BROWSER_TIMEOUT, PHONE, TEST_PASSWORD, ConsoleWatcher, screenshot
from tests.factories import add_team_member, make_project, make_submission, make_user
from tests.images import photo
from trove.accounts.models import Role
from trove.consent.service import request_withdrawal
from trove.extensions import db
from trove.notifications.service import notify

pytestmark = pytest.mark.browser

LONG_NAME = "holiday-" + "verylongfilenamewithoutanybreaks" * 4 + ".jpg"

DROP = """
async ([files]) => {
  const transfer = new DataTransfer();
  for (const f of files) {
    const bytes = Uint8Array.from(atob(f.data), c => c.charCodeAt(0));
    transfer.items.add(new File([bytes], f.name, {type: "image/jpeg"}));
  }
  const zone = document.querySelector("[data-dropzone]");
  for (const type of ["dragenter", "dragover", "drop"]) {
    const init = {dataTransfer: transfer, bubbles: true, cancelable: true};
    zone.dispatchEvent(new DragEvent(type, init));
  }
}
"""


def _files(*names: str, data: bytes | None = None) -> list[dict[str, str]]:
    return [
        {"name": name, "data": base64.b64encode(data or photo(640, 480, seed=n)).decode()}
        for n, name in enumerate(names)
    ]


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_phone_header_is_one_line_with_a_menu(live_server, browser):
    base = live_server.url
    with live_server.app.app_context():
        admin = make_user(Role.ADMIN, email="ada@example.org", name="Ada")
        notify(admin, "test", "Hello", "/")
        db.session.commit()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    console = ConsoleWatcher()
    console.attach(page)

    page.goto(base + "/")
    join = page.get_by_role("link", name="Join")
    padding = join.evaluate("e => parseFloat(getComputedStyle(e).paddingLeft)")
    assert padding >= 8, padding
    assert page.locator(".site-header").bounding_box()["height"] <= 72
    page.locator(".site-header").screenshot(
        path=str(screenshot(page, "ux-home-signed-out-phone").with_name("ux-header-signed-out.png"))
    )

    sign_in(page, base, "ada@example.org")
    header = page.locator(".site-header").bounding_box()
    assert header["height"] <= 72, header  # one line, not ~140 px of an 844 px screen
    count = page.locator("#nav-unread")
    expect(count).to_have_text("(1)")
    label_end = page.evaluate(
        "() => { const r = document.createRange();"
        " r.selectNodeContents(document.querySelector('.nav-notifications').firstChild);"
        " return r.getBoundingClientRect().right; }"
    )
    assert count.bounding_box()["x"] - label_end >= 3  # "Notifications (1)", not "(1)" glued
    expect(page.get_by_role("link", name="Your projects")).to_be_hidden()
    page.locator(".site-header").screenshot(
        path=str(screenshot(page, "ux-header-phone").with_name("ux-header-phone-bar.png"))
    )
    open_menu(page)
    expect(page.get_by_role("link", name="Your projects")).to_be_visible()
    screenshot(page, "ux-header-phone-menu")
    nav(page, "Admin")
    expect(page).to_have_url(base + "/admin/")

    # 320 px: still one line.
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(base + "/")
    assert page.locator(".site-header").bounding_box()["height"] <= 72
    assert _overflow(page) <= 0
    page.locator(".site-header").screenshot(
        path=str(screenshot(page, "ux-header-320").with_name("ux-header-320-bar.png"))
    )

    # Desktop: the menu's items are inline, no "Menu" button.
    page.set_viewport_size({"width": 1280, "height": 800})
    expect(page.locator("[data-nav-menu] > summary")).to_be_hidden()
    expect(page.get_by_role("link", name="Your projects")).to_be_visible()
    assert page.locator(".site-header").bounding_box()["height"] <= 72
    screenshot(page, "ux-header-desktop")
    assert console.csp_violations() == []
    context.close()


def test_filter_tabs_that_scroll_sideways_show_a_hint(live_server, browser):
    base = live_server.url
    with live_server.app.app_context():
        project = make_project(title="Door handles")
        reviewer = add_team_member(project, "reviewer")
        project_id, email = project.id, reviewer.email
    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, base, email)
    page.goto(f"{base}/projects/{project_id}/review")
    tabs = page.locator("nav.subnav")
    assert tabs.evaluate("e => e.scrollWidth > e.clientWidth")
    assert "gradient" in tabs.evaluate("e => getComputedStyle(e).backgroundImage")
    tabs.screenshot(path=str(screenshot(page, "ux-review-phone").with_name("ux-tabs-phone.png")))
    context.close()


def test_upload_list_at_320_px_and_a_signed_out_upload(live_server, browser):
    base = live_server.url
    with live_server.app.app_context():
        project = make_project(title="Door handles", per_contributor_limit=10)
        project_id = project.id
        make_user(email="sam@example.org", name="Sam")
    context = browser.new_context(viewport={"width": 320, "height": 640}, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    sign_in(page, base, "sam@example.org")
    page.goto(f"{base}/projects/{project_id}#contribute")
    page.get_by_label("I took these photos myself").check()
    page.evaluate(DROP, [_files(LONG_NAME)])
    page.evaluate(DROP, [_files("not-a-photo-" + "x" * 90 + ".jpg", data=b"not an image" * 50)])
    rows = page.locator("[data-upload-list] li.photo-card")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_class(re.compile("status-rejected"))
    # The photo's card, while processing or once it polled itself to pending review (how
    # soon depends on the machine's load, not on anything this test checks).
    expect(rows.nth(1)).to_contain_text(
        re.compile("Removing location data|Pending review", re.IGNORECASE), timeout=BROWSER_TIMEOUT
    )
    list_box = page.locator("[data-upload-list]").bounding_box()
    assert list_box["x"] + list_box["width"] <= 320
    for n in range(2):
        box = rows.nth(n).bounding_box()
        assert box["x"] + box["width"] <= 320, box
    assert _overflow(page) <= 0
    upload_list = page.locator("[data-upload-list]")
    upload_list.scroll_into_view_if_needed()
    upload_list.screenshot(
        path=str(screenshot(page, "ux-upload-page-320").with_name("ux-upload-list-320.png"))
    )

    # The photo's card polls itself until it is processed; let it finish first, or its next
    # poll after the sign-out below would answer 401 and take the page to sign in.
    expect(rows.nth(1)).to_contain_text("Pending review", ignore_case=True, timeout=BROWSER_TIMEOUT)

    # Signed out in another tab: the next photo says so and links to sign in again.
    other = context.new_page()
    other.goto(base + "/")
    nav(other, "Sign out", "button")
    other.get_by_text("You are signed out.").wait_for()
    page.evaluate(DROP, [_files("after-sign-out.jpg")])
    row = rows.first
    expect(row).to_contain_text("You were signed out. Sign in again to send this photo.")
    link = row.get_by_role("link", name="Sign in")
    assert f"next=/projects/{project_id}" in link.get_attribute("href").replace("%2F", "/")
    row.scroll_into_view_if_needed()
    row.screenshot(
        path=str(
            screenshot(page, "ux-upload-signed-out-320").with_name(
                "ux-upload-row-signed-out-320.png"
            )
        )
    )
    link.click()
    page.get_by_label("E-mail address").fill("sam@example.org")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(rf"/projects/{project_id}$"))
    context.close()


def test_zoom_page_downloads_and_hides_a_withdrawn_photo(live_server, browser):
    base = live_server.url
    with live_server.app.app_context():
        project = make_project(title="Door handles")
        reviewer = add_team_member(project, "reviewer")
        kept = make_submission(project)
        gone = make_submission(project)
        request_withdrawal([gone], gone.contributor)
        db.session.commit()
        project_id, email, kept_id, gone_id = project.id, reviewer.email, kept.id, gone.id
    context = browser.new_context(**PHONE, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    console = ConsoleWatcher()
    console.attach(page)
    sign_in(page, base, email)

    page.goto(f"{base}/submissions/{kept_id}/zoom")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download the original (logged)").click()
    download = info.value
    assert download.suggested_filename == f"photo-{kept_id}.jpg"
    with open(download.path(), "rb") as fh:
        assert fh.read(2) == b"\xff\xd8"
    expect(page.locator("h1")).to_have_text(f"Photo {kept_id}")  # the page was not replaced
    screenshot(page, "ux-zoom-phone")

    # A stale form (the session's token changed): the answer says reload, with a button.
    page.evaluate(
        """() => {
        document.querySelectorAll("input[name=csrf_token]").forEach(i => { i.value = "stale"; });
        document.body.setAttribute("hx-headers", '{"X-CSRFToken": "stale"}');
    }"""
    )
    page.locator("[data-approve]").click()
    alert = page.locator("#alerts")
    expect(alert).to_contain_text("This page has expired. Reload it and try again.")
    alert.get_by_role("button", name="Reload the page").click()
    page.locator("[data-approve]").click()
    expect(page.locator(f"#submission-{kept_id}")).to_contain_text("Approved")

    page.goto(f"{base}/submissions/{gone_id}/zoom")
    expect(page.get_by_text("Withdrawn by its contributor")).to_be_visible()
    expect(page.get_by_role("link", name="Download the original (logged)")).to_have_count(0)
    assert page.locator("main img").count() == 0
    screenshot(page, "ux-zoom-withdrawn-phone")

    page.goto(f"{base}/projects/{project_id}/review?status=withdrawn")
    card = page.locator(f"#submission-{gone_id}")
    expect(card.get_by_text("Withdrawn: the image is no longer shown")).to_be_visible()
    assert card.locator("img").count() == 0
    screenshot(page, "ux-withdrawn-tab-phone")
    assert [e for e in console.unexpected() if "400" not in e] == []  # the stale form's 400
    context.close()


def test_an_empty_send_back_then_a_reload(live_server, browser):
    base = live_server.url
    with live_server.app.app_context():
        project_id = make_project(status="submitted", title="Door handles").id
        make_user(Role.ADMIN, email="ada@example.org")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    sign_in(page, base, "ada@example.org")
    page.goto(f"{base}/vetting/{project_id}")
    page.get_by_role("button", name="Send back with comments").click()
    page.get_by_text("cannot be empty").wait_for()
    response = page.reload()
    assert response.status == 200
    expect(page.get_by_role("heading", name="Door handles")).to_be_visible()
    context.close()


def test_no_more_photos_and_a_paused_project_on_a_phone(live_server, browser):
    base = live_server.url
    with live_server.app.app_context():
        full = make_project(title="Door handles", per_contributor_limit=1)
        paused = make_project(title="Shop shelves", status="paused")
        sam = make_user(email="sam@example.org")
        make_submission(full, sam)
        full_id, paused_id = full.id, paused.id
    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, base, "sam@example.org")
    page.goto(f"{base}/projects/{full_id}#contribute")
    section = page.locator("#contribute")
    expect(section).to_contain_text("the most photos one person can send")
    expect(section.locator("[data-dropzone]")).to_have_count(0)
    section.screenshot(path=str(screenshot(page, "ux-no-more").with_name("ux-no-more-phone.png")))
    page.goto(f"{base}/projects/{paused_id}")
    cta = page.locator("#contribute-cta")
    expect(cta).to_contain_text("paused")
    cta.screenshot(path=str(screenshot(page, "ux-paused").with_name("ux-paused-phone.png")))
    context.close()
