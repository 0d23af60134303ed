"""Acceptance: a GPS-tagged photo uploaded from a phone leaves the browser already stripped.

Route interception reads the request bodies Chromium actually sent; the stored photo's scan
data must equal the original's. A HEIC photo goes as chosen and its row says the server
removes the location; a brief's maximum long edge makes the phone send a resized copy.
"""

from __future__ import annotations

import io
import struct

import piexif
import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.helpers import sign_in
from tests.conftest import ARTIFACTS, BROWSER_TIMEOUT, LiveServer, screenshot
from tests.factories import make_project, make_user
from tests.media import samples
from trove.extensions import db
from trove.files import get_storage
from trove.media.strip.jpeg import strip_jpeg
from trove.submissions.models import Submission

pytestmark = pytest.mark.browser

SECRETS = (
    samples.SECRET_TEXT.encode(),  # Artist, CameraOwnerName, XMP creator, IPTC by-line
    b"SN-0042-7777",  # BodySerialNumber
    b"LENS-998877",
    b"PhoneCo",
    b"GPSLatitude",  # XMP
    struct.pack(">6I", 51, 1, 31, 1, 2600, 100),  # the GPS latitude, as EXIF stores it
    struct.pack("<6I", 51, 1, 31, 1, 2600, 100),
    b"MPF\x00",
    b"Apple iOS",  # MakerNote
)
RESIZED = " · resized to 600 × 800 px"


def app_with_project(make_app, config: dict[str, object], **fields: object) -> tuple[object, int]:
    """Return a real-config app holding a published project and the contributor Sam."""
    app = make_app(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True, **config)
    with app.app_context():
        project_id = make_project(**fields).id
        make_user(email="sam@example.org", name="Sam")
    return app, project_id


def choose(page, name: str, data: bytes, mime: str = "image/jpeg") -> None:
    """Choose one photo in the upload form's file chooser."""
    page.set_input_files("#photo-input", files=[{"name": name, "mimeType": mime, "buffer": data}])


def record_uploads(page) -> list[bytes]:
    """Return a list that fills with the body of every upload request the page sends.

    The page sends a photo over tus: the POST announces it, one PATCH carries the bytes.
    """
    bodies: list[bytes] = []

    def keep(route, request):
        if request.method == "PATCH":
            bodies.append(request.post_data_buffer or b"")
        route.continue_()

    page.route("**/uploads/*", keep)
    return bodies


def stored_originals(app) -> dict[str, bytes]:
    with app.app_context():
        storage = get_storage()
        return {
            sub.original_filename: storage.original_path(sub.storage_key).read_bytes()
            for sub in db.session.scalars(select(Submission))
            if sub.storage_key
        }


