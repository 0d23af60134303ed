"""A small typed client for the PayPal Payouts REST API, on httpx.

Money safety rests on two PayPal rules:

* PayPal refuses a ``sender_batch_id`` used in the last 30 days (HTTP 400
  ``USER_BUSINESS_ERROR``, detail field ``SENDER_BATCH_ID``, with a link to the original
  batch), and pays a given ``sender_batch_id`` at most once.
* A POST repeated with the same ``PayPal-Request-Id`` returns the first request's result
  instead of acting again (the Payouts API keeps the key for 30 days).

So a batch gets a ``sender_batch_id`` derived from its database id, the request id is
derived from that, and every retry reuses both. When retries run out the outcome is
ambiguous (:class:`TransientError`): PayPal may or may not hold the batch. Reconcile by
asking PayPal, never by sending with a new id: call :meth:`PayPalClient.get_batch` when
the ``payout_batch_id`` is known; otherwise call :meth:`PayPalClient.create_batch` again
with the same ``sender_batch_id`` (PayPal has no lookup by ``sender_batch_id``), which
either replays the original response, creates the batch if the first attempt never
arrived, or raises :class:`DuplicateBatchError` naming the original ``payout_batch_id``.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, unquote, urlsplit

import httpx

log = logging.getLogger(__name__)

SANDBOX_URL = "https://api-m.sandbox.paypal.com"
LIVE_URL = "https://api-m.paypal.com"

MAX_ITEMS_PER_BATCH = 15_000
MAX_PAGE_SIZE = 1000

# ISO 4217 exponents of the currencies PayPal accepts.
CURRENCY_EXPONENTS: dict[str, int] = {
    "AUD": 2, "BRL": 2, "CAD": 2, "CHF": 2, "CNY": 2, "CZK": 2, "DKK": 2, "EUR": 2,
    "GBP": 2, "HKD": 2, "HUF": 2, "ILS": 2, "JPY": 0, "MXN": 2, "MYR": 2, "NOK": 2,
    "NZD": 2, "PHP": 2, "PLN": 2, "SEK": 2, "SGD": 2, "THB": 2, "TWD": 2, "USD": 2,
}  # fmt: skip
# PayPal rejects decimal amounts in these even where ISO 4217 has minor units.
NO_DECIMAL_CURRENCIES = frozenset({"HUF", "JPY", "TWD"})

ITEM_STATUSES = frozenset(
    {"SUCCESS", "FAILED", "PENDING", "UNCLAIMED", "RETURNED", "ONHOLD", "BLOCKED", "REFUNDED",
     "REVERSED"}
)  # fmt: skip
# An UNCLAIMED item still becomes SUCCESS (claimed) or RETURNED (after 30 days).
TERMINAL_ITEM_STATUSES = frozenset(
    {"SUCCESS", "FAILED", "RETURNED", "BLOCKED", "REFUNDED", "REVERSED"}
)
TERMINAL_BATCH_STATUSES = frozenset({"SUCCESS", "DENIED", "CANCELED"})

_WEBHOOK_HEADERS = {
    "auth_algo": "paypal-auth-algo",
    "cert_url": "paypal-cert-url",
    "transmission_id": "paypal-transmission-id",
    "transmission_sig": "paypal-transmission-sig",
    "transmission_time": "paypal-transmission-time",
}
_MAX_PAGES = MAX_ITEMS_PER_BATCH  # a runaway guard: one item per page at most
_OAUTH_PATH = "/v1/oauth2/token"  # noqa: S105 - a URL path, not a credential
_PREFIX_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_RETRY_STATUSES = frozenset({429}) | frozenset(range(500, 600))
_TRANSIENT_EXCEPTIONS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_NOT_SENT_EXCEPTIONS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


# --- errors ------------------------------------------------------------------------------


class PayPalError(Exception):
    """An error answer from PayPal, or a response this client cannot use."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        name: str | None = None,
        debug_id: str | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.name = name
        self.debug_id = debug_id
        self.details = details or []

    def __str__(self) -> str:
        parts = [self.message]
        if self.name:
            parts.append(f"name={self.name}")
        if self.status_code is not None:
            parts.append(f"status={self.status_code}")
        if self.debug_id:
            parts.append(f"debug_id={self.debug_id}")
        return " ".join(parts)


class AuthError(PayPalError):
    """PayPal rejected the credentials or the access token (after one refresh)."""


