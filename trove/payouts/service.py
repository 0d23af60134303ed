"""Payout rules: plan, prepare, approve, cancel and send batches; mark manual payments.

Functions flush but never commit, and raise DomainError on an illegal move. Earnings
move into a batch by compare-and-set (only payable earnings linked to no item), so two
finance members preparing at the same moment cannot put one earning in two batches.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import insert, select, update

from trove.accounts.models import User
from trove.audit.service import record_event
from trove.errors import DomainError
from trove.extensions import db
from trove.payouts import ledger
from trove.payouts.client import batch_reference, item_reference, paypal_configured
from trove.payouts.jobs import enqueue_once, refresh_payout_batch, send_payout_batch
from trove.payouts.models import (
    PAYABLE,
    Earning,
    EarningStatus,
    PayoutBatch,
    PayoutBatchStatus,
    PayoutItem,
    PayoutItemEarning,
    PayoutItemStatus,
)
from trove.payouts.paypal import MAX_ITEMS_PER_BATCH
from trove.projects.models import Capability, Project
from trove.projects.service import can
from trove.tasks import enqueue
from trove.timeutil import utcnow

log = logging.getLogger(__name__)

#: PayPal's Payouts web upload takes at most 5,000 rows per file.
MAX_ITEMS_MANUAL = 5_000
MAX_ITEMS_PAYPAL = MAX_ITEMS_PER_BATCH
_CHUNK = 500  # ids per IN (...) list


def _require_finance(user: User, project: Project) -> None:
    if not can(user, project, Capability.FINANCE):
        raise DomainError(_("You do not handle payouts on this project."), status=403)


def _chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- planning --------------------------------------------------------------------------------


@dataclass
class PlannedItem:
    """One contributor's payable earnings in one currency."""

    contributor_id: int | None
    contributor: User | None
    currency: str
    amount_minor: int = 0
    earning_ids: list[int] = field(default_factory=list)

    @property
    def earning_count(self) -> int:
        """Return how many approved photos the payment covers."""
        return len(self.earning_ids)


@dataclass
class PayoutPlan:
    """What a batch prepared now would pay, and who would be left out and why."""

    minimum_minor: int
    items: list[PlannedItem]
    below_minimum: list[PlannedItem]
    missing_email: list[PlannedItem]

    def totals(self) -> dict[str, tuple[int, int]]:
        """Return (payments, amount) per currency of the items to pay."""
        totals: dict[str, tuple[int, int]] = {}
        for item in self.items:
            count, amount = totals.get(item.currency, (0, 0))
            totals[item.currency] = (count + 1, amount + item.amount_minor)
        return dict(sorted(totals.items()))


def plan_payouts(project: Project) -> PayoutPlan:
    """Group the project's payable earnings into one payment per contributor and currency."""
    minimum = max(int(current_app.config["PAYOUT_MINIMUM_MINOR"]), 1)
    rows = db.session.execute(
        select(Earning.id, Earning.contributor_id, Earning.currency, Earning.amount_minor)
        .where(
            Earning.project_id == project.id,
            Earning.status.in_(PAYABLE),
            Earning.payout_item_id.is_(None),
        )
        .order_by(Earning.id)
    ).all()
    groups: dict[tuple[int | None, str], PlannedItem] = {}
    for earning_id, contributor_id, currency, amount in rows:
        group = groups.get((contributor_id, currency))
        if group is None:
            group = groups[(contributor_id, currency)] = PlannedItem(contributor_id, None, currency)
        group.amount_minor += amount
        group.earning_ids.append(earning_id)
    ids = [cid for cid, _ in groups if cid is not None]
    users: dict[int, User] = {}
    for chunk in _chunks(ids, _CHUNK):
        users.update({u.id: u for u in db.session.scalars(select(User).where(User.id.in_(chunk)))})
    plan = PayoutPlan(minimum, [], [], [])
    for group in groups.values():
        group.contributor = users.get(group.contributor_id) if group.contributor_id else None
        if group.contributor is None or not group.contributor.paypal_email:
            plan.missing_email.append(group)
        elif group.amount_minor < minimum:
            plan.below_minimum.append(group)
        else:
            plan.items.append(group)
    return plan


