"""In Chromium on a phone: drag and drop three photos, choose one, watch them processed."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import nav
from tests.conftest import BROWSER_TIMEOUT, TEST_PASSWORD, LiveServer, screenshot
from tests.factories import make_project, make_user
from tests.images import photo

pytestmark = pytest.mark.browser

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

WATCH_PROGRESS = """
() => {
  window.progressSeen = 0;
  new MutationObserver(records => {
    for (const r of records) for (const n of r.addedNodes)
      if (n.querySelector && n.querySelector("progress")) window.progressSeen += 1;
  }).observe(document.querySelector("[data-upload-list]"), {childList: true});
}
"""


def test_phone_uploads_by_drop_and_chooser(make_app, phone):
    page, console = phone
    # Jobs run in a background thread, as in the embedded default, so "processing" is visible.
    app = make_app(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True, TASKS_MODE="thread")
    with app.app_context():
        project = make_project(title="Door handles", target_count=10, per_contributor_limit=5)
        project_id = project.id
        make_user(email="sam@example.org", name="Sam")
    with LiveServer(app) as server:
        page.goto(f"{server.url}/login")
        page.get_by_label("E-mail address").fill("sam@example.org")
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.locator("[data-nav-menu]").wait_for(state="attached")
        page.goto(f"{server.url}/projects/{project_id}#contribute")
        page.evaluate(WATCH_PROGRESS)
        expect(page.locator("[data-remaining]")).to_have_text("5 more photos")

        # Dropping before agreeing is refused in the page.
        page.get_by_text("Choose photos").scroll_into_view_if_needed()
        files = [
            {
                "name": f"door-{n}.jpg",
                "data": base64.b64encode(photo(1600, 1200, seed=n, gps=True)).decode(),
            }
            for n in range(3)
        ]
        page.evaluate(DROP, [files])
        page.get_by_text("Tick the box above to agree").wait_for()

        page.get_by_label("I took these photos myself").check()
        page.evaluate(DROP, [files])
        page.set_input_files(
            "#photo-input",
            files=[
                {"name": "chosen.jpg", "mimeType": "image/jpeg", "buffer": photo(1200, 900, seed=9)}
            ],
        )
        cards = page.locator("[data-upload-list] li.photo-card")
        cards.nth(3).wait_for()
        # Each card polls itself until the media job is done.
        expect(page.locator("[data-upload-list] .badge-pending_review")).to_have_count(
            4, timeout=BROWSER_TIMEOUT
        )
        assert page.evaluate("window.progressSeen") >= 4
        assert page.locator("[data-upload-list] img").count() == 4
        expect(page.locator("[data-remaining]")).to_have_text("1 more photo")
        screenshot(page, "uploads-phone")

        # The same photo again is refused with its reason, inline.
        page.set_input_files(
            "#photo-input",
            files=[
                {"name": "again.jpg", "mimeType": "image/jpeg", "buffer": photo(1200, 900, seed=9)}
            ],
        )
        page.get_by_text("You have already sent this exact photo.").wait_for()

        nav(page, "My photos")
        expect(page.locator(".photo-list .badge-pending_review")).to_have_count(4)
        screenshot(page, "my-photos-phone")
        assert console.csp_violations() == []
        assert [e for e in console.unexpected() if "status of 409" not in e] == []
    app.extensions["trove_executor"].shutdown(wait=True)