class DuplicateBatchError(PayPalError):
    """PayPal already holds a batch with this ``sender_batch_id`` (used in the last 30 days).

    ``payout_batch_id`` names the original batch when PayPal's answer links to it.
    """

    def __init__(
        self, message: str, *, sender_batch_id: str, payout_batch_id: str | None, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.sender_batch_id = sender_batch_id
        self.payout_batch_id = payout_batch_id


class TransientError(PayPalError):
    """Retries ran out on timeouts, network errors, 429 or 5xx: the outcome is unknown.

    For a create this is AMBIGUOUS: PayPal may have accepted the batch. Reconcile with the
    same ``sender_batch_id`` (see the module docstring); never resend with a new one.
    """

    def __init__(self, message: str, *, attempts: int, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.attempts = attempts


# --- ids and money -----------------------------------------------------------------------


def sender_batch_id_for(batch_id: int, prefix: str = "trove") -> str:
    """Return the stable PayPal ``sender_batch_id`` for a payout batch row id."""
    _check_id(batch_id, prefix)
    return f"{prefix}-batch-{batch_id:06d}"


def sender_item_id_for(item_id: int, prefix: str = "trove") -> str:
    """Return the PayPal ``sender_item_id`` for a payout item row id."""
    _check_id(item_id, prefix)
    return f"{prefix}-item-{item_id}"


def item_id_from_sender_item_id(sender_item_id: str | None, prefix: str = "trove") -> int | None:
    """Return the payout item row id encoded by :func:`sender_item_id_for`, or None."""
    if not sender_item_id:
        return None
    head = f"{prefix}-item-"
    rest = sender_item_id[len(head) :] if sender_item_id.startswith(head) else ""
    return int(rest) if rest.isascii() and rest.isdigit() and rest[0] != "0" else None


def _check_id(value: int, prefix: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"id must be a positive int, not {value!r}")
    if not _PREFIX_RE.match(prefix):
        raise ValueError(f"invalid id prefix {prefix!r}")


def currency_exponent(currency: str) -> int:
    """Return the number of minor-unit digits of a PayPal currency (ISO 4217)."""
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise ValueError(f"currency {currency!r} is not supported by PayPal") from None


def format_amount(minor: int, currency: str) -> str:
    """Return PayPal's decimal string for an amount in integer minor units.

    Minor units follow ISO 4217 (cents for USD, yen for JPY, fillér for HUF). PayPal takes
    no decimals for HUF, JPY and TWD, so those must be whole units.
    """
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"amount must be an int of minor units, not {type(minor).__name__}")
    if minor < 0:
        raise ValueError("amount must not be negative")
    exponent = currency_exponent(currency)
    whole, frac = divmod(minor, 10**exponent)
    if currency in NO_DECIMAL_CURRENCIES:
        if frac:
            raise ValueError(f"PayPal takes no decimals for {currency}; {minor} is not whole")
        return str(whole)
    return f"{whole}.{frac:0{exponent}d}" if exponent else str(whole)


def parse_amount(value: str, currency: str) -> int:
    """Return integer minor units for a PayPal decimal amount string, exactly."""
    exponent = currency_exponent(currency)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    scaled = number.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value!r} has more decimals than {currency} allows")
    return int(scaled)


# --- data --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PayoutItem:
    """One payment to send: an e-mail receiver and an exact amount."""

    receiver: str
    amount_minor: int
    currency: str
    sender_item_id: str
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """Return the item as PayPal's request JSON."""
        item: dict[str, Any] = {
            "recipient_type": "EMAIL",
            "amount": {
                "value": format_amount(self.amount_minor, self.currency),
                "currency": self.currency,
            },
            "receiver": self.receiver,
            "sender_item_id": self.sender_item_id,
        }
        if self.note:
            item["note"] = self.note
        return item


@dataclass(frozen=True, slots=True)
class BatchHeader:
    """The state of a whole payout batch."""

    payout_batch_id: str
    batch_status: str
    sender_batch_id: str | None
    time_created: datetime | None = None
    time_completed: datetime | None = None


@dataclass(frozen=True, slots=True)
class PayoutItemStatus:
    """The state of one payout item as PayPal reports it."""

    payout_item_id: str
    transaction_status: str
    sender_item_id: str | None
    amount_minor: int
    currency: str
    receiver: str | None = None
    payout_batch_id: str | None = None
    transaction_id: str | None = None
    error_name: str | None = None
    error_message: str | None = None
    time_processed: datetime | None = None

    @property
    def is_terminal(self) -> bool:
        """Return whether PayPal will not change this item's status on its own."""
        return self.transaction_status in TERMINAL_ITEM_STATUSES


