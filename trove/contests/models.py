"""A project's contest, and the winners of its draw."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trove.accounts.models import User
from trove.extensions import db, enum_column
from trove.projects.models import Project
from trove.timeutil import utcnow


class ContestStatus(enum.StrEnum):
    """Where a contest is: taking entries (by its window), or drawn."""

    OPEN = "open"
    DRAWN = "drawn"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """Return the human name of the status."""
        return str(
            {"open": _l("Open"), "drawn": _l("Drawn"), "cancelled": _l("Cancelled")}[self.value]
        )


class Contest(db.Model):
    """A prize draw among a project's contributors over a window of time."""

    __tablename__ = "contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    status: Mapped[ContestStatus] = enum_column(
        ContestStatus, length=12, default=ContestStatus.OPEN
    )
    title: Mapped[str] = mapped_column(String(120))
    prize: Mapped[str] = mapped_column(String(200))
    rules: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    winner_count: Mapped[int] = mapped_column(default=1)
    referral_bonus: Mapped[int] = mapped_column(default=0)  # extra entries per referral
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # The draw: the seed's SHA-256 is published when the contest is created; the seed
    # itself only at the draw, with the entries, so anyone can re-run it.
    seed_commitment: Mapped[str] = mapped_column(String(64))
    seed: Mapped[str] = mapped_column(String(64))
    drawn_at: Mapped[datetime | None]
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entries: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # frozen at the draw
    excluded: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # user id → reason
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(300))

    project: Mapped[Project] = relationship()
    winners: Mapped[list[ContestWinner]] = relationship(
        back_populates="contest", order_by="ContestWinner.rank"
    )

    @property
    def seed_public(self) -> str | None:
        """Return the seed once it may be shown (after the draw), else None."""
        return self.seed if self.status is ContestStatus.DRAWN else None


class ContestWinner(db.Model):
    """One winner of a drawn contest and how their prize was delivered."""

    __tablename__ = "contest_winners"
    __table_args__ = (UniqueConstraint("contest_id", "rank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id"), index=True)
    rank: Mapped[int]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    pseudonym: Mapped[str] = mapped_column(String(40))
    entries: Mapped[int]
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    notified_at: Mapped[datetime | None]
    fulfilment: Mapped[str | None] = mapped_column(Text)
    fulfilled_at: Mapped[datetime | None]
    fulfilled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    contest: Mapped[Contest] = relationship(back_populates="winners")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
