"""Payout jobs: send a batch to PayPal once, read its outcome back, sweep stragglers.

Both jobs take a batch id, reload it and are idempotent. The batch row and its items are
committed (status ``sending``) before the first call to PayPal, and every call names the
batch by its ``sender_batch_id``, fixed on the row when it was prepared. So when a call's
outcome is unknown (timeout, 5xx after retries, a worker killed before it recorded the
answer), the next run sends the *same* request again: PayPal replays its first answer for the same
``PayPal-Request-Id``, creates the batch if the first call never arrived, or refuses the
repeated ``sender_batch_id`` and names the batch it already holds. Never a new id.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select

from trove.audit.service import record_event
from trove.extensions import db
from trove.payouts import ledger
from trove.payouts.client import paypal_client, paypal_configured
from trove.payouts.exports import payment_notes
from trove.payouts.models import (
    IN_FLIGHT,
    PayoutBatch,
    PayoutBatchStatus,
    PayoutItem,
    PayoutItemStatus,
)
from trove.payouts.paypal import (
    AuthError,
    Batch,
    DuplicateBatchError,
    PayPalClient,
    PayPalError,
    PayPalItem,
    PayPalItemStatus,
    TransientError,
)
from trove.tasks import JobRecord, JobStatus, enqueue, job, register_sweep
from trove.timeutil import utcnow

log = logging.getLogger(__name__)

#: PayPal item statuses that send the earnings back to payable, and as what.
RELEASING = {
    "FAILED": PayoutItemStatus.FAILED,
    "BLOCKED": PayoutItemStatus.FAILED,
    "REFUNDED": PayoutItemStatus.FAILED,
    "REVERSED": PayoutItemStatus.FAILED,
    "RETURNED": PayoutItemStatus.RETURNED,
}


# --- sending -------------------------------------------------------------------------------


@job(queue="payouts", timeout=300, max_attempts=5)
def send_payout_batch(batch_id: int) -> None:
    """Hand a batch in ``sending`` to PayPal, or reconcile an earlier ambiguous attempt."""
    batch = db.session.get(PayoutBatch, batch_id)
    if batch is None or batch.status is not PayoutBatchStatus.SENDING:
        return  # already sent, failed or cancelled: nothing to do
    if not paypal_configured():
        _note_error(batch, "PayPal credentials are not configured; the batch waits for them.")
        return
    assert batch.sender_batch_id is not None
    outgoing = _outgoing_items(batch)
    title = batch.project.title
    lab = current_app.config["LAB_NAME"]
    # Record the attempt first: if the process dies during the call, the sweep knows.
    batch.send_attempts += 1
    batch.last_checked_at = utcnow()
    db.session.commit()
    log.info("payouts: sending batch %s (%s items)", batch.sender_batch_id, len(outgoing))
    try:
        header = paypal_client().create_batch(
            batch.sender_batch_id,
            outgoing,
            email_subject=_("You have a payment from %(lab)s", lab=lab)[:255],
            email_message=_("Thank you for your photos for “%(title)s”.", title=title)[:1000],
        )
    except DuplicateBatchError as exc:
        if not exc.payout_batch_id:
            _note_error(
                batch,
                _("PayPal holds this batch already but did not name it: %(error)s", error=exc),
            )
            raise
        log.warning(
            "payouts: %s was already sent as %s; adopting it",
            batch.sender_batch_id,
            exc.payout_batch_id,
        )
        record_sent(batch, exc.payout_batch_id, None)
    except (TransientError, AuthError) as exc:
        # Unknown outcome (or bad credentials): stay in "sending"; the retry or the sweep
        # repeats the same request, which PayPal de-duplicates.
        _note_error(batch, str(exc))
        raise
    except PayPalError as exc:
        # A definite refusal. An earlier ambiguous attempt would have been replayed or
        # reported as a duplicate, so PayPal holds nothing under this sender_batch_id.
        ledger.fail_batch(batch, _("PayPal refused the batch: %(error)s", error=exc))
        record_event(
            None, "payout.batch_failed", batch, project_id=batch.project_id, error=str(exc)
        )
        db.session.commit()
    else:
        record_sent(batch, header.payout_batch_id, header.batch_status)


def _outgoing_items(batch: PayoutBatch) -> list[PayPalItem]:
    notes = payment_notes(batch)
    items = []
    for item in batch.items:
        assert item.sender_item_id is not None
        items.append(
            PayPalItem(
                receiver=item.receiver,
                amount_minor=item.amount_minor,
                currency=item.currency,
                sender_item_id=item.sender_item_id,
                note=notes[item.id][:4000],
            )
        )
    return items


def record_sent(batch: PayoutBatch, paypal_batch_id: str, paypal_status: str | None) -> None:
    """Store PayPal's batch id and mark the batch sent (commits)."""
    moved = ledger.move_batch(
        batch,
        (PayoutBatchStatus.SENDING,),
        PayoutBatchStatus.SENT,
        paypal_batch_id=paypal_batch_id,
        paypal_status=paypal_status,
        last_error=None,
        last_checked_at=utcnow(),
    )
    if moved:
        record_event(
            None,
            "payout.batch_sent",
            batch,
            project_id=batch.project_id,
            paypal_batch_id=paypal_batch_id,
            attempts=batch.send_attempts,
        )
    db.session.commit()


