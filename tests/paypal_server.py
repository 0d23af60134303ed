"""A local fake of the PayPal Payouts REST API for tests, on 127.0.0.1.

It speaks the endpoints Trove's client uses, in PayPal's shapes: OAuth client-credentials
tokens that expire, batch creation with ``sender_batch_id`` de-duplication and
``PayPal-Request-Id`` replay, paginated batch details, item details, cancelling an
UNCLAIMED item, and webhook signature verification. Faults (errors, delays, dropped
connections, answers too late) are injected from Python, and counters let a test assert
that an item was paid exactly once.

A client timing out is simulated without a clock: ``answer_late`` marks the answer, and
a client sending through :class:`LateAnswersTimeOut` gets the ``httpx.ReadTimeout`` its
read timeout would raise. Racing a short real timeout made tests fail on a busy machine.

Use it in tests as a context manager::

    with FakePayPal() as paypal:
        client = PayPalClient(paypal.base_url, paypal.client_id, paypal.secret)

or run it for browser tests::

    python tests/paypal_server.py --port 8765 --client-id X --secret Y

State changes only through :meth:`FakePayPal.advance` (or ``POST /_fake/advance``), or on
every GET of a batch or item with ``auto_advance=True``: a batch goes PENDING →
PROCESSING → SUCCESS, and at SUCCESS each item takes the final status configured for its
receiver in ``outcomes`` (default SUCCESS).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import signal
import socket
import threading
import time
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

MAX_ITEMS = 15_000
MAX_PAGE_SIZE = 1000
NO_DECIMALS = frozenset({"HUF", "JPY", "TWD"})
ITEM_STATUSES = frozenset(
    {"SUCCESS", "FAILED", "PENDING", "UNCLAIMED", "RETURNED", "ONHOLD", "BLOCKED", "REFUNDED",
     "REVERSED"}
)  # fmt: skip
ITEM_ERRORS = {
    "UNCLAIMED": ("RECEIVER_UNREGISTERED", "Receiver is unregistered"),
    "FAILED": ("RECEIVER_ACCOUNT_LOCKED", "Receiver account is locked or inactive"),
    "BLOCKED": ("RECEIVER_ACCOUNT_LIMITATION", "Receiver account has a limitation"),
    "RETURNED": ("RECEIVER_UNCONFIRMED", "Receiver is unconfirmed"),
    "ONHOLD": ("PENDING_RECIPIENT_NON_HOLDING_CURRENCY_PAYMENT_PREFERENCE", "Item on hold"),
}
ERRORS_LINK = "https://developer.paypal.com/docs/api/payments.payouts-batch/#errors"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def crc32_signature_base(transmission_id: str, time_: str, webhook_id: str, body: bytes) -> str:
    """Return the string PayPal signs for a webhook: ids, time and the body's CRC32."""
    return f"{transmission_id}|{time_}|{webhook_id}|{zlib.crc32(body) & 0xFFFFFFFF}"


@dataclass
class FakeItem:
    """One payout item held by the fake."""

    payout_item_id: str
    payout_batch_id: str
    sender_batch_id: str | None
    receiver: str
    value: str
    currency: str
    sender_item_id: str | None
    note: str | None
    final_status: str
    status: str = "PENDING"
    transaction_id: str | None = None
    time_processed: str | None = None

    def to_json(self, base_url: str) -> dict[str, Any]:
        """Return the item in PayPal's payout-item shape."""
        data: dict[str, Any] = {
            "payout_item_id": self.payout_item_id,
            "transaction_status": self.status,
            "payout_item_fee": {"currency": self.currency, "value": _zero(self.currency)},
            "payout_batch_id": self.payout_batch_id,
            "sender_batch_id": self.sender_batch_id,
            "payout_item": {
                "recipient_type": "EMAIL",
                "amount": {"currency": self.currency, "value": self.value},
                "receiver": self.receiver,
                "recipient_wallet": "PAYPAL",
            },
            "links": [
                {
                    "href": f"{base_url}/v1/payments/payouts-item/{self.payout_item_id}",
                    "rel": "item",
                    "method": "GET",
                    "encType": "application/json",
                }
            ],
        }
        if self.sender_item_id is not None:
            data["payout_item"]["sender_item_id"] = self.sender_item_id
        if self.note is not None:
            data["payout_item"]["note"] = self.note
        if self.transaction_id:
            data["transaction_id"] = self.transaction_id
        if self.time_processed:
            data["time_processed"] = self.time_processed
        if self.status in ITEM_ERRORS:
            name, message = ITEM_ERRORS[self.status]
            data["errors"] = {"name": name, "message": message, "information_link": ERRORS_LINK}
        return data


