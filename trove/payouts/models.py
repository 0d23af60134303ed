"""The earnings ledger and payout batches: every approved photo paid exactly once.

An earning (one per approved photo) is payable while it is ``unpaid``, ``failed``,
``unclaimed`` or ``returned`` and linked to no payout item. Preparing a batch links it to
one item of one batch (``in_batch``); the item's outcome then makes it ``paid`` or payable
again (the link is cleared, and ``payout_item_earnings`` keeps the history). An approval
sampled for a second opinion starts ``held``, payable by no path until its check releases it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from trove.accounts.models import User
from trove.extensions import db, enum_column
from trove.projects.models import Project
from trove.submissions.models import Submission
from trove.timeutil import utcnow


class EarningStatus(enum.StrEnum):
    """Where an earning is on its way to the contributor."""

    UNPAID = "unpaid"
    HELD = "held"  # its approval awaits a second opinion: not payable until released
    IN_BATCH = "in_batch"
    PAID = "paid"
    FAILED = "failed"
    UNCLAIMED = "unclaimed"
    RETURNED = "returned"
    FORFEITED = "forfeited"  # given up, with explicit consent, when the account was deleted

    @property
    def label(self) -> str:
        """Return the human name of the status."""
        return str({
            "unpaid": _l("Unpaid"),
            "held": _l("In final check"),
            "in_batch": _l("Being paid"),
            "paid": _l("Paid"),
            "forfeited": _l("Given up"),
            "failed": _l("Payment failed"),
            "unclaimed": _l("Not claimed"),
            "returned": _l("Payment returned"),
        }[self.value])

    @property
    def locked(self) -> bool:
        """Return whether the approval behind this earning can no longer change."""
        return self not in (EarningStatus.UNPAID, EarningStatus.HELD)

    @property
    def payable(self) -> bool:
        """Return whether a new payout batch may take this earning."""
        return self in PAYABLE


#: Earnings a payout batch may take (when they are linked to no item).
PAYABLE = (
    EarningStatus.UNPAID,
    EarningStatus.FAILED,
    EarningStatus.UNCLAIMED,
    EarningStatus.RETURNED,
)

#: Earnings still owed to their contributor: payable, or held until a final check ends.
OWED = (*PAYABLE, EarningStatus.HELD)


class PayoutBatchStatus(enum.StrEnum):
    """Where a payout batch is.

    draft → approved → sending → sent → processing → completed, or failed (PayPal refused
    or denied it); approved → manual → completed without PayPal credentials; draft and
    approved batches can be cancelled.
    """

    DRAFT = "draft"
    APPROVED = "approved"
    SENDING = "sending"
    SENT = "sent"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    MANUAL = "manual"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """Return the human name of the status."""
        return str(
            {
                "draft": _l("Draft"),
                "approved": _l("Approved"),
                "sending": _l("Sending to PayPal"),
                "sent": _l("Sent to PayPal"),
                "processing": _l("PayPal is paying"),
                "completed": _l("Completed"),
                "failed": _l("Failed"),
                "manual": _l("Awaiting manual payment"),
                "cancelled": _l("Cancelled"),
            }[self.value]
        )

    @property
    def badge(self) -> str:
        """Return the badge style that fits the status."""
        if self in (PayoutBatchStatus.COMPLETED,):
            return "paid"
        if self in (PayoutBatchStatus.FAILED, PayoutBatchStatus.CANCELLED):
            return "failed"
        if self is PayoutBatchStatus.APPROVED:
            return "approved"
        return "pending"

    @property
    def in_flight(self) -> bool:
        """Return whether PayPal is still working on the batch (the page polls)."""
        return self in IN_FLIGHT


IN_FLIGHT = (PayoutBatchStatus.SENDING, PayoutBatchStatus.SENT, PayoutBatchStatus.PROCESSING)


class PayoutItemStatus(enum.StrEnum):
    """The outcome of one payment to one contributor."""

    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    UNCLAIMED = "unclaimed"
    RETURNED = "returned"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """Return the human name of the status."""
        return str(
            {
                "pending": _l("Pending"),
                "paid": _l("Paid"),
                "failed": _l("Failed"),
                "unclaimed": _l("Not claimed"),
                "returned": _l("Returned"),
                "cancelled": _l("Cancelled"),
            }[self.value]
        )

    @property
    def badge(self) -> str:
        """Return the badge style that fits the status."""
        return {"paid": "paid", "pending": "pending"}.get(self.value, "failed")


class PayoutBatch(db.Model):
    """A set of payments in one currency for one project, sent to PayPal as one batch."""

    __tablename__ = "payout_batches"
    __table_args__ = (Index("ix_payout_batches_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[PayoutBatchStatus] = enum_column(
        PayoutBatchStatus, length=12, default=PayoutBatchStatus.DRAFT
    )
    manual: Mapped[bool] = mapped_column(default=False)
    total_minor: Mapped[int] = mapped_column(default=0)
    item_count: Mapped[int] = mapped_column(default=0)
    earning_count: Mapped[int] = mapped_column(default=0)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime | None]
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    # PayPal's side. sender_batch_id (the id plus a random part, so a restored older
    # database never reuses one) is fixed at preparation and never changes, so every
    # retry and reconciliation names the same batch.
    sender_batch_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    paypal_batch_id: Mapped[str | None] = mapped_column(String(64), index=True)
    paypal_status: Mapped[str | None] = mapped_column(String(20))
    send_attempts: Mapped[int] = mapped_column(default=0)
    last_checked_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])
    items: Mapped[list[PayoutItem]] = relationship(
        back_populates="batch", order_by="PayoutItem.id", cascade="all, delete-orphan"
    )

    @property
    def dom_id(self) -> str:
        """Return the batch's stable DOM id."""
        return f"payout-batch-{self.id}"


