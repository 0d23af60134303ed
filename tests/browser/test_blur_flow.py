"""In Chromium: a brief that blurs faces; a face photo is sent, and no one on the team ever
gets it unblurred (thumbnail, zoom, download, dataset zip); the unblurred copy is deleted once
the photo is decided. The reviewer draws and removes a box with the mouse and the keyboard."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.helpers import sign_in
from tests.conftest import BROWSER_TIMEOUT, ConsoleWatcher, screenshot
from tests.faces import detail, face_photo, face_region
from tests.factories import make_project, make_user
from trove.accounts.models import Role
from trove.extensions import db
from trove.files import get_storage
from trove.submissions.models import Submission

pytestmark = pytest.mark.browser

SIZE = (1600, 1200)
#: Detection and blurring run in the requests (sync jobs): slow on a busy machine.
SLOW = 60_000


def _blurred(data: bytes, upload: bytes, box) -> bool:
    """Whether the face box of ``data`` has a third of the detail it has in the upload."""
    ours = detail(face_region(data, box, SIZE))
    theirs = detail(face_region(upload, box, SIZE, like=data))
    return ours < theirs / 3


def test_face_is_blurred_everywhere_the_team_looks(live_server, browser):
    base = live_server.url
    upload, box = face_photo(*SIZE)
    with live_server.app.app_context():
        owner = make_user(Role.LAB_MEMBER, email="olive@example.org", name="Olive")
        project = make_project(owner, title="Street benches", people_policy="blur")
        make_user(email="sam@example.org", name="Sam")
        project_id = project.id

    # The contributor reads the policy on the brief and sends the photo.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    mobile = phone.new_page()
    mobile.set_default_timeout(BROWSER_TIMEOUT)
    sign_in(mobile, base, "sam@example.org")
    mobile.goto(f"{base}/projects/{project_id}#contribute")
    expect(mobile.locator("#people-policy")).to_contain_text(
        "Any face we find is blurred", timeout=SLOW
    )
    mobile.get_by_label("I took these photos myself").check()
    mobile.set_input_files(
        "#photo-input", files=[{"name": "bench.jpg", "mimeType": "image/jpeg", "buffer": upload}]
    )
    # Detection runs in the media job; on a busy machine that takes a while.
    expect(mobile.locator("[data-upload-list] .badge-pending_review")).to_have_count(
        1, timeout=120_000
    )
    with live_server.app.app_context():
        submission = db.session.scalar(db.select(Submission))
        sid, unblurred = submission.id, submission.unblurred_name
        assert submission.blur_regions == 1
        assert get_storage().quarantine_exists(unblurred)
    # The contributor's own view is the blurred one too.
    own = mobile.request.get(f"{base}/submissions/{sid}/image/320")
    assert own.ok and _blurred(own.body(), upload, box)
    phone.close()

    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    lab = desk.new_page()
    lab.set_default_timeout(BROWSER_TIMEOUT)
    console = ConsoleWatcher()
    console.attach(lab)
    sign_in(lab, base, "olive@example.org")
    lab.goto(f"{base}/projects/{project_id}/review")
    card = lab.locator(f"#submission-{sid}")
    expect(card.locator(".blur-box")).to_have_count(1, timeout=SLOW)
    expect(card.locator("[data-blurred]")).to_have_text("1 area blurred", timeout=SLOW)
    thumb = lab.request.get(f"{base}/submissions/{sid}/image/320")
    assert _blurred(thumb.body(), upload, box)
    card.scroll_into_view_if_needed()
    card.screenshot(path=str(screenshot(lab, "blur-review-queue").with_name("blur-card.png")))

    # Zoom: the large image is blurred; draw a second box by dragging, then delete it by key.
    lab.goto(f"{base}/submissions/{sid}/zoom")
    zoom = lab.request.get(f"{base}/submissions/{sid}/image/1280")
    assert _blurred(zoom.body(), upload, box)
    overlay = lab.locator("[data-blur-overlay][data-editable]")
    expect(overlay.locator(".blur-box")).to_have_count(1, timeout=SLOW)
    area = lab.locator(".blur-stage img").bounding_box()
    lab.mouse.move(area["x"] + area["width"] * 0.05, area["y"] + area["height"] * 0.6)
    lab.mouse.down()
    lab.mouse.move(area["x"] + area["width"] * 0.2, area["y"] + area["height"] * 0.8, steps=5)
    lab.mouse.up()
    expect(lab.locator("[data-editable] .blur-box")).to_have_count(2, timeout=SLOW)
    expect(lab.locator("[data-blur-pending]")).to_be_visible(timeout=SLOW)
    screenshot(lab, "blur-zoom-two-boxes")
    added = lab.locator("[data-editable] .blur-reviewer")
    added.focus()
    lab.keyboard.press("Delete")
    expect(lab.locator("[data-editable] .blur-box")).to_have_count(1, timeout=SLOW)
    expect(lab.locator("[data-blur-pending]")).to_have_count(0, timeout=SLOW)

    # The download is blurred.
    with lab.expect_download() as download:
        lab.get_by_text("Download the original").click()
    assert _blurred(Path(download.value.path()).read_bytes(), upload, box)

    # Approving decides the photo: the unblurred copy is deleted.
    lab.locator(f"#submission-{sid} [data-approve]").click()
    expect(lab.locator(f"#submission-{sid} .badge-approved")).to_be_visible(timeout=SLOW)
    with live_server.app.app_context():
        assert not get_storage().quarantine_exists(unblurred)
        assert db.session.get(Submission, sid).unblurred_name is None
        assert list(get_storage().list_quarantine()) == []

    # The dataset zip holds the blurred image.
    lab.goto(f"{base}/projects/{project_id}/datasets")
    lab.get_by_role("button", name="Cut version").click()
    expect(lab.locator("#version-status")).to_contain_text("Ready", timeout=SLOW)
    archive = lab.request.get(lab.url.split("#")[0].rstrip("/") + "/download")
    assert archive.ok, archive.status
    zf = zipfile.ZipFile(io.BytesIO(archive.body()))
    image = next(n for n in zf.namelist() if n.endswith(".jpeg") or n.endswith(".jpg"))
    assert _blurred(zf.read(image), upload, box)
    assert console.csp_violations() == [] and console.unexpected() == []
    desk.close()


def test_contributor_blurs_an_area_on_the_phone_before_sending(live_server, browser):
    base = live_server.url
    noisy = Image.effect_noise((1200, 900), 60).convert("RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, "JPEG", quality=95)
    with live_server.app.app_context():
        project_id = make_project(title="House fronts").id  # no people policy: no detector
        make_user(email="ana@example.org", name="Ana")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = phone.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    console = ConsoleWatcher()
    console.attach(page)
    sign_in(page, base, "ana@example.org")
    page.goto(f"{base}/projects/{project_id}#contribute")
    page.get_by_label("I took these photos myself").check()
    page.get_by_label("Let me blur parts of my photos first").check()
    page.set_input_files(
        "#photo-input",
        files=[{"name": "front.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}],
    )
    dialog = page.locator("#blur-upload-dialog")
    expect(dialog).to_be_visible(timeout=SLOW)
    area = dialog.locator("img").bounding_box()
    # Two taps: the corners of the area to blur (the middle of the photo).
    page.touchscreen.tap(area["x"] + area["width"] * 0.25, area["y"] + area["height"] * 0.25)
    page.touchscreen.tap(area["x"] + area["width"] * 0.75, area["y"] + area["height"] * 0.75)
    expect(dialog.locator(".blur-contributor")).to_have_count(1, timeout=SLOW)
    screenshot(page, "blur-upload-dialog-phone")
    dialog.get_by_role("button", name="Send").click()
    expect(page.locator("[data-upload-list] .badge-pending_review")).to_have_count(1, timeout=SLOW)
    with live_server.app.app_context():
        submission = db.session.scalar(db.select(Submission))
        with get_storage().open_original(submission.storage_key) as f:
            stored = Image.open(io.BytesIO(f.read())).convert("RGB")
    inside, outside = (400, 300, 800, 600), (0, 0, 250, 200)
    assert detail(stored.crop(inside)) < detail(noisy.crop(inside)) / 4
    assert detail(stored.crop(outside)) > detail(noisy.crop(outside)) / 2
    assert console.csp_violations() == [] and console.unexpected() == []
    phone.close()