# --- the batch lifecycle ---------------------------------------------------------------------


def prepare_batch(project: Project, actor: User) -> list[PayoutBatch]:
    """Put every payable earning of contributors with a PayPal e-mail into draft batches.

    One batch per currency (more when a currency has more payees than one PayPal batch
    or upload file takes), one item per contributor.
    """
    _require_finance(actor, project)
    plan = plan_payouts(project)
    if not plan.items:
        raise DomainError(
            _(
                "Nothing to pay: no contributor with a PayPal e-mail address has at least "
                "%(minimum)s minor units payable on this project.",
                minimum=plan.minimum_minor,
            )
        )
    size = MAX_ITEMS_PAYPAL if paypal_configured() else MAX_ITEMS_MANUAL
    by_currency: dict[str, list[PlannedItem]] = defaultdict(list)
    for planned in plan.items:
        by_currency[planned.currency].append(planned)
    batches = []
    for currency, planned_items in sorted(by_currency.items()):
        for part in _chunks(planned_items, size):
            batches.append(_create_batch(project, actor, currency, part))
    return batches


def _create_batch(
    project: Project, actor: User, currency: str, planned: list[PlannedItem]
) -> PayoutBatch:
    batch = PayoutBatch(
        project_id=project.id,
        currency=currency,
        status=PayoutBatchStatus.DRAFT,
        created_by_id=actor.id,
        total_minor=sum(p.amount_minor for p in planned),
        item_count=len(planned),
        earning_count=sum(p.earning_count for p in planned),
    )
    db.session.add(batch)
    db.session.flush()
    batch.sender_batch_id = batch_reference(batch.id)
    rows = [
        {
            "batch_id": batch.id,
            "contributor_id": p.contributor_id,
            "receiver": p.contributor.paypal_email,  # type: ignore[union-attr]
            "amount_minor": p.amount_minor,
            "currency": currency,
            "earning_count": p.earning_count,
        }
        for p in planned
    ]
    # One multi-row INSERT, then one SELECT for the ids (one item per contributor): the
    # ORM would insert row by row on SQLite to read each id back.
    for chunk in _chunks(rows, 5000):
        db.session.execute(insert(PayoutItem), chunk)
    item_ids = dict(
        db.session.execute(
            select(PayoutItem.contributor_id, PayoutItem.id).where(PayoutItem.batch_id == batch.id)
        ).all()
    )
    links = []
    references = []
    for p in planned:
        item_id = item_ids[p.contributor_id]
        references.append({"id": item_id, "sender_item_id": item_reference(item_id)})
        links.extend({"item_id": item_id, "earning_id": e} for e in p.earning_ids)
    db.session.execute(update(PayoutItem), references)  # one executemany, no item loaded
    for chunk in _chunks(links, 5000):
        db.session.execute(insert(PayoutItemEarning), chunk)
    _take(batch, [link["earning_id"] for link in links])
    db.session.flush()
    record_event(
        actor,
        "payout.batch_prepared",
        batch,
        project_id=project.id,
        currency=currency,
        total=batch.total_minor,
        items=batch.item_count,
        earnings=batch.earning_count,
    )
    return batch


def _take(batch: PayoutBatch, earning_ids: list[int]) -> None:
    """Move earnings into the batch's items: all of them or none (someone took one first).

    Each earning goes to its contributor's item of this batch (one item per contributor,
    found through the batch's unique key), in one UPDATE per chunk of ids; an earning
    already taken (not payable, or in another item) is not moved, so a short count means
    another payout won the race and the caller rolls back.
    """
    own_item = (
        select(PayoutItem.id)
        .where(PayoutItem.batch_id == batch.id, PayoutItem.contributor_id == Earning.contributor_id)
        .scalar_subquery()
    )
    taken = 0
    for chunk in _chunks(earning_ids, 5000):
        taken += db.session.execute(
            update(Earning)
            .where(
                Earning.id.in_(chunk),
                Earning.currency == batch.currency,
                Earning.status.in_(PAYABLE),
                Earning.payout_item_id.is_(None),
            )
            .values(status=EarningStatus.IN_BATCH, payout_item_id=own_item)
            .execution_options(synchronize_session=False)  # no earning is loaded here
        ).rowcount
    if taken != len(earning_ids):
        raise DomainError(
            _(
                "Someone else prepared a payout with some of these earnings at the same moment. "
                "Reload the page and look again."
            )
        )


