"""Read-only payout queries: balances, batch lists, a contributor's earnings and payments."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload

from trove.accounts.models import User
from trove.extensions import db
from trove.payouts.models import (
    PAYABLE,
    Earning,
    EarningStatus,
    PayoutBatch,
    PayoutBatchStatus,
    PayoutItem,
    PayoutItemStatus,
)
from trove.projects.models import Project
from trove.submissions.models import Submission

EARNINGS_PAGE = 50


@dataclass
class Balance:
    """Amounts in one currency: held for a final check, payable, being paid, and paid."""

    currency: str
    payable: int = 0
    in_progress: int = 0
    paid: int = 0
    held: int = 0
    payable_count: int = 0
    in_progress_count: int = 0
    paid_count: int = 0
    held_count: int = 0


def _balances(where: Any) -> list[Balance]:
    bucket = case(
        (Earning.status == EarningStatus.PAID, "paid"),
        (Earning.status == EarningStatus.IN_BATCH, "in_progress"),
        (Earning.status == EarningStatus.HELD, "held"),
        else_="payable",
    )
    rows = db.session.execute(
        select(Earning.currency, bucket, func.count(), func.sum(Earning.amount_minor))
        .where(where)
        .group_by(Earning.currency, bucket)
    )
    balances: dict[str, Balance] = {}
    for currency, name, count, amount in rows:
        balance = balances.setdefault(currency, Balance(currency))
        setattr(balance, name, int(amount or 0))
        setattr(balance, f"{name}_count", int(count))
    return [balances[c] for c in sorted(balances)]


def project_balances(project: Project) -> list[Balance]:
    """Return the project's earnings per currency: payable, being paid, paid."""
    return _balances(Earning.project_id == project.id)


def contributor_balances(user: User) -> list[Balance]:
    """Return a contributor's earnings per currency: payable, being paid, paid."""
    return _balances(Earning.contributor_id == user.id)


def project_batches(project: Project, limit: int = 100) -> list[PayoutBatch]:
    """Return the project's payout batches, newest first."""
    return list(
        db.session.scalars(
            select(PayoutBatch)
            .where(PayoutBatch.project_id == project.id)
            .options(joinedload(PayoutBatch.created_by))
            .order_by(PayoutBatch.id.desc())
            .limit(limit)
        )
    )


@dataclass
class ItemCounts:
    """How many of a batch's items are in each status, and their amounts."""

    counts: dict[str, int] = field(default_factory=dict)
    amounts: dict[str, int] = field(default_factory=dict)

    def count(self, status: str) -> int:
        """Return how many items have ``status``."""
        return self.counts.get(status, 0)

    def amount(self, status: str) -> int:
        """Return the amount of the items with ``status``."""
        return self.amounts.get(status, 0)

    @property
    def released(self) -> int:
        """Return how many items went back to payable (failed, unclaimed, returned)."""
        return sum(self.count(s) for s in ("failed", "unclaimed", "returned"))


def item_counts(batch: PayoutBatch) -> ItemCounts:
    """Return the batch's item counts and amounts per status."""
    result = ItemCounts()
    for status, count, amount in db.session.execute(
        select(PayoutItem.status, func.count(), func.sum(PayoutItem.amount_minor))
        .where(PayoutItem.batch_id == batch.id)
        .group_by(PayoutItem.status)
    ):
        result.counts[PayoutItemStatus(status).value] = int(count)
        result.amounts[PayoutItemStatus(status).value] = int(amount or 0)
    return result


def batch_items(batch: PayoutBatch, limit: int) -> list[PayoutItem]:
    """Return the first ``limit`` items of a batch, unsettled and failed ones first."""
    order = case(
        (PayoutItem.status == PayoutItemStatus.PENDING, 0),
        (PayoutItem.status == PayoutItemStatus.PAID, 2),
        else_=1,
    )
    return list(
        db.session.scalars(
            select(PayoutItem)
            .where(PayoutItem.batch_id == batch.id)
            .options(joinedload(PayoutItem.contributor))
            .order_by(order, PayoutItem.id)
            .limit(limit)
        )
    )


def contributor_earnings(user: User, before: int | None = None) -> tuple[list[Earning], int | None]:
    """Return a page of the contributor's earnings, newest first, and the next cursor."""
    query = (
        select(Earning)
        .where(Earning.contributor_id == user.id)
        .options(
            joinedload(Earning.submission).joinedload(Submission.project),
            joinedload(Earning.payout_item).joinedload(PayoutItem.batch),
        )
        .order_by(Earning.id.desc())
        .limit(EARNINGS_PAGE + 1)
    )
    if before is not None:
        query = query.where(Earning.id < before)
    rows = list(db.session.scalars(query))
    next_before = rows[EARNINGS_PAGE - 1].id if len(rows) > EARNINGS_PAGE else None
    return rows[:EARNINGS_PAGE], next_before


#: Batches a contributor sees their payment in (drafts may still be cancelled).
VISIBLE_TO_CONTRIBUTOR = (
    PayoutBatchStatus.SENDING,
    PayoutBatchStatus.SENT,
    PayoutBatchStatus.PROCESSING,
    PayoutBatchStatus.COMPLETED,
    PayoutBatchStatus.MANUAL,
)


def contributor_payments(user: User, limit: int = 100) -> list[PayoutItem]:
    """Return the contributor's payments (items of sent batches), newest first."""
    return list(
        db.session.scalars(
            select(PayoutItem)
            .join(PayoutItem.batch)
            .where(
                PayoutItem.contributor_id == user.id,
                PayoutBatch.status.in_(VISIBLE_TO_CONTRIBUTOR),
                PayoutItem.status != PayoutItemStatus.CANCELLED,
            )
            .options(selectinload(PayoutItem.batch).joinedload(PayoutBatch.project))
            .order_by(PayoutItem.id.desc())
            .limit(limit)
        )
    )


def payable_total(user: User) -> int:
    """Return how many of the contributor's earnings are waiting for a batch."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(Earning)
            .where(Earning.contributor_id == user.id, Earning.status.in_(PAYABLE))
        )
        or 0
    )
