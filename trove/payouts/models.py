"""The earnings ledger: one earning per approved photo, paid exactly once."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from trove.accounts.models import User
from trove.extensions import db
from trove.submissions.models import Submission
from trove.timeutil import utcnow


class EarningStatus(enum.StrEnum):
    """Where an earning is on its way to the contributor."""

    UNPAID = "unpaid"
    IN_BATCH = "in_batch"
    PAID = "paid"
    FAILED = "failed"
    UNCLAIMED = "unclaimed"
    RETURNED = "returned"

    @property
    def label(self) -> str:
        """Return the human name of the status."""
        return {"in_batch": "Being paid"}.get(self.value, self.value.capitalize())

    @property
    def locked(self) -> bool:
        """Return whether the approval behind this earning can no longer change."""
        return self not in (EarningStatus.UNPAID,)


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
    status: Mapped[EarningStatus] = mapped_column(
        Enum(
            EarningStatus,
            native_enum=False,
            length=12,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=EarningStatus.UNPAID,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None]

    contributor: Mapped[User | None] = relationship()
    submission: Mapped[Submission] = relationship(backref=backref("earning", uselist=False))