class PayoutItem(db.Model):
    """One payment in a batch: all of one contributor's payable earnings in its currency."""

    __tablename__ = "payout_items"
    __table_args__ = (UniqueConstraint("batch_id", "contributor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id"), index=True)
    contributor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    receiver: Mapped[str] = mapped_column(String(254))  # the PayPal e-mail when prepared
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    earning_count: Mapped[int] = mapped_column(default=0)
    status: Mapped[PayoutItemStatus] = enum_column(
        PayoutItemStatus, length=12, default=PayoutItemStatus.PENDING
    )
    sender_item_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    paypal_item_id: Mapped[str | None] = mapped_column(String(64), index=True)
    transaction_id: Mapped[str | None] = mapped_column(String(64))
    transaction_status: Mapped[str | None] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    settled_at: Mapped[datetime | None] = mapped_column(index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    batch: Mapped[PayoutBatch] = relationship(back_populates="items")
    contributor: Mapped[User] = relationship()

    @property
    def dom_id(self) -> str:
        """Return the item's stable DOM id."""
        return f"payout-item-{self.id}"


class PayoutItemEarning(db.Model):
    """Which earnings a payout item covered (kept after a failed item lets them go)."""

    __tablename__ = "payout_item_earnings"

    item_id: Mapped[int] = mapped_column(ForeignKey("payout_items.id"), primary_key=True)
    earning_id: Mapped[int] = mapped_column(ForeignKey("earnings.id"), primary_key=True, index=True)


class Earning(db.Model):
    """What an approved photo earns its contributor."""

    __tablename__ = "earnings"
    __table_args__ = (Index("ix_earnings_contributor_status", "contributor_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    contributor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    brief_version_id: Mapped[int] = mapped_column(ForeignKey("brief_versions.id"))
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[EarningStatus] = enum_column(
        EarningStatus, length=12, default=EarningStatus.UNPAID
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None]
    # The item now paying this earning; cleared when that item fails, so that a later
    # batch can take it. At most one item at a time, by construction.
    payout_item_id: Mapped[int | None] = mapped_column(ForeignKey("payout_items.id"), index=True)

    contributor: Mapped[User | None] = relationship()
    submission: Mapped[Submission] = relationship(backref=backref("earning", uselist=False))
    payout_item: Mapped[PayoutItem | None] = relationship()
