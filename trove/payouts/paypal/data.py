"""Ids, exact money and the typed data the PayPal Payouts API sends and returns."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from trove.payouts.paypal.errors import PayPalError

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
_PREFIX_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


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
    """Return the payout item row id encoded by :func:`sender_item_id_for`, or None.

    A random suffix (``-<hex>``, as Trove stores them) after the id is allowed.
    """
    if not sender_item_id:
        return None
    head = f"{prefix}-item-"
    rest = sender_item_id[len(head) :] if sender_item_id.startswith(head) else ""
    rest, dash, suffix = rest.partition("-")
    if dash and not (suffix.isascii() and suffix.isalnum()):
        return None
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
class PayPalItem:
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
class PayPalItemStatus:
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
    items: list[PayPalItemStatus] = field(default_factory=list)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        log.warning("paypal: unparseable timestamp %r", value)
        return None


def parse_header(data: Mapping[str, Any]) -> BatchHeader:
    """Return the batch header of a PayPal batch response."""
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


def parse_item(data: Mapping[str, Any]) -> PayPalItemStatus:
    """Return one payout item of a PayPal response."""
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
    return PayPalItemStatus(
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


def validate_batch(
    sender_batch_id: str, items: list[PayPalItem], email_subject: str, email_message: str
) -> None:
    """Raise ValueError if PayPal would refuse this batch."""
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