@dataclass
class FakeBatch:
    """One payout batch held by the fake."""

    payout_batch_id: str
    sender_batch_header: dict[str, Any]
    items: list[FakeItem]
    status: str = "PENDING"
    time_created: str = field(default_factory=_now)
    time_completed: str | None = None

    @property
    def sender_batch_id(self) -> str | None:
        """Return the sender's batch id."""
        return self.sender_batch_header.get("sender_batch_id")

    def header_json(self) -> dict[str, Any]:
        """Return the batch header in PayPal's shape."""
        currency = self.items[0].currency
        total = sum(Decimal(i.value) for i in self.items if i.currency == currency)
        header: dict[str, Any] = {
            "payout_batch_id": self.payout_batch_id,
            "batch_status": self.status,
            "time_created": self.time_created,
            "sender_batch_header": self.sender_batch_header,
            "amount": {"currency": currency, "value": str(total)},
            "fees": {"currency": currency, "value": _zero(currency)},
        }
        if self.time_completed:
            header["time_completed"] = self.time_completed
        return header


#: Header of an answer that came after the client's timeout (see ``answer_late``).
LATE = "X-Fake-Answered-Late"


class LateAnswersTimeOut(httpx.HTTPTransport):
    """Real HTTP to the fake, where an answer marked late raises the client's read timeout."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request``; raise ``httpx.ReadTimeout`` if the fake answered it too late."""
        response = super().handle_request(request)
        if LATE in response.headers:
            response.close()
            raise httpx.ReadTimeout("the answer came after the read timeout", request=request)
        return response


@dataclass
class _Fault:
    kind: str  # "fail", "fail_after", "delay", "drop", "late"
    prefix: str
    method: str | None
    times: int
    status: int = 500
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method != method:
            return False
        prefix = self.prefix.rstrip("/")
        return path == prefix or path.startswith(prefix + "/")


