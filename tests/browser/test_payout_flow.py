"""In Chromium: finance prepares, approves and sends a batch through the local PayPal server;
the batch page follows it to completion by itself; the contributor sees the payment."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import desktop_page, nav, sign_in
from tests.conftest import BROWSER_TIMEOUT, PHONE, LiveServer, screenshot
from tests.payouts.conftest import build_team
from tests.paypal_server import FakePayPal
from trove.payouts import client as paypal_settings

pytestmark = pytest.mark.browser


@pytest.fixture
def paypal_server(make_app, monkeypatch):
    monkeypatch.setitem(paypal_settings.CLIENT_OPTIONS, "timeout", 2.0)
    with FakePayPal() as paypal:
        app = make_app(
            WTF_CSRF_ENABLED=True,
            RATELIMIT_ENABLED=True,
            TASKS_MODE="sync",
            PAYPAL_CLIENT_ID=paypal.client_id,
            PAYPAL_CLIENT_SECRET=paypal.secret,
            PAYPAL_BASE_URL=paypal.base_url,
            PAYPAL_WEBHOOK_ID=paypal.webhook_id,
        )
        with LiveServer(app) as server:
            yield server, paypal
        cached = app.extensions.pop("trove_paypal", None)
        if cached is not None:
            cached[1].close()


def test_finance_pays_a_batch_and_the_contributor_sees_it(paypal_server, browser):
    server, paypal = paypal_server
    with server.app.test_request_context("/"):
        team = build_team({"sam.pay@example.org": 2, "kim.pay@example.org": 1})
        project_id = team.project.id
        finance_email, sam_email = team.finance.email, team.contributors[0].email

    desk, page, console = desktop_page(browser)
    sign_in(page, server.url, finance_email)
    page.goto(f"{server.url}/projects/{project_id}")
    page.get_by_role("link", name="Payouts").click()
    expect(page.locator("#batch-preview tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Prepare the batch").click()
    page.get_by_text("Batch prepared.").wait_for()
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#batch-status")).to_have_text("Approved")
    page.get_by_role("button", name="Send to PayPal").click()
    expect(page.locator("#batch-status")).to_have_text("Sent to PayPal")
    assert paypal.batches_created == 1

    # PayPal finishes and says so by webhook; the page, polling, shows it within seconds.
    paypal.advance(2)
    [remote] = paypal.batches.values()
    response = paypal.send_webhook(
        f"{server.url}/payouts/paypal/webhook",
        "PAYMENT.PAYOUTSBATCH.SUCCESS",
        {"batch_header": remote.header_json()},
    )
    assert response.status_code == 200
    expect(page.locator("#batch-status")).to_have_text("Completed", timeout=BROWSER_TIMEOUT)
    screenshot(page, "payout-batch-desktop")
    assert console.csp_violations() == [] and console.unexpected() == []
    desk.close()

    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    sign_in(page, server.url, sam_email)
    nav(page, "My photos")
    page.get_by_role("link", name="My earnings and payments").click()
    expect(page.locator("#payments .badge")).to_have_text("Paid")
    expect(page.locator("#balance-usd")).to_contain_text("$3.00")
    screenshot(page, "earnings-phone")
    phone.close()
    assert paypal.ledger == {
        ("sam.pay@example.org", "USD"): 300,
        ("kim.pay@example.org", "USD"): 150,
    }