def _note_error(batch: PayoutBatch, message: str) -> None:
    batch.last_error = message[:4000]
    batch.last_checked_at = utcnow()
    db.session.commit()


# --- reading the outcome ---------------------------------------------------------------------


@job(queue="payouts", timeout=600, max_attempts=3)
def refresh_payout_batch(batch_id: int) -> None:
    """Read a sent batch back from PayPal and settle each item whose outcome is final."""
    batch = db.session.get(PayoutBatch, batch_id)
    if batch is None or batch.status not in (PayoutBatchStatus.SENT, PayoutBatchStatus.PROCESSING):
        return
    if batch.paypal_batch_id is None or not paypal_configured():
        return
    client = paypal_client()
    remote = client.get_batch(batch.paypal_batch_id)
    batch.paypal_status = remote.header.batch_status
    batch.last_checked_at = utcnow()
    mismatch = _foreign_items(batch, remote)
    if mismatch:
        # PayPal holds someone else's batch under our sender_batch_id (another instance,
        # or a database reset within 30 days): none of our items went out.
        message = _(
            "PayPal holds a different batch under %(reference)s (%(mismatch)s). "
            "Give this instance its own PAYPAL_ID_PREFIX.",
            reference=batch.sender_batch_id,
            mismatch=mismatch,
        )
        ledger.fail_batch(batch, message)
        record_event(None, "payout.batch_failed", batch, project_id=batch.project_id, error=message)
        db.session.commit()
        return
    seen: list[tuple[PayoutItem, dict[str, str | None]]] = []
    open_items = []
    ours = {item.sender_item_id: item for item in batch.items}
    for state in remote.items:
        item = ours.get(state.sender_item_id)
        if item is None:
            continue
        if item.status is PayoutItemStatus.PENDING:
            open_items.append((item, state))
        elif state.transaction_status != item.transaction_status:
            log.warning(
                "payouts: settled item %s is now %s at PayPal",
                item.sender_item_id,
                state.transaction_status,
            )
        details = {
            "paypal_item_id": state.payout_item_id,
            "transaction_id": state.transaction_id or item.transaction_id,
            "transaction_status": state.transaction_status,
        }
        if any(getattr(item, key) != value for key, value in details.items()):
            seen.append((item, details))
    # What PayPal says of the items is written in one executemany, not a flush per item.
    ledger.store_item_details(seen)
    settlements = []
    for item, state in open_items:
        outcome = _outcome(client, item, state)
        if outcome is not None:
            settlements.append((item, outcome, state.error_message or state.error_name))
    # The whole page of outcomes settles in a few set-based statements, each item once.
    counts = Counter(item.status.value for item in ledger.settle_items(settlements))
    if remote.header.batch_status in ("DENIED", "CANCELED"):
        ledger.fail_batch(
            batch, _("PayPal %(status)s the batch.", status=remote.header.batch_status.lower())
        )
        counts["denied"] += 1
    elif (
        not ledger.complete_if_settled(batch)
        and batch.status is PayoutBatchStatus.SENT
        and (counts or remote.header.batch_status != "PENDING")
    ):
        ledger.move_batch(batch, (PayoutBatchStatus.SENT,), PayoutBatchStatus.PROCESSING)
    if counts:
        record_event(
            None,
            "payout.items_settled",
            batch,
            project_id=batch.project_id,
            batch_status=batch.status.value,
            **counts,
        )
    db.session.commit()