def approve_batch(batch: PayoutBatch, actor: User) -> None:
    """Approve a draft batch for sending (with four-eyes on, not by its preparer)."""
    _require_finance(actor, batch.project)
    if batch.status is not PayoutBatchStatus.DRAFT:
        raise DomainError(
            _(
                "Only a draft batch can be approved; this one is %(status)s.",
                status=batch.status.label,
            )
        )
    if current_app.config["PAYOUT_FOUR_EYES"] and batch.created_by_id == actor.id:
        raise DomainError(
            _(
                "Another finance member must approve this batch: you prepared it, and this "
                "instance asks for a second pair of eyes."
            ),
            status=403,
        )
    if not ledger.move_batch(
        batch,
        (PayoutBatchStatus.DRAFT,),
        PayoutBatchStatus.APPROVED,
        approved_by_id=actor.id,
        approved_at=utcnow(),
    ):
        raise DomainError(_("Someone else changed this batch at the same moment; reload it."))
    record_event(
        actor, "payout.batch_approved", batch, project_id=batch.project_id, total=batch.total_minor
    )


def cancel_batch(batch: PayoutBatch, actor: User) -> None:
    """Cancel a batch not yet sent; its earnings become unpaid (payable) again."""
    _require_finance(actor, batch.project)
    allowed = (PayoutBatchStatus.DRAFT, PayoutBatchStatus.APPROVED)
    if batch.status not in allowed or not ledger.move_batch(
        batch, allowed, PayoutBatchStatus.CANCELLED, cancelled_at=utcnow()
    ):
        raise DomainError(_("Only a draft or approved batch can be cancelled."))
    ledger.settle_items(
        [(item, PayoutItemStatus.CANCELLED, None) for item in batch.items],
        notify_contributor=False,
    )
    record_event(actor, "payout.batch_cancelled", batch, project_id=batch.project_id)


def send_batch(batch: PayoutBatch, actor: User) -> None:
    """Send an approved batch: to PayPal by a job, or to manual payment without credentials."""

    _require_finance(actor, batch.project)
    if batch.status is not PayoutBatchStatus.APPROVED:
        raise DomainError(_("Approve the batch before sending it."))
    now = utcnow()
    manual = not paypal_configured()
    moved = ledger.move_batch(
        batch,
        (PayoutBatchStatus.APPROVED,),
        PayoutBatchStatus.MANUAL if manual else PayoutBatchStatus.SENDING,
        manual=manual,
        sent_at=now,
        sent_by_id=actor.id,
        last_checked_at=now,
    )
    if not moved:
        raise DomainError(_("Someone else changed this batch at the same moment; reload it."))
    if not manual:
        # The batch row is committed by the caller before the job can run (enqueue hands
        # the job over after the commit), so PayPal is never called for an unsaved batch.
        enqueue(send_payout_batch, batch.id)
    record_event(
        actor,
        "payout.batch_manual" if manual else "payout.batch_send_requested",
        batch,
        project_id=batch.project_id,
        total=batch.total_minor,
        currency=batch.currency,
    )


def request_refresh(batch: PayoutBatch, actor: User | None) -> bool:
    """Ask for the batch to be re-read from PayPal soon; return whether a job was queued."""
    if actor is not None:
        _require_finance(actor, batch.project)
    if batch.status is PayoutBatchStatus.SENDING:
        return enqueue_once(send_payout_batch, batch.id)
    if batch.status in (PayoutBatchStatus.SENT, PayoutBatchStatus.PROCESSING):
        return enqueue_once(refresh_payout_batch, batch.id)
    return False


