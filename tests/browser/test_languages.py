"""Arabic and Hindi on a phone: a brief and its upload section mirror (Arabic), nothing
overflows sideways, and screenshots are kept to look at the script's rendering."""

from __future__ import annotations

import pytest

from tests.browser.helpers import sign_in_by_ids
from tests.conftest import ARTIFACTS, BROWSER_TIMEOUT, PHONE, screenshot
from tests.factories import make_project, make_user
from trove.extensions import db
from trove.i18n import LOCALE_COOKIE

pytestmark = pytest.mark.browser


def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("hi", "ltr")])
def test_a_brief_and_its_upload_section_fit_a_phone(live_server, browser, language, direction):
    with live_server.app.test_request_context():
        make_user(email="cory@lang.example", name="Cory", paypal_email="cory@pay.example")
        project_id = make_project(title="Shelves in corner shops").id
        db.session.commit()
    base = live_server.url
    context = browser.new_context(**PHONE)
    context.add_cookies([{"name": LOCALE_COOKIE, "value": language, "url": base}])
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    sign_in_by_ids(page, base, "cory@lang.example")

    page.goto(f"{base}/projects/{project_id}")
    html = page.locator("html")
    assert html.get_attribute("lang") == language
    assert (html.get_attribute("dir") or "ltr") == direction
    assert page.evaluate("getComputedStyle(document.body).direction") == direction
    assert _overflow(page) <= 0, _overflow(page)
    screenshot(page, f"brief-{language}-phone")

    upload = page.locator("#contribute")
    upload.scroll_into_view_if_needed()
    assert _overflow(page) <= 0, _overflow(page)
    ARTIFACTS.mkdir(exist_ok=True)
    upload.screenshot(path=str(ARTIFACTS / f"upload-{language}-phone.png"))
    context.close()
