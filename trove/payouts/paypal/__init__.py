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

from trove.payouts.paypal.client import PayPalClient
from trove.payouts.paypal.data import (
    CURRENCY_EXPONENTS,
    ITEM_STATUSES,
    LIVE_URL,
    MAX_ITEMS_PER_BATCH,
    MAX_PAGE_SIZE,
    NO_DECIMAL_CURRENCIES,
    SANDBOX_URL,
    TERMINAL_BATCH_STATUSES,
    TERMINAL_ITEM_STATUSES,
    Batch,
    BatchHeader,
    PayPalItem,
    PayPalItemStatus,
    currency_exponent,
    format_amount,
    item_id_from_sender_item_id,
    parse_amount,
    sender_batch_id_for,
    sender_item_id_for,
)
from trove.payouts.paypal.errors import AuthError, DuplicateBatchError, PayPalError, TransientError

__all__ = [
    "CURRENCY_EXPONENTS",
    "ITEM_STATUSES",
    "LIVE_URL",
    "MAX_ITEMS_PER_BATCH",
    "MAX_PAGE_SIZE",
    "NO_DECIMAL_CURRENCIES",
    "SANDBOX_URL",
    "TERMINAL_BATCH_STATUSES",
    "TERMINAL_ITEM_STATUSES",
    "AuthError",
    "Batch",
    "BatchHeader",
    "DuplicateBatchError",
    "PayPalClient",
    "PayPalError",
    "PayPalItem",
    "PayPalItemStatus",
    "TransientError",
    "currency_exponent",
    "format_amount",
    "item_id_from_sender_item_id",
    "parse_amount",
    "sender_batch_id_for",
    "sender_item_id_for",
]