# --- manual mode -----------------------------------------------------------------------------

MANUAL_OUTCOMES = {"paid": PayoutItemStatus.PAID, "failed": PayoutItemStatus.FAILED}


def mark_items(
    batch: PayoutBatch,
    actor: User,
    outcome: str,
    item_ids: list[int] | None = None,
    note: str | None = None,
) -> int:
    """Record manual payments (all pending items when ``item_ids`` is None); return count."""
    _require_finance(actor, batch.project)
    if batch.status is not PayoutBatchStatus.MANUAL:
        raise DomainError(_("Only a batch paid by hand (no PayPal credentials) is marked here."))
    if outcome not in MANUAL_OUTCOMES:
        raise DomainError(_("Choose paid or failed."), field="outcome", status=422)
    note = (note or "").strip()[:500] or None
    if outcome == "failed" and not note:
        note = _("Marked as failed by the finance team.")
    wanted = None if item_ids is None else set(item_ids)
    chosen = [
        item
        for item in batch.items
        if item.status is PayoutItemStatus.PENDING and (wanted is None or item.id in wanted)
    ]
    settled = ledger.settle_items(
        [(item, MANUAL_OUTCOMES[outcome], note if outcome == "failed" else None) for item in chosen]
    )
    for item in settled:
        item.transaction_status = "SUCCESS" if outcome == "paid" else "FAILED"
        record_event(
            actor,
            f"payout.item_marked_{outcome}",
            item,
            project_id=batch.project_id,
            batch=batch.id,
            amount=item.amount_minor,
            currency=item.currency,
            note=note,
        )
    changed = len(settled)
    if wanted is not None and not changed:
        raise DomainError(_("That payment is already settled."))
    db.session.flush()
    if ledger.complete_if_settled(batch):
        record_event(actor, "payout.batch_completed", batch, project_id=batch.project_id)
    return changed


# --- webhooks --------------------------------------------------------------------------------

PAYOUT_EVENT_PREFIXES = ("PAYMENT.PAYOUTSBATCH.", "PAYMENT.PAYOUTS-ITEM.")


def batch_for_event(event: dict[str, Any]) -> PayoutBatch | None:
    """Return our batch a PayPal payout webhook event is about, if any."""
    resource = event.get("resource")
    if not isinstance(resource, dict):
        return None
    header = resource.get("batch_header") if isinstance(resource.get("batch_header"), dict) else {}
    sender_header = header.get("sender_batch_header") or {}
    item = resource.get("payout_item") if isinstance(resource.get("payout_item"), dict) else {}
    paypal_id = header.get("payout_batch_id") or resource.get("payout_batch_id")
    sender_id = sender_header.get("sender_batch_id") or resource.get("sender_batch_id")
    if isinstance(paypal_id, str) and paypal_id:
        batch = db.session.scalar(
            select(PayoutBatch).where(PayoutBatch.paypal_batch_id == paypal_id).limit(1)
        )
        if batch is not None:
            return batch
    if isinstance(sender_id, str) and sender_id:
        batch = db.session.scalar(
            select(PayoutBatch).where(PayoutBatch.sender_batch_id == sender_id)
        )
        if batch is not None:
            return batch
    sender_item_id = item.get("sender_item_id")
    if isinstance(sender_item_id, str) and sender_item_id:
        found = db.session.scalar(
            select(PayoutItem).where(PayoutItem.sender_item_id == sender_item_id)
        )
        return found.batch if found is not None else None
    return None


def handle_webhook(event: dict[str, Any]) -> PayoutBatch | None:
    """Treat a verified payout event as a hint: queue a fresh read of the batch it names.

    The event's own statuses are never applied: PayPal may deliver events twice or out of
    order, and the refresh job reads the current truth from PayPal instead.
    """
    event_type = str(event.get("event_type") or "")
    if not event_type.startswith(PAYOUT_EVENT_PREFIXES):
        return None
    batch = batch_for_event(event)
    if batch is None:
        log.info("payouts: webhook %s names no batch of ours", event.get("id"))
        return None
    request_refresh(batch, None)
    return batch