@dataclass(frozen=True, slots=True)
class Batch:
    """A payout batch with every one of its items."""

    header: BatchHeader
    items: list[PayoutItemStatus] = field(default_factory=list)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        log.warning("paypal: unparseable timestamp %r", value)
        return None


def _parse_header(data: Mapping[str, Any]) -> BatchHeader:
    header = data.get("batch_header")
    if not isinstance(header, Mapping) or not header.get("payout_batch_id"):
        raise PayPalError("PayPal response has no batch_header.payout_batch_id")
    sender_header = header.get("sender_batch_header") or {}
    return BatchHeader(
        payout_batch_id=str(header["payout_batch_id"]),
        batch_status=str(header.get("batch_status") or "PENDING"),
        sender_batch_id=sender_header.get("sender_batch_id"),
        time_created=_parse_time(header.get("time_created")),
        time_completed=_parse_time(header.get("time_completed")),
    )


def _parse_item(data: Mapping[str, Any]) -> PayoutItemStatus:
    if not data.get("payout_item_id"):
        raise PayPalError("PayPal response has no payout_item_id")
    item = data.get("payout_item") or {}
    amount = item.get("amount") or {}
    currency = str(amount.get("currency") or "")
    try:
        minor = parse_amount(amount.get("value"), currency)
    except (ValueError, TypeError) as exc:
        raise PayPalError(f"PayPal item has an unusable amount: {exc}") from exc
    errors = data.get("errors") or {}
    return PayoutItemStatus(
        payout_item_id=str(data["payout_item_id"]),
        # PayPal omits the status while a batch is still being taken apart.
        transaction_status=str(data.get("transaction_status") or "PENDING"),
        sender_item_id=item.get("sender_item_id"),
        amount_minor=minor,
        currency=currency,
        receiver=item.get("receiver"),
        payout_batch_id=data.get("payout_batch_id"),
        transaction_id=data.get("transaction_id"),
        error_name=errors.get("name"),
        error_message=errors.get("message"),
        time_processed=_parse_time(data.get("time_processed")),
    )


# --- client ------------------------------------------------------------------------------


