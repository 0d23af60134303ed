"""The one place that builds the PayPal client from configuration."""

from __future__ import annotations

import secrets
from typing import Any

from flask import current_app

from trove.payouts.paypal import PayPalClient, sender_batch_id_for, sender_item_id_for

#: Timeouts and retries of every PayPal call (tests shorten them).
CLIENT_OPTIONS: dict[str, Any] = {"timeout": 20.0, "max_retries": 3, "backoff": 0.5}


def paypal_configured() -> bool:
    """Return whether PayPal credentials are set (otherwise payouts run in manual mode)."""
    config = current_app.config
    return bool(config.get("PAYPAL_CLIENT_ID") and config.get("PAYPAL_CLIENT_SECRET"))


def paypal_client() -> PayPalClient:
    """Return the app's PayPal client (shared, so its access token is cached)."""
    config = current_app.config
    if not paypal_configured():
        raise RuntimeError("PayPal credentials are not configured")
    key = (config["PAYPAL_BASE_URL"], config["PAYPAL_CLIENT_ID"], config["PAYPAL_CLIENT_SECRET"])
    cached = current_app.extensions.get("trove_paypal")
    if cached is None or cached[0] != key:
        client = PayPalClient(key[0], key[1], key[2], **CLIENT_OPTIONS)
        current_app.extensions["trove_paypal"] = (key, client)
        return client
    return cached[1]


def batch_reference(batch_id: int) -> str:
    """Return a new ``sender_batch_id`` for payout batch ``batch_id`` (stored on the row)."""
    return _unique(sender_batch_id_for(batch_id, prefix=current_app.config["PAYPAL_ID_PREFIX"]))


def item_reference(item_id: int) -> str:
    """Return a new ``sender_item_id`` for payout item ``item_id`` (stored on the row)."""
    return _unique(sender_item_id_for(item_id, prefix=current_app.config["PAYPAL_ID_PREFIX"]))


def _unique(base: str) -> str:
    """Return ``base`` (built from a row id) with a random part fixed when it is stored.

    A database restored from an older backup hands out the same row ids again, and PayPal
    must never see a new batch or item under an id it already holds from before.
    """
    return f"{base}-{secrets.token_hex(4)}"
