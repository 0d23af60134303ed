"""In Chromium: a 2× phone shows My photos from the small cut, a 3× phone from the 320 px
thumbnail, and a photo without the small cut yet from the 320 px one (never a broken image)."""

from __future__ import annotations

import pytest

from tests.browser.helpers import sign_in
from tests.conftest import BROWSER_TIMEOUT, PHONE, ConsoleWatcher, screenshot
from tests.factories import make_processed_submission, make_project, make_user
from trove.extensions import db
from trove.files import get_storage
from trove.submissions.thumbs import SMALL

pytestmark = pytest.mark.browser

SHOWN = """() => [...document.querySelectorAll('.photo-thumb img')].map(i => [
  i.currentSrc.split('/').pop(), i.complete && i.naturalWidth > 0,
  Math.round(i.getBoundingClientRect().width)])"""


@pytest.mark.parametrize("dpr", [2, 3])
def test_my_photos_fetch_the_size_the_phone_shows(live_server, browser, dpr):
    with live_server.app.app_context():
        project = make_project()
        contributor = make_user()
        old = make_processed_submission(project, contributor)
        make_processed_submission(project, contributor)
        storage = get_storage()  # ``old`` was processed before the small cut existed
        storage.delete_object(storage.derived_object(old.storage_key, SMALL))
        old.has_small_thumb = False
        db.session.commit()
        email = contributor.email
    context = browser.new_context(**{**PHONE, "device_scale_factor": dpr})
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    console = ConsoleWatcher()
    console.attach(page)
    sign_in(page, live_server.url, email)
    page.goto(f"{live_server.url}/me/photos")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.photo-thumb img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    newest, oldest = page.evaluate(SHOWN)  # newest first
    assert newest == ["192" if dpr == 2 else "320", True, 96]
    assert oldest == ["320", True, 96]
    screenshot(page, f"my-photos-phone-{dpr}x")
    assert console.unexpected() == []
    context.close()