class PayPalClient:
    """A thread-safe PayPal Payouts client with token caching, timeouts and safe retries."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        timeout: float = 20.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        if parts.query or parts.fragment:
            raise ValueError("base_url must not carry a query or fragment")
        if not client_id or not client_secret:
            raise ValueError("client_id and client_secret are required")
        if max_retries < 0 or timeout <= 0:
            raise ValueError("max_retries must be >= 0 and timeout > 0")
        if transport is not None and http_client is not None:
            raise ValueError("pass transport or http_client, not both")
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.backoff = backoff
        self._client_id = client_id
        self._client_secret = client_secret
        self._timeout = httpx.Timeout(timeout)
        self._clock = clock
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(
            transport=transport, timeout=self._timeout, follow_redirects=False
        )
        self._token_lock = threading.Lock()
        self._token: str | None = None
        self._token_expires = 0.0

    def __repr__(self) -> str:
        return f"PayPalClient(base_url={self.base_url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections this client opened."""
        if self._owns_http:
            self._http.close()

    # -- public API --

    def create_batch(
        self,
        sender_batch_id: str,
        items: list[PayoutItem],
        *,
        email_subject: str,
        email_message: str,
        request_id: str | None = None,
    ) -> BatchHeader:
        """Create a payout batch; retries reuse the same ids so it is paid at most once.

        Returns PayPal's header, or the first attempt's header when PayPal replays it for
        the same ``PayPal-Request-Id`` (default ``<sender_batch_id>-create``). Raises
        :class:`DuplicateBatchError` when the ``sender_batch_id`` is already used and
        :class:`TransientError` when the outcome is unknown.
        """
        _validate_batch(sender_batch_id, items, email_subject, email_message)
        body = {
            "sender_batch_header": {
                "sender_batch_id": sender_batch_id,
                "recipient_type": "EMAIL",
                "email_subject": email_subject,
                "email_message": email_message,
            },
            "items": [item.to_json() for item in items],
        }
        ctx = f"sender_batch_id={sender_batch_id}"
        log.info("paypal: creating batch %s items=%d", ctx, len(items))
        response = self._request(
            "POST",
            "/v1/payments/payouts",
            context=ctx,
            json_body=body,
            request_id=request_id or f"{sender_batch_id}-create",
            sender_batch_id=sender_batch_id,
        )
        header = _parse_header(response)
        if header.sender_batch_id not in (None, sender_batch_id):
            raise PayPalError(
                f"PayPal answered for sender_batch_id={header.sender_batch_id}, "
                f"not {sender_batch_id}"
            )
        log.info(
            "paypal: batch %s is payout_batch_id=%s status=%s",
            ctx,
            header.payout_batch_id,
            header.batch_status,
        )
        return header

    def get_batch(self, payout_batch_id: str, *, page_size: int = MAX_PAGE_SIZE) -> Batch:
        """Return a batch's header and all its items, following PayPal's pagination."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        path = f"/v1/payments/payouts/{_quote(payout_batch_id)}"
        ctx = f"payout_batch_id={payout_batch_id}"
        items: list[PayoutItemStatus] = []
        page = 1
        while True:
            data = self._request(
                "GET",
                path,
                context=f"{ctx} page={page}",
                params={"page": page, "page_size": page_size, "total_required": "true"},
            )
            if page == 1:
                header = _parse_header(data)
            page_items = data.get("items") or []
            items.extend(_parse_item(entry) for entry in page_items)
            total_pages = data.get("total_pages")
            if isinstance(total_pages, int):
                done = page >= total_pages
            else:
                done = len(page_items) < page_size
            if done or not page_items or page >= _MAX_PAGES:
                break
            page += 1
        total_items = data.get("total_items")
        if isinstance(total_items, int) and total_items != len(items):
            log.warning(
                "paypal: %s reported %d items but %d were read", ctx, total_items, len(items)
            )
        return Batch(header=header, items=items)

    def get_item(self, payout_item_id: str) -> PayoutItemStatus:
        """Return the current state of one payout item."""
        data = self._request(
            "GET",
            f"/v1/payments/payouts-item/{_quote(payout_item_id)}",
            context=f"payout_item_id={payout_item_id}",
        )
        return _parse_item(data)

    def cancel_item(self, payout_item_id: str) -> PayoutItemStatus:
        """Cancel an UNCLAIMED payout item so the money returns; return its new state."""
        ctx = f"payout_item_id={payout_item_id}"
        try:
            data = self._request(
                "POST",
                f"/v1/payments/payouts-item/{_quote(payout_item_id)}/cancel",
                context=ctx,
                # Unique per call (PayPal replays a stored refusal for a reused id), and
                # kept across this call's retries; a second cancel is harmless anyway.
                request_id=f"cancel-{payout_item_id}-{uuid.uuid4().hex}",
            )
        except PayPalError as exc:
            if exc.name != "ITEM_ALREADY_CANCELLED":
                raise
            log.info("paypal: item %s was already cancelled", ctx)
            return self.get_item(payout_item_id)
        log.info("paypal: cancelled item %s", ctx)
        return _parse_item(data)

    def verify_webhook(self, *, webhook_id: str, headers: Mapping[str, str], body: bytes) -> bool:
        """Ask PayPal whether a received webhook is genuine; True only on SUCCESS."""
        lowered = {key.lower(): value for key, value in headers.items()}
        fields = {
            name: lowered.get(header, "").strip() for name, header in _WEBHOOK_HEADERS.items()
        }
        missing = sorted(name for name, value in fields.items() if not value)
        if missing or not webhook_id:
            log.warning("paypal: webhook rejected, missing %s", ", ".join(missing) or "webhook_id")
            return False
        try:
            event = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            log.warning("paypal: webhook rejected, body is not JSON")
            return False
        if not isinstance(event, dict):
            log.warning("paypal: webhook rejected, body is not a JSON object")
            return False
        ctx = f"transmission_id={fields['transmission_id']} event_id={event.get('id')}"
        payload = _verify_payload({**fields, "webhook_id": webhook_id}, body, event)
        try:
            data = self._request(
                "POST",
                "/v1/notifications/verify-webhook-signature",
                context=ctx,
                content=payload,
            )
        except (AuthError, TransientError):
            raise
        except PayPalError as exc:
            # Headers come from whoever called the webhook URL: a 4xx is a rejection.
            log.warning("paypal: webhook %s verification refused: %s", ctx, exc)
            return False
        status = data.get("verification_status")
        if status != "SUCCESS":
            log.warning("paypal: webhook %s verification_status=%s", ctx, status)
        return status == "SUCCESS"

    # -- transport --

    def _access_token(self) -> str:
        with self._token_lock:
            if self._token is not None and self._clock() < self._token_expires:
                return self._token
            data, _ = self._send_with_retries(
                lambda: self._http.post(
                    self._url(_OAUTH_PATH),
                    data={"grant_type": "client_credentials"},
                    auth=(self._client_id, self._client_secret),
                    headers={"Accept": "application/json"},
                    timeout=self._timeout,
                ),
                context="oauth token",
            )
            if data.status_code != 200:
                body = _json_or_empty(data)
                raise AuthError(
                    "PayPal refused the client credentials",
                    status_code=data.status_code,
                    name=body.get("error") or body.get("name"),
                    debug_id=data.headers.get("paypal-debug-id"),
                )
            body = _json_or_empty(data)
            token = body.get("access_token")
            expires_in = body.get("expires_in")
            if not isinstance(token, str) or not isinstance(expires_in, int | float):
                raise AuthError("PayPal token response lacks access_token/expires_in")
            # Refresh a little early so a token never expires in flight.
            self._token = token
            self._token_expires = self._clock() + expires_in - min(300.0, expires_in / 10)
            log.info("paypal: fetched access token, expires_in=%ss", expires_in)
            return token

    def _drop_token(self, token: str) -> None:
        with self._token_lock:
            if self._token == token:
                self._token = None

    def _request(
        self,
        method: str,
        path: str,
        *,
        context: str,
        json_body: Any = None,
        content: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        sender_batch_id: str | None = None,
    ) -> dict[str, Any]:
        url = self._url(path)
        if json_body is not None:
            content = json.dumps(json_body, separators=(",", ":")).encode()
        refreshed = False
        maybe_received = False  # did an earlier attempt possibly reach PayPal?
        while True:
            token = self._access_token()
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            if content is not None:
                headers["Content-Type"] = "application/json"
            if request_id:
                headers["PayPal-Request-Id"] = request_id
            response, earlier = self._send_with_retries(
                lambda headers=headers: self._http.request(
                    method,
                    url,
                    content=content,
                    params=params,
                    headers=headers,
                    timeout=self._timeout,
                ),
                context=context,
            )
            maybe_received = maybe_received or earlier
            if response.status_code == 401 and not refreshed:
                log.info("paypal: %s got 401, refreshing the access token once", context)
                self._drop_token(token)
                refreshed = True
                continue
            if response.is_success:
                return _json_or_empty(response)
            error = _error_from(response, context, sender_batch_id)
            if (
                sender_batch_id is not None
                and maybe_received
                and not isinstance(error, DuplicateBatchError | AuthError)
            ):
                # PayPal may refuse a retry while it still processes the first attempt
                # with the same PayPal-Request-Id: this refusal proves nothing.
                raise TransientError(
                    f"PayPal refused a retry after an attempt it may have accepted ({error})",
                    attempts=self.max_retries + 1,
                    status_code=error.status_code,
                    name=error.name,
                    debug_id=error.debug_id,
                    details=error.details,
                ) from error
            raise error

    def _send_with_retries(
        self, send: Callable[[], httpx.Response], *, context: str
    ) -> tuple[httpx.Response, bool]:
        """Send, retrying transient failures; also say whether a failed try may have landed."""
        attempts = self.max_retries + 1
        maybe_received = False
        for attempt in range(1, attempts + 1):
            response: httpx.Response | None = None
            try:
                response = send()
            except _TRANSIENT_EXCEPTIONS as exc:
                problem = f"{type(exc).__name__}: {exc}"
                maybe_received = maybe_received or not isinstance(exc, _NOT_SENT_EXCEPTIONS)
            else:
                if response.status_code not in _RETRY_STATUSES:
                    return response, maybe_received
                problem = f"HTTP {response.status_code}"
                maybe_received = maybe_received or response.status_code >= 500
            if attempt == attempts:
                log.error("paypal: %s failed after %d attempts: %s", context, attempts, problem)
                body = _json_or_empty(response) if response is not None else {}
                raise TransientError(
                    f"PayPal call failed after {attempts} attempts ({problem}); "
                    "outcome unknown, reconcile before acting",
                    attempts=attempts,
                    status_code=response.status_code if response is not None else None,
                    name=body.get("name"),
                    debug_id=body.get("debug_id"),
                )
            delay = min(30.0, self.backoff * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
            retry_after = _retry_after(response) if response is not None else None
            if retry_after is not None:
                delay = max(delay, min(retry_after, 30.0))
            log.warning(
                "paypal: %s attempt %d/%d failed (%s); retrying in %.2fs",
                context,
                attempt,
                attempts,
                problem,
                delay,
            )
            time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _url(self, path: str) -> str:
        return self.base_url + path


# --- helpers -----------------------------------------------------------------------------


def _quote(identifier: str) -> str:
    if not identifier:
        raise ValueError("id must not be empty")
    return quote(identifier, safe="")


def _validate_batch(
    sender_batch_id: str, items: list[PayoutItem], email_subject: str, email_message: str
) -> None:
    if not sender_batch_id or len(sender_batch_id) > 256:
        raise ValueError("sender_batch_id must be 1-256 characters")
    if not items:
        raise ValueError("a payout batch needs at least one item")
    if len(items) > MAX_ITEMS_PER_BATCH:
        raise ValueError(
            f"PayPal takes at most {MAX_ITEMS_PER_BATCH} items per batch, got {len(items)}"
        )
    if len(email_subject) > 255 or len(email_message) > 1000:
        raise ValueError("email_subject is limited to 255 and email_message to 1000 characters")
    seen: set[str] = set()
    for item in items:
        if not item.receiver or len(item.receiver) > 127:
            raise ValueError("receiver must be 1-127 characters")
        if not item.sender_item_id or len(item.sender_item_id) > 63:
            raise ValueError("sender_item_id must be 1-63 characters")
        if item.sender_item_id in seen:
            raise ValueError(f"duplicate sender_item_id {item.sender_item_id!r} in one batch")
        seen.add(item.sender_item_id)
        if item.amount_minor <= 0:
            raise ValueError(f"item {item.sender_item_id} must have a positive amount")
        if len(item.note) > 4000:
            raise ValueError("note is limited to 4000 characters")
        format_amount(item.amount_minor, item.currency)  # raises on bad currency/amount


def _verify_payload(fields: Mapping[str, str], body: bytes, event: Any) -> bytes:
    # PayPal checks the signature against the event bytes it receives, so pass the body
    # through verbatim; re-serialising it can reorder keys or respell numbers.
    head = json.dumps(dict(fields), separators=(",", ":"))
    try:
        raw = body.decode("utf-8").strip().lstrip("\ufeff")
    except UnicodeDecodeError:
        raw = json.dumps(event, separators=(",", ":"))
    return f'{head[:-1]},"webhook_event":{raw}}}'.encode()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _json_or_empty(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _error_from(response: httpx.Response, context: str, sender_batch_id: str | None) -> PayPalError:
    body = _json_or_empty(response)
    name = body.get("name") or body.get("error")
    message = body.get("message") or body.get("error_description") or response.reason_phrase
    details = [d for d in body.get("details") or [] if isinstance(d, dict)]
    kw: dict[str, Any] = {
        "status_code": response.status_code,
        "name": name,
        "debug_id": body.get("debug_id") or response.headers.get("paypal-debug-id"),
        "details": details,
    }
    if sender_batch_id is not None and _is_duplicate_batch(response.status_code, name, details):
        original = _linked_batch_id(details, body.get("links"))
        log.warning("paypal: %s already used; original payout_batch_id=%s", context, original)
        return DuplicateBatchError(
            f"sender_batch_id {sender_batch_id} was already used",
            sender_batch_id=sender_batch_id,
            payout_batch_id=original,
            **kw,
        )
    log.warning("paypal: %s failed: HTTP %s %s", context, response.status_code, name)
    if response.status_code == 401:
        return AuthError(f"PayPal rejected the access token: {message}", **kw)
    return PayPalError(f"PayPal error: {message}", **kw)


def _is_duplicate_batch(status: int, name: str | None, details: list[dict[str, Any]]) -> bool:
    if not 400 <= status < 500:
        return False
    for detail in details:
        field_name = str(detail.get("field") or "").upper()
        issue = str(detail.get("issue") or "").lower()
        if field_name == "SENDER_BATCH_ID" or "sender_batch_id" in issue:
            return True
        if "duplicate batch" in issue:
            return True
    return name == "DUPLICATE_SENDER_BATCH_ID"


def _linked_batch_id(details: list[dict[str, Any]], links: Any) -> str | None:
    candidates: list[Any] = []
    for detail in details:
        candidates.extend(_as_list(detail.get("link")) + _as_list(detail.get("links")))
    candidates.extend(_as_list(links))
    for link in candidates:
        href = link.get("href") if isinstance(link, dict) else None
        if not isinstance(href, str):
            continue
        segments = [s for s in urlsplit(href).path.split("/") if s]
        if len(segments) >= 4 and segments[-4:-1] == ["v1", "payments", "payouts"]:
            return unquote(segments[-1])
    return None


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, dict) else []
