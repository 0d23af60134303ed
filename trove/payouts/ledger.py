"""Settle payout items and move their earnings, each exactly once.

Shared by the PayPal jobs and the manual "mark paid" actions. Every move is a
compare-and-set UPDATE (an item settles only from ``pending``; an earning moves only from
``in_batch`` and only with its own item, and only when this UPDATE is the one that settled
the item), so a duplicate webhook, two overlapping refresh jobs or a double click cannot
pay an earning twice. A whole batch settles the same way in a few set-based statements
(``settle_items``: the items UPDATE returns the rows it moved, and only their earnings
move). Functions flush but never commit.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import bindparam, func, inspect, select, update
from sqlalchemy.orm.attributes import set_committed_value

from trove.accounts.models import User
from trove.extensions import db
from trove.i18n import in_locale
from trove.money import format_money
from trove.notifications.service import notify_many
from trove.payouts.models import (
    Earning,
    EarningStatus,
    PayoutBatch,
    PayoutBatchStatus,
    PayoutItem,
    PayoutItemEarning,
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


_BATCH_COLUMNS = [column.key for column in inspect(PayoutBatch).column_attrs]


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
    # The batch's own columns only: a plain refresh would also expire each of its items.
    db.session.refresh(batch, _BATCH_COLUMNS)
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
    return bool(
        settle_items(
            [(item, outcome, error)],
            release_as=release_as,
            notify_contributor=notify_contributor,
        )
    )


def store_item_details(changes: Sequence[tuple[PayoutItem, dict[str, str | None]]]) -> None:
    """Write new PayPal details (ids, transaction status) of many items in one executemany.

    Not a state move: an item's status changes only through :func:`settle_items`. The
    loaded items are kept in step with what was written, without reading them back.
    """
    if not changes:
        return
    db.session.flush()
    now = utcnow()
    items = PayoutItem.__table__
    db.session.execute(  # Core executemany: the ORM's bulk UPDATE costs more per row
        update(items).where(items.c.id == bindparam("item_id")),
        [{"item_id": item.id, **values, "updated_at": now} for item, values in changes],
    )
    for item, values in changes:
        for key, value in {**values, "updated_at": now}.items():
            set_committed_value(item, key, value)


#: Items settled per statement (well under every backend's bound-parameter limit).
CHUNK = 500


def settle_items(
    settlements: Sequence[tuple[PayoutItem, PayoutItemStatus, str | None]],
    *,
    release_as: EarningStatus | None = None,
    notify_contributor: bool = True,
) -> list[PayoutItem]:
    """Record many items' final outcomes and move their earnings; return those settled now.

    A few set-based statements per outcome instead of a round per item, with the same
    compare-and-set as one item: the items UPDATE touches only rows still ``pending`` and
    RETURNING names exactly the rows this statement moved (a row another transaction
    settled first is skipped, on PostgreSQL after waiting for its lock), and only the
    earnings of those rows, still ``in_batch``, move.
    """
    if any(outcome is PayoutItemStatus.PENDING for _, outcome, _ in settlements):
        raise ValueError("an item settles to a final status, not pending")
    now = utcnow()
    db.session.flush()  # keep the caller's changes to the items before the bulk UPDATEs
    groups: dict[tuple[PayoutItemStatus, str | None], list[PayoutItem]] = defaultdict(list)
    for item, outcome, error in settlements:
        groups[(outcome, error)].append(item)
    settled: list[PayoutItem] = []
    for (outcome, error), group in groups.items():
        for start in range(0, len(group), CHUNK):
            chunk = group[start : start + CHUNK]
            won = set(
                db.session.scalars(
                    update(PayoutItem)
                    .where(
                        PayoutItem.id.in_([item.id for item in chunk]),
                        PayoutItem.status == PayoutItemStatus.PENDING,
                    )
                    .values(status=outcome, settled_at=now, updated_at=now, error=error)
                    .returning(PayoutItem.id)
                    .execution_options(synchronize_session=False)
                )
            )
            for item in chunk:
                if item.id in won:  # what the UPDATE wrote, without reading each row back
                    for key, value in (
                        ("status", outcome),
                        ("settled_at", now),
                        ("updated_at", now),
                        ("error", error),
                    ):
                        set_committed_value(item, key, value)
                else:  # settled elsewhere first: read its real state when next used
                    db.session.expire(item)
            mine = [item for item in chunk if item.id in won]
            if mine:
                _move_earnings(mine, outcome, release_as or RELEASED_AS.get(outcome), now)
                settled.extend(mine)
    if notify_contributor and settled:
        _tell_contributors(settled)
    return settled


def _move_earnings(
    items: list[PayoutItem],
    outcome: PayoutItemStatus,
    released: EarningStatus | None,
    now: datetime,
) -> None:
    """Move the ``in_batch`` earnings of just-settled items: paid, or payable again."""
    if outcome is PayoutItemStatus.PAID:
        values: dict[str, object] = {"status": EarningStatus.PAID, "paid_at": now}
    else:
        values = {"status": released, "payout_item_id": None}
    moved = db.session.scalars(
        update(Earning)
        .where(
            Earning.payout_item_id.in_([item.id for item in items]),
            Earning.status == EarningStatus.IN_BATCH,
        )
        .values(**values)
        .returning(Earning.id)  # not payout_item_id: RETURNING gives the new value, None
        .execution_options(synchronize_session="fetch")
    ).all()
    if len(moved) == sum(item.earning_count for item in items):
        return
    per_item: Counter[int] = Counter()
    for start in range(0, len(moved), CHUNK):  # which item each moved earning was in
        per_item.update(
            db.session.scalars(
                select(PayoutItemEarning.item_id).where(
                    PayoutItemEarning.earning_id.in_(moved[start : start + CHUNK]),
                    PayoutItemEarning.item_id.in_([item.id for item in items]),
                )
            )
        )
    for item in items:
        if per_item[item.id] != item.earning_count:
            log.error(
                "payout item %s covered %s earnings but %s moved to %s",
                item.id,
                item.earning_count,
                per_item[item.id],
                outcome.value,
            )


#: Why an item that did not reach its contributor failed, as the contributor is told.
_UNDELIVERED = {
    PayoutItemStatus.UNCLAIMED: _l("nobody claimed it"),
    PayoutItemStatus.RETURNED: _l("PayPal returned it"),
}


def _tell_contributors(items: list[PayoutItem]) -> None:
    """Tell each contributor how their payment ended, in their language: one INSERT per
    outcome, not per item. A cancelled item tells nobody (nothing happened to the money).
    """
    url = local_url("payouts.my_earnings")
    titles: dict[int, str] = {}
    locales = dict(
        db.session.execute(
            select(User.id, User.locale).where(User.id.in_({i.contributor_id for i in items}))
        ).all()
    )
    paid, undelivered = [], []
    for item in items:
        if item.batch_id not in titles:
            titles[item.batch_id] = item.batch.project.title
        title = titles[item.batch_id]
        with in_locale(locales.get(item.contributor_id)):
            amount = format_money(item.amount_minor, item.currency)
            if item.status is PayoutItemStatus.PAID:
                text = ngettext(
                    "You were paid %(amount)s through PayPal for %(num)d photo for “%(title)s”.",
                    "You were paid %(amount)s through PayPal for %(num)d photos for “%(title)s”.",
                    item.earning_count,
                    amount=amount,
                    title=title,
                )
                paid.append((item.contributor_id, text))
            elif item.status is not PayoutItemStatus.CANCELLED:
                reason = _UNDELIVERED.get(item.status) or _("PayPal could not deliver it")
                text = _(
                    "Your payment of %(amount)s for “%(title)s” did not reach you: %(reason)s. "
                    "Check the PayPal e-mail address in your account. The photos stay payable "
                    "and will be paid in a later batch.",
                    amount=amount,
                    title=title,
                    reason=reason,
                )
                undelivered.append((item.contributor_id, text))
    notify_many(paid, "payout", url)
    notify_many(
        undelivered, "payout", url, email_subject=_l("Your payment could not be delivered")
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
    # Not the contributor's doing: no message, and the earnings become plain unpaid.
    settle_items(
        [
            (item, PayoutItemStatus.FAILED, error[:500])
            for item in batch.items
            if item.status is PayoutItemStatus.PENDING
        ],
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


def release_held(submission_id: int) -> bool:
    """Make a held earning payable (its second opinion agreed); False if it was not held.

    Compare-and-set from ``held`` only: a release that lost a race, or came for an earning
    already released or reversed, changes nothing. Until this UPDATE wins, no payout path
    can take the earning (``held`` is not in ``PAYABLE``).
    """
    result = db.session.execute(
        update(Earning)
        .where(Earning.submission_id == submission_id, Earning.status == EarningStatus.HELD)
        .values(status=EarningStatus.UNPAID)
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)
