"""PayPal's error answers: the exceptions the client raises and how they are read."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

log = logging.getLogger(__name__)


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


def json_or_empty(response: httpx.Response) -> dict[str, Any]:
    """Return the response's JSON object, or {} when it has none."""
    try:
        data = response.json()
    except (ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def error_from(response: httpx.Response, context: str, sender_batch_id: str | None) -> PayPalError:
    """Return the error PayPal's answer stands for (duplicate batch, auth or other)."""
    body = json_or_empty(response)
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
