"""Settle payout items and move their earnings, each exactly once.

Shared by the PayPal jobs and the manual "mark paid" actions. Every move is a
compare-and-set UPDATE (an item settles only from ``pending``; an earning moves only from
``in_batch`` and only with its own item), so a duplicate webhook, two overlapping refresh
jobs or a double click cannot pay an earning twice. Functions flush but never commit.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select, update

from trove.extensions import db
from trove.money import format_money
from trove.notifications.service import notify
from trove.payouts.models import (
    Earning,
    EarningStatus,
    PayoutBatch,
    PayoutBatchStatus,
    PayoutItem,
    PayoutItemStatus,
)
from trove.security import local_url
from trove.timeutil import utcnow

log = logging.getLogger(__name__)

#: What an item's outcome makes of its earnings when they go back to payable.
RELEASED_AS = {
    PayoutItemStatus.FAILED: EarningStatus.FAILED,
    PayoutItemStatus.UNCLAIMED: EarningStatus.UNCLAIMED,
    PayoutItemStatus.RETURNED: EarningStatus.RETURNED,
    PayoutItemStatus.CANCELLED: EarningStatus.UNPAID,
}


def move_batch(
    batch: PayoutBatch,
    allowed: tuple[PayoutBatchStatus, ...],
    new: PayoutBatchStatus,
    **values: object,
) -> bool:
    """Change a batch's status only if it is still one of ``allowed`` (atomic)."""
    db.session.flush()
    result = db.session.execute(
        update(PayoutBatch)
        .where(PayoutBatch.id == batch.id, PayoutBatch.status.in_(allowed))
        .values(status=new, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(batch)
    return bool(result.rowcount)


def settle_item(
    item: PayoutItem,
    outcome: PayoutItemStatus,
    *,
    error: str | None = None,
    release_as: EarningStatus | None = None,
    notify_contributor: bool = True,
) -> bool:
    """Record an item's final outcome and move its earnings; False if already settled."""
    if outcome is PayoutItemStatus.PENDING:
        raise ValueError("an item settles to a final status, not pending")
    now = utcnow()
    db.session.flush()  # keep the caller's changes to the item (the refresh below reloads it)
    result = db.session.execute(
        update(PayoutItem)
        .where(PayoutItem.id == item.id, PayoutItem.status == PayoutItemStatus.PENDING)
        .values(status=outcome, settled_at=now, updated_at=now, error=error)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(item)
    if not result.rowcount:
        return False
    if outcome is PayoutItemStatus.PAID:
        moved = db.session.execute(
            update(Earning)
            .where(Earning.payout_item_id == item.id, Earning.status == EarningStatus.IN_BATCH)
            .values(status=EarningStatus.PAID, paid_at=now)
            .execution_options(synchronize_session="fetch")
        ).rowcount
    else:
        moved = db.session.execute(
            update(Earning)
            .where(Earning.payout_item_id == item.id, Earning.status == EarningStatus.IN_BATCH)
            .values(status=release_as or RELEASED_AS[outcome], payout_item_id=None)
            .execution_options(synchronize_session="fetch")
        ).rowcount
    if moved != item.earning_count:
        log.error(
            "payout item %s covered %s earnings but %s moved to %s",
            item.id,
            item.earning_count,
            moved,
            outcome.value,
        )
    if notify_contributor:
        _tell_contributor(item, outcome)
    return True


def _tell_contributor(item: PayoutItem, outcome: PayoutItemStatus) -> None:
    amount = format_money(item.amount_minor, item.currency)
    title = item.batch.project.title
    photos = f"{item.earning_count} photo{'s' if item.earning_count != 1 else ''}"
    url = local_url("payouts.my_earnings")
    if outcome is PayoutItemStatus.PAID:
        notify(
            item.contributor,
            "payout",
            f"You were paid {amount} through PayPal for {photos} for “{title}”.",
            url,
        )
    elif outcome is not PayoutItemStatus.CANCELLED:
        reason = {
            PayoutItemStatus.UNCLAIMED: "nobody claimed it",
            PayoutItemStatus.RETURNED: "PayPal returned it",
        }.get(outcome, "PayPal could not deliver it")
        notify(
            item.contributor,
            "payout",
            f"Your payment of {amount} for “{title}” did not reach you: {reason}. Check the "
            "PayPal e-mail address in your account. The photos stay payable and will be "
            "paid in a later batch.",
            url,
            email_subject="Your payment could not be delivered",
        )


def fail_batch(batch: PayoutBatch, error: str) -> None:
    """Mark a batch PayPal refused or denied: no money moved, so its earnings are unpaid."""
    move_batch(
        batch,
        (PayoutBatchStatus.SENDING, PayoutBatchStatus.SENT, PayoutBatchStatus.PROCESSING),
        PayoutBatchStatus.FAILED,
        last_error=error[:4000],
        completed_at=utcnow(),
    )
    for item in batch.items:
        if item.status is PayoutItemStatus.PENDING:
            # Not the contributor's doing: no message, and the earnings become plain unpaid.
            settle_item(
                item,
                PayoutItemStatus.FAILED,
                error=error[:500],
                release_as=EarningStatus.UNPAID,
                notify_contributor=False,
            )


def complete_if_settled(batch: PayoutBatch) -> bool:
    """Mark the batch completed once no item is pending; return whether it is completed."""
    pending = db.session.scalar(
        select(func.count())
        .select_from(PayoutItem)
        .where(PayoutItem.batch_id == batch.id, PayoutItem.status == PayoutItemStatus.PENDING)
    )
    if pending:
        return False
    move_batch(
        batch,
        (PayoutBatchStatus.SENT, PayoutBatchStatus.PROCESSING, PayoutBatchStatus.MANUAL),
        PayoutBatchStatus.COMPLETED,
        completed_at=utcnow(),
    )
    return batch.status is PayoutBatchStatus.COMPLETED
