"""The whole story in Chromium, on a desktop (the lab) and a phone (a contributor).

Admin invites a lab member → wizard → vetting → a contributor signs up, asks a question and
uploads four photos (one with GPS, one rotated, one HEIC, one near-duplicate) → the
reviewer approves three and declines one with a reason → finance pays through the local
PayPal server → the steward cuts a dataset version → the contributor withdraws a photo →
version 2 leaves it out. A screenshot of every step is saved under test-artifacts/.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.helpers import desktop_page, nav, sign_in, sign_out, start_brief
from tests.browser.test_payout_flow import paypal_server  # noqa: F401 - a fixture
from tests.conftest import BROWSER_TIMEOUT, PHONE, TEST_PASSWORD, ConsoleWatcher, screenshot
from tests.factories import make_user
from tests.images import photo
from tests.media import samples
from trove import mail
from trove.accounts.models import Role
from trove.extensions import db
from trove.submissions.models import Submission, SubmissionStatus

pytestmark = pytest.mark.browser


def _mailed_path(marker: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(marker)}\S+)", mail.outbox[-1].get_content())
    assert match, mail.outbox[-1].get_content()
    return match.group(1)


def _reencoded(data: bytes) -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(data)).save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def test_the_whole_journey(paypal_server, browser):  # noqa: F811 - the imported fixture
    server, paypal = paypal_server
    base = server.url
    app = server.app
    with app.app_context():
        make_user(Role.ADMIN, email="admin@example.org", name="Ada Admin")
    step = iter(range(1, 100))

    def shot(page, name: str) -> None:
        screenshot(page, f"journey-{next(step):02d}-{name}")

    desk, lab, console = desktop_page(browser, timeout=BROWSER_TIMEOUT)

    # 1. The admin invites a lab member, who accepts from the mailed link.
    sign_in(lab, base, "admin@example.org")
    nav(lab, "Admin")
    lab.get_by_role("link", name="Invitations").click()
    lab.get_by_label("Their e-mail address").fill("lin@example.org")
    lab.get_by_role("button", name="Send the invitation").click()
    lab.get_by_text("Invitation sent to lin@example.org.").wait_for()
    shot(lab, "invitation-desktop")
    sign_out(lab)
    lab.goto(base + _mailed_path("/invitations/"))
    lab.get_by_label("Display name").fill("Lin Researcher")
    lab.get_by_label("Password").fill(TEST_PASSWORD)
    lab.get_by_role("button", name="Create my lab account").click()
    lab.get_by_text("Welcome to the Test Lab team.").wait_for()

    # 2. The lab member writes the brief in the wizard and submits it.
    start_brief(lab, "Empty shelves in corner shops")
    lab.get_by_label("Target number of photos").fill("200")
    lab.get_by_label("Currency").select_option("USD")
    lab.get_by_label("Pay per approved photo").fill("1.25")
    lab.get_by_label("Deadline").fill((date.today() + timedelta(days=30)).isoformat())
    shot(lab, "wizard-desktop")
    lab.get_by_role("button", name="Save and continue").click()
    lab.get_by_label("I have read the guide").check()
    lab.get_by_role("button", name="Confirm").click()
    lab.get_by_role("button", name="Submit for vetting").click()
    lab.get_by_text("Submitted. An admin will vet").wait_for()
    sign_out(lab)

    # 3. The admin vets and publishes it.
    sign_in(lab, base, "admin@example.org")
    nav(lab, "Admin")
    lab.get_by_role("link", name="Vetting").click()
    lab.get_by_role("link", name="Empty shelves in corner shops").click()
    shot(lab, "vetting-desktop")
    lab.get_by_role("button", name="Publish").click()
    lab.get_by_text("is published").wait_for()
    sign_out(lab)

    # 4. A contributor signs up on a phone, adds a PayPal address, asks a question.
    phone = browser.new_context(**PHONE)
    mobile = phone.new_page()
    mobile.set_default_timeout(BROWSER_TIMEOUT)
    phone_console = ConsoleWatcher()
    phone_console.attach(mobile)
    mobile.goto(base + "/")
    mobile.get_by_role("link", name="Join").click()
    mobile.get_by_label("E-mail address").fill("sam@example.org")
    mobile.get_by_label("Display name").fill("Sam")
    mobile.get_by_label("Password").fill(TEST_PASSWORD)
    mobile.get_by_role("button", name="Create account").click()
    mobile.get_by_role("heading", name="Check your inbox").wait_for()
    mobile.goto(base + _mailed_path("/signup/confirm/"))
    mobile.get_by_label("The password you chose").fill(TEST_PASSWORD)
    mobile.get_by_role("button", name="Create my account").click()
    mobile.get_by_text("Welcome to Test Lab, Sam.").wait_for()
    nav(mobile, "Account")
    mobile.get_by_label("PayPal e-mail address").fill("sam.pay@example.org")
    mobile.get_by_label("Your password", exact=True).first.fill(TEST_PASSWORD)
    mobile.get_by_role("button", name="Save").click()
    mobile.get_by_text("Your profile is saved.").wait_for()
    nav(mobile, "Projects")
    mobile.get_by_role("link", name="Empty shelves in corner shops").click()
    mobile.get_by_role("link", name="Read the questions and ask your own").wait_for()
    brief_url = mobile.url
    mobile.get_by_role("link", name="Read the questions and ask your own").click()
    mobile.get_by_label("Your question").fill("May the shelf be photographed at night?")
    mobile.get_by_role("button", name="Post the question").click()
    mobile.get_by_text("May the shelf be photographed at night?").wait_for()
    shot(mobile, "question-phone")
    mobile.goto(brief_url)

    # 5. Four photos: GPS, rotated, HEIC, and a near-duplicate of the first.
    with_gps = photo(1200, 900, seed=21, gps=True)
    mobile.get_by_label("I took these photos myself").check()
    mobile.set_input_files(
        "#photo-input",
        files=[
            {"name": "shelf-gps.jpg", "mimeType": "image/jpeg", "buffer": with_gps},
            {
                "name": "shelf-rotated.jpg",
                "mimeType": "image/jpeg",
                "buffer": photo(1200, 900, seed=22, orientation=6),
            },
            {
                "name": "shelf.heic",
                "mimeType": "image/heic",
                "buffer": samples.heic(samples.picture(960, 720, seed=23)),
            },
            {"name": "shelf-again.jpg", "mimeType": "image/jpeg", "buffer": _reencoded(with_gps)},
        ],
    )
    expect(mobile.locator("[data-upload-list] .badge-pending_review")).to_have_count(
        4, timeout=BROWSER_TIMEOUT
    )
    shot(mobile, "uploads-phone")
    with app.app_context():
        photos = db.session.scalars(select(Submission).order_by(Submission.id)).all()
        assert len(photos) == 4
        duplicate = next(p for p in photos if p.near_duplicate_of_id is not None)
        rotated = next(p for p in photos if p.original_filename == "shelf-rotated.jpg")
        assert (rotated.width, rotated.height) == (900, 1200)  # upright, tags gone
        ids, duplicate_id = [p.id for p in photos], duplicate.id

    # 6. The lab member reviews: three approved, the near-duplicate declined with a reason.
    sign_in(lab, base, "lin@example.org")
    nav(lab, "Your projects")
    lab.get_by_role("link", name="Empty shelves in corner shops").click()
    lab.get_by_role("link", name="Review photos").click()
    expect(lab.locator("[data-review-card]")).to_have_count(4)
    for submission_id in ids:
        card = lab.locator(f"#submission-{submission_id}")
        card.focus()
        if submission_id == duplicate_id:
            lab.keyboard.press("r")
            lab.locator(f"#code-{submission_id}").select_option("duplicate")
            lab.locator(f"#note-{submission_id}").fill("Same shelf as your first photo")
            lab.locator(f"#note-{submission_id}").press("Enter")
            expect(card.locator(".badge-rejected")).to_be_visible()
        else:
            lab.keyboard.press("a")
            expect(card.locator(".badge-approved")).to_be_visible()
    shot(lab, "review-desktop")

    # 7. Finance (the owner) pays through the local PayPal server.
    lab.get_by_role("link", name="Empty shelves in corner shops").first.click()
    lab.get_by_role("link", name="Payouts").click()
    lab.get_by_role("button", name="Prepare the batch").click()
    lab.get_by_text("Batch prepared.").wait_for()
    lab.get_by_role("button", name="Approve").click()
    expect(lab.locator("#batch-status")).to_have_text("Approved")
    lab.get_by_role("button", name="Send to PayPal").click()
    expect(lab.locator("#batch-status")).to_have_text("Sent to PayPal")
    paypal.advance(2)
    [remote] = paypal.batches.values()
    paypal.send_webhook(
        f"{base}/payouts/paypal/webhook",
        "PAYMENT.PAYOUTSBATCH.SUCCESS",
        {"batch_header": remote.header_json()},
    )
    expect(lab.locator("#batch-status")).to_have_text("Completed", timeout=BROWSER_TIMEOUT)
    shot(lab, "payout-desktop")
    assert paypal.ledger == {("sam.pay@example.org", "USD"): 375}

    # 8. The steward (the owner) cuts version 1.
    lab.get_by_role("link", name="Empty shelves in corner shops").first.click()
    lab.get_by_role("link", name="Datasets").click()
    lab.get_by_role("button", name="Cut version").click()
    expect(lab.get_by_role("heading", name="Version 1")).to_be_visible()
    expect(lab.locator("#version-status")).to_contain_text("Ready")
    shot(lab, "version-1-desktop")

    # 9. The contributor sees the payment and the use, then withdraws one photo.
    nav(mobile, "My photos")
    expect(mobile.locator(".photo-list .badge-paid")).to_have_count(3)
    mobile.locator(f"#submission-{ids[0]} .photo-name a").click()
    expect(mobile.locator("#photo-versions")).to_contain_text("Dataset version 1")
    mobile.get_by_role("button", name="Withdraw…").click()
    mobile.get_by_role("button", name="Withdraw 1 photo").click()
    expect(mobile.locator("#photo-status")).to_have_text("Withdrawn")
    shot(mobile, "withdrawn-phone")

    # 10. Version 2 leaves the withdrawn photo out.
    lab.get_by_role("link", name="Datasets").click()
    expect(lab.locator("#deletion-table")).to_be_visible()
    lab.get_by_role("button", name="Cut version").click()
    expect(lab.get_by_role("heading", name="Version 2")).to_be_visible()
    expect(lab.locator("#withdrawn-count")).to_have_text("1")
    shot(lab, "version-2-desktop")
    with app.app_context():
        statuses = [db.session.get(Submission, i).status for i in ids]
    assert statuses.count(SubmissionStatus.APPROVED) == 2
    assert statuses.count(SubmissionStatus.WITHDRAWN) == 1
    for watcher in (console, phone_console):
        assert watcher.csp_violations() == []
    desk.close()
    phone.close()