def test_gps_serial_and_owner_never_leave_the_phone(make_app, phone):
    page, console = phone
    app, project_id = app_with_project(make_app, {"TASKS_MODE": "thread"}, target_count=10)
    original = samples.phone_jpeg(samples.picture(1600, 1200, seed=4))
    heic = samples.heic(samples.picture(640, 480, seed=6), exif=samples.exif_bytes())
    assert all(secret in original for secret in SECRETS[:4])
    with LiveServer(app) as server:
        sign_in(page, server.url, "sam@example.org")
        bodies = record_uploads(page)
        page.goto(f"{server.url}/projects/{project_id}#contribute")
        page.get_by_label("I took these photos myself").check()
        choose(page, "shelf.jpg", original)
        rows = page.locator("[data-upload-list] li.photo-card")
        expect(rows.first.locator("[data-strip-note]")).to_have_text(
            "Location removed on your phone"
        )
        choose(page, "shelf.heic", heic, "image/heic")
        expect(page.locator("[data-upload-list] [data-strip-note]")).to_have_text(
            ["Location will be removed on our server", "Location removed on your phone"]
        )
        # Both end up as cards (the server's); the note stays on each while it polls itself.
        expect(page.locator("[data-upload-list] .badge-pending_review")).to_have_count(
            2, timeout=BROWSER_TIMEOUT
        )
        expect(page.locator("[data-upload-list] [data-strip-note]")).to_have_text(
            ["Location will be removed on our server", "Location removed on your phone"]
        )
        screenshot(page, "upload-location-removed-on-phone")
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("#contribute").screenshot(path=str(ARTIFACTS / "upload-rows-phone.png"))

    assert len(bodies) == 2
    jpeg_sent = next(body for body in bodies if body[:2] == b"\xff\xd8")
    heic_sent = next(body for body in bodies if body[:2] != b"\xff\xd8")
    for secret in SECRETS:
        assert secret not in jpeg_sent, secret
    assert jpeg_sent == strip_jpeg(original)  # the server's allowlist, applied on the phone
    exif = piexif.load(jpeg_sent)
    assert exif["GPS"] == {} and exif["Exif"] == {} and exif["0th"] == {}
    assert heic_sent == heic  # HEIC goes as chosen; the server converts and strips it

    stored = stored_originals(app)
    assert samples.scan_data(stored["shelf.jpg"]) == samples.scan_data(original)
    assert stored["shelf.jpg"] == jpeg_sent  # the server's strip found nothing more to remove
    assert samples.SECRET_TEXT.encode() not in stored["shelf.heic"]
    assert console.csp_violations() == [] and console.unexpected() == []
    app.extensions["trove_executor"].shutdown(wait=True)


def test_phone_resizes_to_the_briefs_long_edge(make_app, phone):
    page, console = phone
    # 1 MB per photo: a larger photo may still be chosen, since its resized copy fits.
    config = {"TASKS_MODE": "sync", "MAX_UPLOAD_MB": 1}
    app, project_id = app_with_project(make_app, config, max_long_edge=800)
    # Stored 1600 × 1200 and shown turned (orientation 6): upright it is 1200 × 1600.
    turned = samples.phone_jpeg(samples.picture(1600, 1200, seed=2), orientation=6)
    small = samples.jpeg(samples.picture(400, 300, seed=8), exif=samples.exif_bytes())
    large = samples.jpeg(samples.picture(3000, 2000, seed=9), exif=samples.exif_bytes())
    assert len(large) > 1024 * 1024
    with LiveServer(app) as server:
        sign_in(page, server.url, "sam@example.org")
        bodies = record_uploads(page)
        page.goto(f"{server.url}/projects/{project_id}")
        page.get_by_text("resized on your phone to at most 800 px").first.wait_for()
        page.get_by_label("I took these photos myself").check()
        choose(page, "door.jpg", turned)
        expect(page.locator("[data-upload-list] [data-strip-note]")).to_have_text(
            f"Location removed on your phone{RESIZED}"
        )
        choose(page, "small.jpg", small)
        expect(page.locator("[data-upload-list] [data-strip-note]")).to_have_text(
            ["Location removed on your phone", f"Location removed on your phone{RESIZED}"]
        )
        choose(page, "large.jpg", large)
        expect(page.locator("[data-upload-list] [data-strip-note]").first).to_have_text(
            "Location removed on your phone · resized to 800 × 533 px"
        )
        expect(page.locator("[data-upload-list] .badge-pending_review")).to_have_count(3)
        page.locator("#contribute").screenshot(path=str(ARTIFACTS / "upload-resized-phone.png"))

    resized, kept, shrunk = bodies
    assert len(shrunk) < 1024 * 1024
    with Image.open(io.BytesIO(resized)) as image:
        assert image.format == "JPEG" and image.size == (600, 800)
        assert image.getexif().get(0x0112) is None  # upright pixels, no orientation needed
    for secret in SECRETS:
        assert secret not in resized and secret not in kept
    # Within the limit: not re-encoded, only stripped.
    assert kept == strip_jpeg(small)
    assert console.csp_violations() == [] and console.unexpected() == []
