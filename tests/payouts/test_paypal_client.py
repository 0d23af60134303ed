"""The PayPal Payouts client against a local fake of the API over real HTTP."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.paypal_server import FakePayPal, LateAnswersTimeOut
from trove.payouts.paypal import (
    AuthError,
    DuplicateBatchError,
    PayPalClient,
    PayPalError,
    PayPalItem,
    TransientError,
    format_amount,
    item_id_from_sender_item_id,
    parse_amount,
    sender_batch_id_for,
    sender_item_id_for,
)

PAYOUTS = "/v1/payments/payouts"
TOKEN = "/v1/oauth2/token"


@pytest.fixture
def paypal() -> Iterator[FakePayPal]:
    with FakePayPal() as server:
        yield server


def make_client(server: FakePayPal, **kw: object) -> PayPalClient:
    # Timeouts come from ``answer_late``, never from the clock: the real one is generous.
    options: dict = {"timeout": 60.0, "max_retries": 2, "backoff": 0.01, **kw}
    if "http_client" not in options:
        options.setdefault("transport", LateAnswersTimeOut())
    return PayPalClient(server.base_url, server.client_id, server.secret, **options)


@pytest.fixture
def client(paypal: FakePayPal) -> Iterator[PayPalClient]:
    with make_client(paypal) as c:
        yield c


def items(n: int = 2, *, currency: str = "USD", minor: int = 250) -> list[PayPalItem]:
    return [
        PayPalItem(f"person{i}@example.com", minor, currency, sender_item_id_for(i + 1))
        for i in range(n)
    ]


def create(client: PayPalClient, batch_id: int = 1, batch_items=None, **kw: object):
    return client.create_batch(
        sender_batch_id_for(batch_id),
        batch_items if batch_items is not None else items(),
        email_subject="You have been paid",
        email_message="Thanks for your photos.",
        **kw,
    )


# --- ids and money -------------------------------------------------------------------------


def test_ids_are_stable_and_reversible():
    assert sender_batch_id_for(42) == "trove-batch-000042"
    assert sender_batch_id_for(1234567, prefix="lab2") == "lab2-batch-1234567"
    assert sender_item_id_for(7) == "trove-item-7"
    assert item_id_from_sender_item_id("trove-item-7") == 7
    assert item_id_from_sender_item_id("trove-item-7-0a1b2c3d") == 7
    assert item_id_from_sender_item_id("trove-item-7-") is None
    assert item_id_from_sender_item_id("other-item-7") is None
    assert item_id_from_sender_item_id("trove-item-07") is None
    assert item_id_from_sender_item_id(None) is None


@pytest.mark.parametrize("bad", [0, -1, True, 1.0])
def test_ids_reject_non_positive_ints(bad):
    with pytest.raises(ValueError):
        sender_batch_id_for(bad)


@pytest.mark.parametrize(
    ("minor", "currency", "expected"),
    [
        (1234, "USD", "12.34"),
        (5, "USD", "0.05"),
        (100, "EUR", "1.00"),
        (0, "USD", "0.00"),
        (10**20 + 1, "USD", "1000000000000000000.01"),
        (500, "JPY", "500"),
        (1, "JPY", "1"),
        (150_000, "HUF", "1500"),
        (9_900, "TWD", "99"),
    ],
)
def test_format_amount_is_exact(minor, currency, expected):
    assert format_amount(minor, currency) == expected
    assert parse_amount(expected, currency) == minor


def test_format_amount_rejects_what_paypal_would_refuse():
    with pytest.raises(ValueError, match="no decimals"):
        format_amount(150_050, "HUF")  # 1500.50 HUF: PayPal takes whole forints only
    with pytest.raises(TypeError):
        format_amount(12.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        format_amount(100, "XXX")
    with pytest.raises(ValueError):
        format_amount(-1, "USD")
    with pytest.raises(ValueError, match="decimals"):
        parse_amount("1.005", "USD")
    with pytest.raises(ValueError):
        parse_amount("1.5", "JPY")


@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(["USD", "EUR", "GBP", "JPY"]))
def test_amounts_round_trip_without_floats(minor, currency):
    text = format_amount(minor, currency)
    assert parse_amount(text, currency) == minor
    exponent = 0 if currency == "JPY" else 2
    assert Decimal(text) == Decimal(minor).scaleb(-exponent)


# --- OAuth ---------------------------------------------------------------------------------


def test_token_is_fetched_once_and_cached(paypal, client):
    header = create(client)
    client.get_batch(header.payout_batch_id)
    client.get_item(paypal.batches[header.payout_batch_id].items[0].payout_item_id)
    assert paypal.tokens_issued == 1
    assert paypal.calls[0] == ("POST", TOKEN)
    assert paypal.calls_to("POST", TOKEN) == 1


def test_token_is_shared_by_threads(paypal, client):
    header = create(client)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            client.get_batch(header.payout_batch_id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    client._drop_token(client._access_token())  # start cold
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert paypal.tokens_issued == 2


def test_token_is_refreshed_early_before_expires_in(paypal):
    now = [1000.0]
    with make_client(paypal, clock=lambda: now[0]) as client:
        header = create(client)
        now[0] += paypal.token_ttl - 301  # still comfortably valid
        client.get_batch(header.payout_batch_id)
        assert paypal.tokens_issued == 1
        now[0] += 2  # inside the early-refresh margin
        client.get_batch(header.payout_batch_id)
        assert paypal.tokens_issued == 2


def test_401_on_expired_token_triggers_exactly_one_refresh(paypal, client):
    header = create(client)
    paypal.expire_tokens()
    path = f"{PAYOUTS}/{header.payout_batch_id}"
    before = len(paypal.calls)
    batch = client.get_batch(header.payout_batch_id)
    assert batch.header.payout_batch_id == header.payout_batch_id
    assert paypal.calls[before:] == [("GET", path), ("POST", TOKEN), ("GET", path)]
    assert paypal.tokens_issued == 2


def test_repeated_401_raises_auth_error_after_one_refresh(paypal, client):
    header = create(client)
    paypal.fail_next(PAYOUTS, status=401, times=5, method="GET")
    with pytest.raises(AuthError) as info:
        client.get_batch(header.payout_batch_id)
    assert info.value.status_code == 401
    assert paypal.calls_to("GET", PAYOUTS) == 2
    assert paypal.tokens_issued == 2


def test_bad_credentials_raise_auth_error_without_retrying(paypal):
    client = PayPalClient(paypal.base_url, paypal.client_id, "wrong", backoff=0.01)
    with client, pytest.raises(AuthError) as info:
        client.get_item("ANY")
    assert info.value.name == "invalid_client"
    assert paypal.calls == [("POST", TOKEN)]


# --- create and read -----------------------------------------------------------------------


def test_create_then_get_batch(paypal, client):
    sent = [
        PayPalItem("ada@example.com", 1234, "USD", sender_item_id_for(1), note="Photo 1"),
        PayPalItem("bo@example.com", 1, "USD", sender_item_id_for(2)),
    ]
    header = create(client, 42, sent)
    assert header.sender_batch_id == "trove-batch-000042"
    assert header.batch_status == "PENDING"

    request = paypal.requests[-1]
    assert request.headers["PayPal-Request-Id"] == "trove-batch-000042-create"
    body = json.loads(request.body)
    assert body["sender_batch_header"]["sender_batch_id"] == "trove-batch-000042"
    assert body["sender_batch_header"]["email_subject"] == "You have been paid"
    assert body["items"][0] == {
        "recipient_type": "EMAIL",
        "amount": {"value": "12.34", "currency": "USD"},
        "receiver": "ada@example.com",
        "sender_item_id": "trove-item-1",
        "note": "Photo 1",
    }
    assert body["items"][1]["amount"] == {"value": "0.01", "currency": "USD"}

    assert client.get_batch(header.payout_batch_id).header.batch_status == "PENDING"
    paypal.advance()
    assert client.get_batch(header.payout_batch_id).header.batch_status == "PROCESSING"
    paypal.advance()
    batch = client.get_batch(header.payout_batch_id)
    assert batch.header.batch_status == "SUCCESS"
    assert isinstance(batch.header.time_completed, datetime)
    assert [(i.sender_item_id, i.amount_minor, i.currency) for i in batch.items] == [
        ("trove-item-1", 1234, "USD"),
        ("trove-item-2", 1, "USD"),
    ]
    assert all(i.transaction_status == "SUCCESS" and i.is_terminal for i in batch.items)
    assert paypal.paid == {"trove-item-1": 1, "trove-item-2": 1}
    assert paypal.ledger == {("ada@example.com", "USD"): 1234, ("bo@example.com", "USD"): 1}


def test_zero_decimal_currency_is_sent_and_read_exactly(paypal, client):
    header = create(client, batch_items=items(1, currency="JPY", minor=500))
    assert json.loads(paypal.requests[-1].body)["items"][0]["amount"]["value"] == "500"
    paypal.advance(2)
    (item,) = client.get_batch(header.payout_batch_id).items
    assert (item.amount_minor, item.currency) == (500, "JPY")
    assert paypal.ledger == {("person0@example.com", "JPY"): 500}


def test_pagination_returns_all_2500_items(paypal, client):
    sent = items(2500)
    header = create(client, batch_items=sent)
    batch = client.get_batch(header.payout_batch_id)
    assert [i.sender_item_id for i in batch.items] == [i.sender_item_id for i in sent]
    assert len({i.payout_item_id for i in batch.items}) == 2500
    pages = [r.query for r in paypal.requests if r.method == "GET"]
    assert [q["page"] for q in pages] == [["1"], ["2"], ["3"]]
    assert all(q["page_size"] == ["1000"] and q["total_required"] == ["true"] for q in pages)


def test_pagination_with_small_pages(paypal, client):
    header = create(client, batch_items=items(5))
    batch = client.get_batch(header.payout_batch_id, page_size=2)
    assert len(batch.items) == 5
    assert paypal.calls_to("GET", PAYOUTS) == 3
    with pytest.raises(ValueError):
        client.get_batch(header.payout_batch_id, page_size=1001)


def test_item_statuses_follow_the_receiver(paypal, client):
    paypal.outcomes.update(
        {
            "unclaimed@example.com": "UNCLAIMED",
            "failed@example.com": "FAILED",
            "returned@example.com": "RETURNED",
            "blocked@example.com": "BLOCKED",
        }
    )
    receivers = ["ok", "unclaimed", "failed", "returned", "blocked"]
    sent = [
        PayPalItem(f"{r}@example.com", 100, "USD", sender_item_id_for(n + 1))
        for n, r in enumerate(receivers)
    ]
    header = create(client, batch_items=sent)
    paypal.advance(2)
    batch = client.get_batch(header.payout_batch_id)
    statuses = {i.receiver: i.transaction_status for i in batch.items}
    assert statuses == {
        "ok@example.com": "SUCCESS",
        "unclaimed@example.com": "UNCLAIMED",
        "failed@example.com": "FAILED",
        "returned@example.com": "RETURNED",
        "blocked@example.com": "BLOCKED",
    }
    failed = next(i for i in batch.items if i.transaction_status == "FAILED")
    assert failed.error_name and failed.error_message
    assert isinstance(failed.time_processed, datetime)
    unclaimed = next(i for i in batch.items if i.transaction_status == "UNCLAIMED")
    assert not unclaimed.is_terminal
    assert client.get_item(unclaimed.payout_item_id) == unclaimed
    assert paypal.paid == {"trove-item-1": 1}


def test_auto_advance_moves_state_on_each_get():
    with FakePayPal(auto_advance=True) as paypal, make_client(paypal) as client:
        header = create(client)
        seen = [client.get_batch(header.payout_batch_id).header.batch_status for _ in range(3)]
        assert seen == ["PROCESSING", "SUCCESS", "SUCCESS"]


def test_cancel_unclaimed_item(paypal, client):
    paypal.outcomes["gone@example.com"] = "UNCLAIMED"
    sent = [
        PayPalItem("gone@example.com", 100, "USD", sender_item_id_for(1)),
        PayPalItem("here@example.com", 100, "USD", sender_item_id_for(2)),
    ]
    header = create(client, batch_items=sent)
    gone, here = paypal.batches[header.payout_batch_id].items
    with pytest.raises(PayPalError) as info:
        client.cancel_item(gone.payout_item_id)  # batch still PENDING
    assert info.value.name == "BATCH_NOT_COMPLETED"
    paypal.advance(2)

    cancelled = client.cancel_item(gone.payout_item_id)
    assert cancelled.transaction_status == "RETURNED"
    request_id = paypal.requests[-1].headers["PayPal-Request-Id"]
    assert request_id.startswith(f"cancel-{gone.payout_item_id}-")
    assert client.cancel_item(gone.payout_item_id).transaction_status == "RETURNED"
    with pytest.raises(PayPalError) as info:
        client.cancel_item(here.payout_item_id)
    assert (info.value.status_code, info.value.name) == (400, "ITEM_INCORRECT_STATUS")
    assert paypal.paid == {"trove-item-2": 1}


def test_unknown_ids_are_quoted_and_raise_not_found(paypal, client):
    with pytest.raises(PayPalError) as info:
        client.get_item("a/b c?d")
    assert info.value.status_code == 404
    assert info.value.name == "INVALID_RESOURCE_ID"
    assert info.value.debug_id
    assert paypal.calls[-1] == ("GET", "/v1/payments/payouts-item/a%2Fb%20c%3Fd")


@pytest.mark.parametrize("suffix", ["", "/", "//"])
def test_base_url_with_or_without_trailing_slash(paypal, suffix):
    with PayPalClient(paypal.base_url + suffix, paypal.client_id, paypal.secret) as client:
        create(client)
    assert paypal.calls == [("POST", TOKEN), ("POST", PAYOUTS)]


def test_base_url_path_prefix_is_kept(paypal):
    client = PayPalClient(paypal.base_url + "/proxy/", "id", "secret", max_retries=0)
    with client, pytest.raises(AuthError):
        client.get_item("X")
    assert paypal.calls == [("POST", "/proxy" + TOKEN)]


def test_base_url_must_be_http():
    with pytest.raises(ValueError):
        PayPalClient("api-m.paypal.com", "id", "secret")


# --- validation ----------------------------------------------------------------------------


def test_more_than_15000_items_is_refused_before_any_call(paypal, client):
    with pytest.raises(ValueError, match="15000"):
        create(client, batch_items=items(15_001, minor=1))
    assert paypal.calls == []


def test_duplicate_sender_item_id_in_one_batch_is_refused(client):
    twice = [items(1)[0], items(1)[0]]
    with pytest.raises(ValueError, match="duplicate"):
        create(client, batch_items=twice)
    with pytest.raises(ValueError):
        create(client, batch_items=[])


# --- retries and idempotency ---------------------------------------------------------------


def test_5xx_on_create_then_success_creates_one_batch(paypal, client):
    paypal.fail_next(PAYOUTS, status=500, method="POST")
    header = create(client)
    assert paypal.batches_created == 1
    posts = [r for r in paypal.requests if r.method == "POST" and r.path == PAYOUTS]
    assert len(posts) == 2
    assert posts[0].body == posts[1].body
    assert {r.headers["PayPal-Request-Id"] for r in posts} == {"trove-batch-000001-create"}
    assert paypal.batch_by_sender_id("trove-batch-000001").payout_batch_id == (
        header.payout_batch_id
    )


def test_5xx_after_accept_replays_the_original(paypal, client):
    paypal.fail_next(PAYOUTS, status=503, method="POST", after_accept=True)
    header = create(client)
    assert paypal.batches_created == 1
    assert header.payout_batch_id in paypal.batches


def test_429_is_retried(paypal, client):
    paypal.fail_next(PAYOUTS, status=429, method="POST")
    create(client)
    assert paypal.batches_created == 1
    assert paypal.calls_to("POST", PAYOUTS) == 2


@pytest.mark.parametrize("latency", [0.0, 0.5], ids=["idle", "busy machine"])
def test_timeout_after_accept_returns_the_replayed_original(paypal, latency):
    # The fake stores the batch, then answers too late; the retry carries the same
    # PayPal-Request-Id, so PayPal replays the first answer: the client returns it.
    # Only the fake decides what is late: slow answers everywhere change nothing.
    paypal.latency = latency
    paypal.answer_late(PAYOUTS, method="POST")
    with make_client(paypal) as client:
        header = create(client)
    assert paypal.batches_created == 1
    (batch,) = paypal.batches.values()
    assert header.payout_batch_id == batch.payout_batch_id
    assert paypal.calls_to("POST", PAYOUTS) == 2


def test_dropped_connection_after_accept_is_retried_safely(paypal, client):
    paypal.drop_after_accept(PAYOUTS, method="POST")
    header = create(client)
    assert paypal.batches_created == 1
    assert header.payout_batch_id in paypal.batches


def test_exhausted_retries_are_ambiguous_and_reconcile_with_the_same_id(paypal):
    paypal.answer_late(PAYOUTS, times=3, method="POST")
    with make_client(paypal, max_retries=2) as client:
        with pytest.raises(TransientError) as info:
            create(client)
        assert info.value.attempts == 3
        # PayPal did accept it: asking again with the same ids returns that batch.
        assert paypal.batches_created == 1
        original = paypal.batch_by_sender_id("trove-batch-000001")
        assert create(client).payout_batch_id == original.payout_batch_id
        # Had PayPal forgotten the request id, the sender_batch_id still guards us.
        with pytest.raises(DuplicateBatchError) as dup:
            create(client, request_id="a-fresh-request-id")
        assert dup.value.payout_batch_id == original.payout_batch_id
        assert client.get_batch(dup.value.payout_batch_id).header.sender_batch_id == (
            "trove-batch-000001"
        )
    assert paypal.batches_created == 1


def test_refused_retry_after_a_possible_accept_stays_ambiguous(paypal):
    # PayPal may fail a retry that races the first attempt with the same request id; a
    # 4xx then must not read as "not paid", or the caller could pay again under a new id.
    paypal.answer_late(PAYOUTS, method="POST")
    paypal.fail_next(PAYOUTS, status=422, method="POST")
    with make_client(paypal) as client, pytest.raises(TransientError) as info:
        create(client)
    assert info.value.name == "INSUFFICIENT_FUNDS"
    assert paypal.batches_created == 1


def test_rate_limit_then_4xx_is_a_definite_refusal(paypal, client):
    paypal.fail_next(PAYOUTS, status=429, method="POST")  # refused, not processed
    paypal.fail_next(PAYOUTS, status=422, method="POST")
    with pytest.raises(PayPalError) as info:
        create(client)
    assert type(info.value) is PayPalError


def test_reused_sender_batch_id_raises_duplicate_batch_error(paypal, client):
    first = create(client)
    with pytest.raises(DuplicateBatchError) as info:
        create(client, request_id="another-request")
    error = info.value
    assert (error.status_code, error.name) == (400, "USER_BUSINESS_ERROR")
    assert error.sender_batch_id == "trove-batch-000001"
    assert error.payout_batch_id == first.payout_batch_id
    assert paypal.batches_created == 1
    assert paypal.calls_to("POST", PAYOUTS) == 2  # a 4xx is never retried


def test_duplicate_in_paypals_older_shape_is_recognised():
    body = {
        "name": "USER_BUSINESS_ERROR",
        "message": "User business error.",
        "debug_id": "4854e55f0e1b3",
        "details": [{"field": "SENDER_BATCH_ID", "issue": "Duplicate batch request"}],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN:
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return httpx.Response(400, json=body)

    transport = httpx.MockTransport(handler)
    client = PayPalClient("https://api-m.sandbox.paypal.com", "id", "s", transport=transport)
    with client, pytest.raises(DuplicateBatchError) as info:
        create(client)
    assert info.value.payout_batch_id is None
    assert info.value.debug_id == "4854e55f0e1b3"


def test_other_4xx_is_not_retried(paypal, client):
    paypal.fail_next(PAYOUTS, status=422, method="POST")
    with pytest.raises(PayPalError) as info:
        create(client)
    assert not isinstance(info.value, TransientError | DuplicateBatchError)
    assert (info.value.status_code, info.value.name) == (422, "INSUFFICIENT_FUNDS")
    assert paypal.calls_to("POST", PAYOUTS) == 1
    assert paypal.batches_created == 0


def test_connection_refused_raises_transient_error():
    with FakePayPal() as paypal:
        base_url = paypal.base_url
    client = PayPalClient(base_url, "id", "secret", max_retries=1, backoff=0.01)
    with client, pytest.raises(TransientError) as info:
        client.get_item("X")
    assert info.value.attempts == 2


# --- webhooks ------------------------------------------------------------------------------


def event_body(paypal: FakePayPal) -> bytes:
    resource = {"payout_item_id": "I1", "transaction_status": "SUCCESS"}
    event = paypal.webhook_event("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", resource)
    # Spacing, key order and number spelling as a sender might choose them.
    return json.dumps(event, indent=2, sort_keys=True).replace('"I1"', '"I1" ').encode()


def test_webhook_with_good_signature_verifies(paypal, client):
    body = event_body(paypal)
    headers = paypal.webhook_headers(body)
    assert client.verify_webhook(webhook_id=paypal.webhook_id, headers=headers, body=body)
    lower = {k.lower(): v for k, v in headers.items()}
    assert client.verify_webhook(webhook_id=paypal.webhook_id, headers=lower, body=body)
    sent = json.loads(paypal.requests[-1].body)
    assert sent["transmission_id"] == headers["PAYPAL-TRANSMISSION-ID"]
    assert sent["auth_algo"] == "SHA256withRSA"
    assert sent["webhook_event"] == json.loads(body)


def test_webhook_with_bad_signature_or_other_webhook_id_fails(paypal, client):
    body = event_body(paypal)
    bad = paypal.webhook_headers(body, valid=False)
    assert not client.verify_webhook(webhook_id=paypal.webhook_id, headers=bad, body=body)
    good = paypal.webhook_headers(body)
    assert not client.verify_webhook(webhook_id="WH-OTHER", headers=good, body=body)
    assert not client.verify_webhook(
        webhook_id=paypal.webhook_id, headers=good, body=body.replace(b"SUCCESS", b"FAILED")
    )


@pytest.mark.parametrize("drop", ["PAYPAL-TRANSMISSION-SIG", "PAYPAL-CERT-URL", None])
def test_webhook_with_missing_headers_or_bad_body_fails_without_a_call(paypal, client, drop):
    body = event_body(paypal)
    headers = paypal.webhook_headers(body)
    if drop:
        del headers[drop]
    else:
        body = b"not json"
    assert not client.verify_webhook(webhook_id=paypal.webhook_id, headers=headers, body=body)
    assert paypal.calls == []


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers.items()), body))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_send_webhook_posts_a_verifiable_event(paypal, client):
    received: list[tuple[dict[str, str], bytes]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    with HTTPServer(("127.0.0.1", 0), handler) as app:
        thread = threading.Thread(target=app.handle_request)
        thread.start()
        url = f"http://127.0.0.1:{app.server_address[1]}/payouts/paypal/webhook"
        response = paypal.send_webhook(url, "PAYMENT.PAYOUTS-ITEM.SUCCEEDED", {"x": 1})
        thread.join()
    assert response.status_code == 204
    ((headers, body),) = received
    assert json.loads(body)["event_type"] == "PAYMENT.PAYOUTS-ITEM.SUCCEEDED"
    assert client.verify_webhook(webhook_id=paypal.webhook_id, headers=headers, body=body)


# --- logging -------------------------------------------------------------------------------


def test_logs_carry_ids_never_credentials(paypal, client, caplog):
    caplog.set_level(logging.DEBUG)
    paypal.fail_next(PAYOUTS, status=500, method="POST")
    header = create(client, 9)
    client.get_batch(header.payout_batch_id)
    text = caplog.text
    assert "trove-batch-000009" in text
    assert header.payout_batch_id in text
    assert paypal.secret not in text
    assert client._token not in text
    assert paypal.secret not in repr(client)


def test_clients_verify_paypal_with_one_tls_context_built_once():
    import ssl

    first = PayPalClient("https://api-m.paypal.com", "id", "secret")
    second = PayPalClient("https://api-m.sandbox.paypal.com", "id2", "secret2")
    try:
        contexts = [
            client._http._transport._pool._ssl_context  # type: ignore[attr-defined]
            for client in (first, second)
        ]
    finally:
        first.close()
        second.close()
    assert contexts[0] is contexts[1]
    assert contexts[0].verify_mode is ssl.CERT_REQUIRED
    assert contexts[0].check_hostname