def _outcome(
    client: PayPalClient, item: PayoutItem, state: PayPalItemStatus
) -> PayoutItemStatus | None:
    """Return the final outcome PayPal reports for an item, or None to keep polling."""
    status = state.transaction_status
    if status == "SUCCESS":
        return PayoutItemStatus.PAID
    if status in RELEASING:
        return RELEASING[status]
    if status != "UNCLAIMED":
        return None  # PENDING, ONHOLD or new: ask again later
    # An unclaimed payment can still be claimed for 30 days. Take it back first, so that
    # the earnings never sit in two payments at once; only then are they payable again.
    try:
        after = client.cancel_item(state.payout_item_id)
    except AuthError:
        raise
    except PayPalError as exc:  # not cancellable yet (batch still processing), or unknown
        log.info("payouts: cannot cancel unclaimed item %s yet: %s", item.sender_item_id, exc)
        return None
    item.transaction_status = after.transaction_status
    if after.transaction_status == "RETURNED":
        return PayoutItemStatus.UNCLAIMED
    if after.transaction_status == "SUCCESS":  # claimed just before the cancel
        return PayoutItemStatus.PAID
    return None


def _foreign_items(batch: PayoutBatch, remote: Batch) -> str | None:
    """Describe an item PayPal lists under this batch that is not one of ours, if any."""
    ours = {item.sender_item_id: item for item in batch.items}
    for state in remote.items:
        item = ours.get(state.sender_item_id)
        if item is None:
            return f"unknown item {state.sender_item_id}"
        if (
            (state.receiver or "").lower() != item.receiver.lower()
            or state.amount_minor != item.amount_minor
            or state.currency != item.currency
        ):
            return f"item {state.sender_item_id} differs"
    return None


# --- scheduling ------------------------------------------------------------------------------


def _active_jobs(statuses: tuple[JobStatus, ...]) -> set[tuple[str, int]]:
    rows = db.session.execute(
        select(JobRecord.name, JobRecord.args).where(
            JobRecord.queue == "payouts", JobRecord.status.in_(statuses)
        )
    )
    return {(name, args[0]) for name, args in rows if args}


def enqueue_once(func: object, batch_id: int, *, skip_running: bool = False) -> bool:
    """Enqueue ``func(batch_id)`` unless the same job already waits; return whether it did."""
    statuses = (JobStatus.QUEUED, JobStatus.RUNNING) if skip_running else (JobStatus.QUEUED,)
    if (func.job_name, batch_id) in _active_jobs(statuses):  # type: ignore[attr-defined]
        return False
    enqueue(func, batch_id)  # type: ignore[arg-type]
    return True


@register_sweep
def sweep_payouts() -> int:
    """Re-send batches stuck in ``sending`` and re-read those PayPal has not finished."""
    if not paypal_configured():
        return 0
    now = utcnow()
    cutoff = now - timedelta(seconds=int(current_app.config["PAYPAL_POLL_SECONDS"]))
    stale = db.session.scalars(
        select(PayoutBatch).where(
            PayoutBatch.status.in_(IN_FLIGHT),
            or_(PayoutBatch.last_checked_at.is_(None), PayoutBatch.last_checked_at < cutoff),
        )
    ).all()
    count = 0
    for batch in stale:
        sending = batch.status is PayoutBatchStatus.SENDING
        func = send_payout_batch if sending else refresh_payout_batch
        if enqueue_once(func, batch.id, skip_running=True):
            batch.last_checked_at = now  # space the next try by a poll interval
            count += 1
    return count
