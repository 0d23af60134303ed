"""The PayPal Payouts client: OAuth token cache, create/get batch, get/cancel item, webhooks."""

from __future__ import annotations

import functools
import json
import logging
import random
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, urlsplit

import httpx

from trove.payouts.paypal.data import (
    MAX_ITEMS_PER_BATCH,
    MAX_PAGE_SIZE,
    Batch,
    BatchHeader,
    PayPalItem,
    PayPalItemStatus,
    parse_header,
    parse_item,
    validate_batch,
)
from trove.payouts.paypal.errors import (
    AuthError,
    DuplicateBatchError,
    PayPalError,
    TransientError,
    error_from,
    json_or_empty,
)

log = logging.getLogger(__name__)

_WEBHOOK_HEADERS = {
    "auth_algo": "paypal-auth-algo",
    "cert_url": "paypal-cert-url",
    "transmission_id": "paypal-transmission-id",
    "transmission_sig": "paypal-transmission-sig",
    "transmission_time": "paypal-transmission-time",
}
_MAX_PAGES = MAX_ITEMS_PER_BATCH  # a runaway guard: one item per page at most
_OAUTH_PATH = "/v1/oauth2/token"  # noqa: S105 - a URL path, not a credential
_RETRY_STATUSES = frozenset({429}) | frozenset(range(500, 600))
_TRANSIENT_EXCEPTIONS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_NOT_SENT_EXCEPTIONS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@functools.cache
def _tls() -> ssl.SSLContext:
    """Return the one TLS context of the process (loading the CA bundle costs ~60 ms)."""
    return httpx.create_ssl_context()


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
            transport=transport, timeout=self._timeout, follow_redirects=False, verify=_tls()
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
        items: list[PayPalItem],
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
        validate_batch(sender_batch_id, items, email_subject, email_message)
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
        header = parse_header(response)
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
        items: list[PayPalItemStatus] = []
        page = 1
        while True:
            data = self._request(
                "GET",
                path,
                context=f"{ctx} page={page}",
                params={"page": page, "page_size": page_size, "total_required": "true"},
            )
            if page == 1:
                header = parse_header(data)
            page_items = data.get("items") or []
            items.extend(parse_item(entry) for entry in page_items)
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

    def get_item(self, payout_item_id: str) -> PayPalItemStatus:
        """Return the current state of one payout item."""
        data = self._request(
            "GET",
            f"/v1/payments/payouts-item/{_quote(payout_item_id)}",
            context=f"payout_item_id={payout_item_id}",
        )
        return parse_item(data)

    def cancel_item(self, payout_item_id: str) -> PayPalItemStatus:
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
        return parse_item(data)

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
                body = json_or_empty(data)
                raise AuthError(
                    "PayPal refused the client credentials",
                    status_code=data.status_code,
                    name=body.get("error") or body.get("name"),
                    debug_id=data.headers.get("paypal-debug-id"),
                )
            body = json_or_empty(data)
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
                return json_or_empty(response)
            error = error_from(response, context, sender_batch_id)
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
                body = json_or_empty(response) if response is not None else {}
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