@dataclass
class RecordedRequest:
    """A request the fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class FakePayPal:
    """A PayPal Payouts API fake running in a background thread on 127.0.0.1."""

    def __init__(
        self,
        *,
        client_id: str = "fake-client-id",
        secret: str = "fake-secret",
        webhook_id: str = "WH-FAKE-0001",
        token_ttl: int = 32400,
        outcomes: dict[str, str] | None = None,
        auto_advance: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.client_id = client_id
        self.secret = secret
        self.webhook_id = webhook_id
        self.token_ttl = token_ttl
        self.outcomes = {k.lower(): v.upper() for k, v in (outcomes or {}).items()}
        self.auto_advance = auto_advance
        #: Seconds every answer waits, to show a test does not depend on the fake's speed.
        self.latency = 0.0
        self._host = host
        self._port = port
        self._signing_key = uuid.uuid4().bytes
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._ids = itertools.count(1)
        self._tokens: dict[str, float] = {}
        self._replies: dict[str, _Reply] = {}
        self._faults: list[_Fault] = []
        self.requests: list[RecordedRequest] = []
        self.batches: dict[str, FakeBatch] = {}
        self.items: dict[str, FakeItem] = {}
        self.tokens_issued = 0
        self.batches_created = 0
        self.items_created = 0
        self.paid: Counter[str] = Counter()
        self.ledger: Counter[tuple[str, str]] = Counter()

    # -- lifecycle --

    def start(self) -> Self:
        """Start serving in a background thread."""
        if self._httpd is not None:
            raise RuntimeError("already started")
        self._stopping.clear()
        self._httpd = _Server((self._host, self._port), _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="fake-paypal", kwargs={"poll_interval": 0.05}
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections and join every thread."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        assert self._thread is not None
        self._thread.join()
        self._httpd = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """Return the URL to give the client, without a trailing slash."""
        if self._httpd is None:
            raise RuntimeError("not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # -- observation --

    @property
    def calls(self) -> list[tuple[str, str]]:
        """Return (method, path) of every PayPal request received, in order."""
        with self._lock:
            return [(r.method, r.path) for r in self.requests]

    def calls_to(self, method: str, path_prefix: str) -> int:
        """Return how many requests matched a method and path prefix."""
        return sum(1 for m, p in self.calls if m == method and p.startswith(path_prefix))

    def batch_by_sender_id(self, sender_batch_id: str) -> FakeBatch | None:
        """Return the batch created with a sender_batch_id, if any."""
        with self._lock:
            for batch in self.batches.values():
                if batch.sender_batch_id == sender_batch_id:
                    return batch
        return None

    # -- state --

    def advance(self, steps: int = 1) -> None:
        """Move every unfinished batch forward by a step (PENDING→PROCESSING→SUCCESS)."""
        with self._lock:
            for _ in range(steps):
                for batch in self.batches.values():
                    self._advance_batch(batch)

    def set_item_status(self, payout_item_id: str, status: str) -> None:
        """Force an item's status, e.g. UNCLAIMED→SUCCESS when the receiver signs up."""
        if status not in ITEM_STATUSES:
            raise ValueError(status)
        with self._lock:
            self._set_status(self.items[payout_item_id], status)

    def expire_tokens(self) -> None:
        """Expire every access token issued so far, as PayPal does after expires_in."""
        with self._lock:
            self._tokens.clear()

    # -- faults --

    def fail_next(
        self,
        path_prefix: str,
        status: int = 500,
        times: int = 1,
        *,
        method: str | None = None,
        after_accept: bool = False,
    ) -> None:
        """Answer the next matching requests with an error status.

        With ``after_accept`` the request is processed (a batch is stored) first.
        """
        kind = "fail_after" if after_accept else "fail"
        self._add_fault(_Fault(kind, path_prefix, method, times, status=status))

    def delay_next(
        self, path_prefix: str, seconds: float, times: int = 1, *, method: str | None = None
    ) -> None:
        """Process the next matching requests, then wait before answering."""
        self._add_fault(_Fault("delay", path_prefix, method, times, seconds=seconds))

    def answer_late(self, path_prefix: str, times: int = 1, *, method: str | None = None) -> None:
        """Process the next matching requests, then answer after the client gave up.

        The answer carries ``LATE``; :class:`LateAnswersTimeOut` turns it into the read
        timeout the client would have hit, deterministically.
        """
        self._add_fault(_Fault("late", path_prefix, method, times))

    def drop_after_accept(
        self, path_prefix: str, times: int = 1, *, method: str | None = None
    ) -> None:
        """Process the next matching requests, then close the connection unanswered."""
        self._add_fault(_Fault("drop", path_prefix, method, times))

    def _add_fault(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # -- webhooks --

    def sign(self, transmission_id: str, time_: str, webhook_id: str, body: bytes) -> str:
        """Return the transmission signature the fake accepts for these values."""
        base = crc32_signature_base(transmission_id, time_, webhook_id, body).encode()
        digest = hmac.new(self._signing_key, base, hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def webhook_event(self, event_type: str, resource: dict[str, Any]) -> dict[str, Any]:
        """Return a webhook event in PayPal's shape."""
        is_item = "PAYOUTS-ITEM" in event_type
        return {
            "id": f"WH-{uuid.uuid4().hex[:17].upper()}",
            "event_version": "1.0",
            "create_time": _now(),
            "resource_type": "payouts_item" if is_item else "payouts",
            "event_type": event_type,
            "summary": f"Fake {event_type}",
            "resource": resource,
            "links": [],
        }

    def webhook_headers(
        self, body: bytes, *, webhook_id: str | None = None, valid: bool = True
    ) -> dict[str, str]:
        """Return PAYPAL-* headers for a webhook body, signed so verification succeeds."""
        transmission_id = str(uuid.uuid1())
        sent = _now()
        sig = self.sign(transmission_id, sent, webhook_id or self.webhook_id, body)
        if not valid:
            sig = self.sign(transmission_id, sent, webhook_id or self.webhook_id, body + b" ")
        return {
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
            "PAYPAL-CERT-URL": f"{self.base_url}/v1/notifications/certs/CERT-fake",
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-SIG": sig,
            "PAYPAL-TRANSMISSION-TIME": sent,
            "Content-Type": "application/json",
        }

    def send_webhook(
        self,
        url: str,
        event_type: str,
        resource: dict[str, Any],
        *,
        valid: bool = True,
        webhook_id: str | None = None,
        timeout: float = 10.0,
    ) -> httpx.Response:
        """POST a webhook event to the app as PayPal would; return the app's response."""
        body = json.dumps(self.webhook_event(event_type, resource), indent=1).encode()
        headers = self.webhook_headers(body, webhook_id=webhook_id, valid=valid)
        with httpx.Client(timeout=timeout) as http:
            response = http.post(url, content=body, headers=headers)
            response.read()
        return response

    # -- request handling (called from handler threads) --

    def _handle(self, handler: _Handler) -> _Reply | None:
        split = urlsplit(handler.path)
        path = split.path
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        method = handler.command
        if path.startswith("/_fake/"):
            return self._control(method, path)
        if self.latency:  # a busy machine: every answer is slow
            self._stopping.wait(self.latency)
        with self._lock:
            self.requests.append(
                RecordedRequest(
                    method, path, parse_qs(split.query), dict(handler.headers.items()), body
                )
            )
        fault = self._take_fault(method, path)
        if fault is not None and fault.kind == "fail":
            return _error(fault.status, *_FAULT_ERRORS.get(fault.status, _FAULT_ERRORS[500]))
        reply = self._route(method, path, parse_qs(split.query), handler.headers, body)
        if fault is None:
            return reply
        if fault.kind == "fail_after":
            return _error(fault.status, *_FAULT_ERRORS.get(fault.status, _FAULT_ERRORS[500]))
        if fault.kind == "delay":
            self._stopping.wait(fault.seconds)
            return reply
        if fault.kind == "late":  # a copy: a replayed answer is stored and must stay on time
            return _Reply(reply.status, reply.body, {**reply.headers, LATE: "1"})
        return None  # drop

    def _control(self, method: str, path: str) -> _Reply:
        if method == "POST" and path == "/_fake/advance":
            self.advance()
        elif not (method == "GET" and path == "/_fake/state"):
            return _error(404, "NOT_FOUND", "No such control endpoint.")
        with self._lock:
            state = {
                "batches": {
                    b.payout_batch_id: {
                        "sender_batch_id": b.sender_batch_id,
                        "batch_status": b.status,
                        "items": {i.payout_item_id: i.status for i in b.items},
                    }
                    for b in self.batches.values()
                },
                "paid": dict(self.paid),
            }
        return _json(200, state)

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], headers: Any, body: bytes
    ) -> _Reply:
        parts = [unquote(p) for p in path.split("/")[1:]]
        if parts == ["v1", "oauth2", "token"]:
            return self._token(method, headers, body) if method == "POST" else _not_allowed()
        if parts[:2] != ["v1", "payments"] and parts[:2] != ["v1", "notifications"]:
            return _error(404, "NOT_FOUND", "The requested resource was not found.")
        if not self._authorised(headers):
            return _error(
                401,
                "AUTHENTICATION_FAILURE",
                "Authentication failed due to invalid authentication credentials or a "
                "missing Authorization header.",
            )
        match method, parts[1:]:
            case "POST", ["payments", "payouts"]:
                return self._create(headers, body)
            case "GET", ["payments", "payouts", batch_id]:
                return self._get_batch(batch_id, query)
            case "GET", ["payments", "payouts-item", item_id]:
                return self._get_item(item_id)
            case "POST", ["payments", "payouts-item", item_id, "cancel"]:
                return self._idempotent(headers, lambda: self._cancel(item_id))
            case "POST", ["notifications", "verify-webhook-signature"]:
                return self._verify(body)
        return _error(404, "NOT_FOUND", "The requested resource was not found.")

    def _token(self, method: str, headers: Any, body: bytes) -> _Reply:
        expected = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
        if headers.get("Authorization", "") != f"Basic {expected}":
            return _json(
                401,
                {"error": "invalid_client", "error_description": "Client Authentication failed"},
            )
        form = parse_qs(body.decode("ascii", "replace"))
        if form.get("grant_type") != ["client_credentials"]:
            return _json(
                400, {"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"}
            )
        token = f"A21AA{uuid.uuid4().hex}{uuid.uuid4().hex}"
        with self._lock:
            self._tokens[token] = time.monotonic() + self.token_ttl
            self.tokens_issued += 1
        return _json(
            200,
            {
                "scope": "https://uri.paypal.com/services/payments/payouts "
                "https://uri.paypal.com/services/applications/verify-webhook-signature",
                "access_token": token,
                "token_type": "Bearer",
                "app_id": "APP-80W284485P519543T",
                "expires_in": self.token_ttl,
                "nonce": f"{_now()}{uuid.uuid4().hex[:12]}",
            },
        )

    def _authorised(self, headers: Any) -> bool:
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return False
        with self._lock:
            expires = self._tokens.get(auth[len("Bearer ") :])
        return expires is not None and time.monotonic() < expires

    def _idempotent(self, headers: Any, action: Any) -> _Reply:
        request_id = headers.get("PayPal-Request-Id")
        with self._lock:
            if request_id and request_id in self._replies:
                return self._replies[request_id]
            reply = action()
            if request_id and reply.status < 500:
                self._replies[request_id] = reply
            return reply

    def _create(self, headers: Any, body: bytes) -> _Reply:
        try:
            data = json.loads(body)
        except ValueError:
            return _error(400, "MALFORMED_REQUEST", "The request JSON is not well formed.")
        return self._idempotent(headers, lambda: self._create_batch(data))

    def _create_batch(self, data: Any) -> _Reply:
        problems = _validate_create(data)
        if problems:
            return _error(400, "VALIDATION_ERROR", "Invalid request - see details", problems)
        header = dict(data["sender_batch_header"])
        sender_batch_id = header.get("sender_batch_id")
        if sender_batch_id is not None:
            existing = self.batch_by_sender_id(sender_batch_id)
            if existing is not None:
                href = f"{self.base_url}/v1/payments/payouts/{existing.payout_batch_id}"
                return _error(
                    400,
                    "USER_BUSINESS_ERROR",
                    "User business error.",
                    [
                        {
                            "field": "SENDER_BATCH_ID",
                            "location": "body",
                            "issue": "Batch with given sender_batch_id already exists",
                            "link": [{"href": href, "rel": "self", "method": "GET"}],
                        }
                    ],
                )
        batch_id = f"B{next(self._ids):012d}"
        items = []
        for entry in data["items"]:
            receiver = entry["receiver"]
            items.append(
                FakeItem(
                    payout_item_id=f"I{next(self._ids):012d}",
                    payout_batch_id=batch_id,
                    sender_batch_id=sender_batch_id,
                    receiver=receiver,
                    value=entry["amount"]["value"],
                    currency=entry["amount"]["currency"],
                    sender_item_id=entry.get("sender_item_id"),
                    note=entry.get("note"),
                    final_status=self.outcomes.get(receiver.lower(), "SUCCESS"),
                )
            )
        batch = FakeBatch(batch_id, header, items)
        self.batches[batch_id] = batch
        for item in items:
            self.items[item.payout_item_id] = item
        self.batches_created += 1
        self.items_created += len(items)
        head = batch.header_json()
        head = {k: head[k] for k in ("payout_batch_id", "batch_status", "sender_batch_header")}
        return _json(201, {"batch_header": head, "links": [self._batch_link(batch_id)]})

    def _batch_link(self, batch_id: str) -> dict[str, str]:
        return {
            "href": f"{self.base_url}/v1/payments/payouts/{batch_id}",
            "rel": "self",
            "method": "GET",
            "encType": "application/json",
        }

    def _get_batch(self, batch_id: str, query: dict[str, list[str]]) -> _Reply:
        try:
            page = int(query.get("page", ["1"])[0])
            page_size = int(query.get("page_size", [str(MAX_PAGE_SIZE)])[0])
        except ValueError:
            page, page_size = 0, 0
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            detail = {"field": "page_size", "location": "query", "issue": "Invalid page"}
            return _error(400, "VALIDATION_ERROR", "Invalid request - see details", [detail])
        with self._lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                return _error(404, "INVALID_RESOURCE_ID", "Requested resource ID was not found.")
            if self.auto_advance and page == 1:
                self._advance_batch(batch)
            total = len(batch.items)
            pages = max(1, -(-total // page_size))
            chunk = batch.items[(page - 1) * page_size : page * page_size]
            data: dict[str, Any] = {
                "batch_header": batch.header_json(),
                "items": [item.to_json(self.base_url) for item in chunk],
                "links": [self._page_link(batch_id, p, page_size, r) for p, r in
                          [(page, "self"), (1, "first"), (pages, "last")]
                          + ([(page + 1, "next")] if page < pages else [])
                          + ([(page - 1, "previous")] if page > 1 else [])],
            }  # fmt: skip
            if query.get("total_required") == ["true"]:
                data["total_items"] = total
                data["total_pages"] = pages
        return _json(200, data)

    def _page_link(self, batch_id: str, page: int, size: int, rel: str) -> dict[str, str]:
        href = f"{self.base_url}/v1/payments/payouts/{batch_id}?page={page}&page_size={size}"
        return {"href": href + "&total_required=true", "rel": rel, "method": "GET"}

    def _get_item(self, item_id: str) -> _Reply:
        with self._lock:
            item = self.items.get(item_id)
            if item is None:
                return _error(404, "INVALID_RESOURCE_ID", "Requested resource ID was not found.")
            if self.auto_advance:
                self._advance_batch(self.batches[item.payout_batch_id])
            return _json(200, item.to_json(self.base_url))

    def _cancel(self, item_id: str) -> _Reply:
        item = self.items.get(item_id)
        if item is None:
            return _error(404, "INVALID_RESOURCE_ID", "Requested resource ID was not found.")
        if item.status == "RETURNED":
            return _error(400, "ITEM_ALREADY_CANCELLED", "Item already cancelled.")
        if self.batches[item.payout_batch_id].status not in ("SUCCESS", "DENIED", "CANCELED"):
            return _error(400, "BATCH_NOT_COMPLETED", "Batch has not completed processing.")
        if item.status != "UNCLAIMED":
            return _error(400, "ITEM_INCORRECT_STATUS", "Only UNCLAIMED items can be cancelled.")
        self._set_status(item, "RETURNED")
        return _json(200, item.to_json(self.base_url))

    def _verify(self, body: bytes) -> _Reply:
        try:
            text = body.decode("utf-8")
            data = json.loads(text)
        except ValueError:
            return _error(400, "MALFORMED_REQUEST", "The request JSON is not well formed.")
        required = ("auth_algo", "cert_url", "transmission_id", "transmission_sig",
                    "transmission_time", "webhook_id")  # fmt: skip
        missing = [name for name in required if not data.get(name)]
        if missing or not isinstance(data.get("webhook_event"), dict):
            details = [
                {"field": name, "location": "body", "issue": "MISSING_REQUIRED_PARAMETER"}
                for name in missing or ["webhook_event"]
            ]
            return _error(400, "VALIDATION_ERROR", "Invalid request - see details", details)
        # Like PayPal, check the signature against the event bytes exactly as sent.
        raw = _raw_member(text, "webhook_event").encode("utf-8")
        expected = self.sign(
            data["transmission_id"], data["transmission_time"], data["webhook_id"], raw
        )
        ok = hmac.compare_digest(expected, data["transmission_sig"])
        return _json(200, {"verification_status": "SUCCESS" if ok else "FAILURE"})

    def _advance_batch(self, batch: FakeBatch) -> None:
        if batch.status == "PENDING":
            batch.status = "PROCESSING"
        elif batch.status == "PROCESSING":
            for item in batch.items:
                self._set_status(item, item.final_status)
            batch.status = "SUCCESS"
            batch.time_completed = _now()

    def _set_status(self, item: FakeItem, status: str) -> None:
        item.status = status
        item.time_processed = _now()
        if status in ("SUCCESS", "UNCLAIMED", "ONHOLD") and not item.transaction_id:
            item.transaction_id = f"T{next(self._ids):016d}"
        if status == "SUCCESS":
            self.paid[item.sender_item_id or item.payout_item_id] += 1
            # The ledger counts ISO 4217 minor units, like Trove: 2 digits except for JPY.
            minor = int(Decimal(item.value).scaleb(0 if item.currency == "JPY" else 2))
            self.ledger[(item.receiver, item.currency)] += minor


# --- HTTP plumbing -------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() joins every handler thread
    block_on_close = True

    def __init__(self, address: tuple[str, int], handler: type, fake: FakePayPal) -> None:
        self.fake = fake
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            open_sockets = list(self._open)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up is part of the tests, not an error.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakePayPal/1.0"
    sys_version = ""
    timeout = 60
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        reply = self.server.fake._handle(self)
        if reply is None:
            self.close_connection = True
            return
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("Paypal-Debug-Id", uuid.uuid4().hex[:13])
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


_FAULT_ERRORS = {
    500: ("INTERNAL_SERVER_ERROR", "An internal server error occurred."),
    503: ("SERVICE_UNAVAILABLE", "Service Unavailable."),
    429: ("RATE_LIMIT_REACHED", "Too many requests. Blocked due to rate limiting."),
    401: ("AUTHENTICATION_FAILURE", "Authentication failed due to invalid credentials."),
    400: ("VALIDATION_ERROR", "Invalid request - see details"),
    403: ("AUTHORIZATION_ERROR", "Authorization error occurred."),
    422: ("INSUFFICIENT_FUNDS", "Sender does not have sufficient funds."),
}


def _zero(currency: str) -> str:
    return "0" if currency in NO_DECIMALS else "0.00"


def _json(status: int, data: Any) -> _Reply:
    return _Reply(status, json.dumps(data).encode())


def _error(
    status: int, name: str, message: str, details: list[dict[str, Any]] | None = None
) -> _Reply:
    data: dict[str, Any] = {
        "name": name,
        "message": message,
        "debug_id": uuid.uuid4().hex[:13],
        "information_link": ERRORS_LINK,
    }
    if details:
        data["details"] = details
    data["links"] = []
    return _json(status, data)


def _not_allowed() -> _Reply:
    return _error(405, "METHOD_NOT_SUPPORTED", HTTPStatus.METHOD_NOT_ALLOWED.phrase)


def _raw_member(text: str, key: str) -> str:
    """Return the JSON text of a top-level member's value, byte for byte."""
    decoder = json.JSONDecoder()
    token = json.dumps(key)
    start = text.find(token)
    while start != -1:
        pos = start + len(token)
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos < len(text) and text[pos] == ":":
            pos += 1
            while text[pos] in " \t\r\n":
                pos += 1
            _, end = decoder.raw_decode(text, pos)
            return text[pos:end]
        start = text.find(token, start + 1)
    return ""


def _validate_create(data: Any) -> list[dict[str, str]]:
    def problem(field_: str, issue: str) -> dict[str, str]:
        return {"field": field_, "location": "body", "issue": issue}

    if not isinstance(data, dict) or not isinstance(data.get("sender_batch_header"), dict):
        return [problem("sender_batch_header", "Required field is missing")]
    items = data.get("items")
    if not isinstance(items, list) or not items:
        return [problem("items", "Required field is missing")]
    if len(items) > MAX_ITEMS:
        return [problem("items", f"Batch exceeds the maximum of {MAX_ITEMS} items")]
    default_type = data["sender_batch_header"].get("recipient_type")
    problems = []
    for n, item in enumerate(items):
        where = f"items[{n}]"
        if not isinstance(item, dict):
            problems.append(problem(where, "Item must be an object"))
            continue
        if item.get("recipient_type", default_type) not in ("EMAIL",):
            problems.append(problem(f"{where}.recipient_type", "Fake supports EMAIL only"))
        if not isinstance(item.get("receiver"), str) or "@" not in item["receiver"]:
            problems.append(
                problem(f"{where}.receiver", "Receiver is invalid or does not match with type")
            )
        sender_item_id = item.get("sender_item_id")
        if sender_item_id is not None and len(str(sender_item_id)) > 63:
            problems.append(problem(f"{where}.sender_item_id", "Value is too long"))
        problems.extend(_amount_problems(item.get("amount"), f"{where}.amount", problem))
    return problems


def _amount_problems(amount: Any, where: str, problem: Any) -> list[dict[str, str]]:
    if not isinstance(amount, dict):
        return [problem(where, "Required field is missing")]
    value, currency = amount.get("value"), amount.get("currency")
    if not isinstance(currency, str) or len(currency) != 3:
        return [problem(f"{where}.currency", "Currency code is invalid")]
    if not isinstance(value, str):
        return [problem(f"{where}.value", "Amount value must be a string")]
    try:
        number = Decimal(value)
    except InvalidOperation:
        return [problem(f"{where}.value", "Amount value is invalid")]
    decimals = 0 if currency in NO_DECIMALS else 2
    exponent = number.as_tuple().exponent
    if not isinstance(exponent, int) or -exponent > decimals or number <= 0:
        return [problem(f"{where}.value", f"Currency {currency} allows {decimals} decimals")]
    return []


def main(argv: list[str] | None = None) -> None:
    """Run the fake in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description="Run a fake PayPal Payouts API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--client-id", default="fake-client-id")
    parser.add_argument("--secret", default="fake-secret")
    parser.add_argument("--webhook-id", default="WH-FAKE-0001")
    parser.add_argument("--auto-advance", action="store_true", help="advance batches on GET")
    parser.add_argument(
        "--outcome", action="append", default=[], metavar="EMAIL=STATUS",
        help="final item status for a receiver, e.g. bob@example.com=UNCLAIMED",
    )  # fmt: skip
    args = parser.parse_args(argv)
    outcomes = dict(o.lower().split("=", 1) for o in args.outcome)
    outcomes = {email: status.upper() for email, status in outcomes.items()}
    fake = FakePayPal(
        client_id=args.client_id,
        secret=args.secret,
        webhook_id=args.webhook_id,
        outcomes=outcomes,
        auto_advance=args.auto_advance,
        host=args.host,
        port=args.port,
    )
    done = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    with fake:
        print(f"fake PayPal listening on {fake.base_url}", flush=True)
        done.wait()


if __name__ == "__main__":
    main()
