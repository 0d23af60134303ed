"""Review records: appeals, second opinions, gold photos and reviewer counters."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from trove.accounts.models import User
from trove.extensions import db, enum_column
from trove.submissions.models import Submission
from trove.timeutil import utcnow


class Appeal(db.Model):
    """A request to look again at a declined photo (one per photo)."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), unique=True)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(20))

    submission: Mapped[Submission] = relationship(
        backref=backref("appeal", uselist=False), foreign_keys=[submission_id]
    )


class CheckState(enum.StrEnum):
    """Where a second opinion on an approval is."""

    OPEN = "open"  # awaits a second, different reviewer; the earning is held
    AGREED = "agreed"  # the second reviewer approved too; the earning was released
    DISPUTED = "disputed"  # the second reviewer would decline; the owner decides
    RESOLVED = "resolved"  # the owner decided a dispute
    CANCELLED = "cancelled"  # the approval was undone before the check ended

    @property
    def label(self) -> str:
        """Return the human name of the state."""
        return str(
            {
                "open": _l("Awaiting a second opinion"),
                "agreed": _l("Agreed"),
                "disputed": _l("Reviewers disagree"),
                "resolved": _l("Resolved"),
                "cancelled": _l("Cancelled"),
            }[self.value]
        )


#: States in which a check still holds the photo's earning.
PENDING_CHECK = (CheckState.OPEN, CheckState.DISPUTED)


class SecondOpinion(db.Model):
    """A second reviewer's look at one approval, taken on a sample of approvals."""

    __tablename__ = "second_opinions"
    __table_args__ = (
        Index("ix_second_opinions_submission_id", "submission_id"),
        Index("ix_second_opinions_project_state", "project_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    state: Mapped[CheckState] = enum_column(CheckState, length=12, default=CheckState.OPEN)
    first_reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    second_reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    second_code: Mapped[str | None] = mapped_column(String(40))
    second_note: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    second_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]

    submission: Mapped[Submission] = relationship(
        backref=backref(
            "final_check",
            uselist=False,
            viewonly=True,
            primaryjoin="and_(Submission.id == SecondOpinion.submission_id, "
            "SecondOpinion.state.in_(['open', 'disputed']))",
        ),
        foreign_keys=[submission_id],
    )
    first_reviewer: Mapped[User | None] = relationship(foreign_keys=[first_reviewer_id])
    second_reviewer: Mapped[User | None] = relationship(foreign_keys=[second_reviewer_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def dom_id(self) -> str:
        """Return the check's stable DOM id."""
        return f"second-opinion-{self.id}"


class GoldPhoto(db.Model):
    """A decided photo whose answer is known, mixed unmarked into reviewers' queues."""

    __tablename__ = "gold_photos"
    __table_args__ = (Index("ix_gold_photos_project_active", "project_id", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), unique=True)
    expected: Mapped[str] = mapped_column(String(20))  # "approved" or "rejected"
    expected_code: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    submission: Mapped[Submission] = relationship(
        backref=backref("gold", uselist=False), foreign_keys=[submission_id]
    )


class GoldAnswer(db.Model):
    """One reviewer's scored answer on one gold photo (never paid, never changes the photo)."""

    __tablename__ = "gold_answers"
    __table_args__ = (
        UniqueConstraint("gold_id", "reviewer_id"),
        Index("ix_gold_answers_reviewer_id", "reviewer_id", "gold_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gold_id: Mapped[int] = mapped_column(ForeignKey("gold_photos.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str] = mapped_column(String(20))
    code: Mapped[str | None] = mapped_column(String(40))
    correct: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    gold: Mapped[GoldPhoto] = relationship()


class ReviewerStat(db.Model):
    """One reviewer's running counters on one project (kept as decisions happen)."""

    __tablename__ = "reviewer_stats"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    decisions: Mapped[int] = mapped_column(default=0, server_default="0")
    # Time spent deciding: the gaps between one's decisions, each counted up to a cap.
    active_seconds: Mapped[int] = mapped_column(default=0, server_default="0")
    last_decision_at: Mapped[datetime | None]
    checked: Mapped[int] = mapped_column(default=0, server_default="0")
    agreed: Mapped[int] = mapped_column(default=0, server_default="0")
    gold_answered: Mapped[int] = mapped_column(default=0, server_default="0")
    gold_correct: Mapped[int] = mapped_column(default=0, server_default="0")
    appeals_overturned: Mapped[int] = mapped_column(default=0, server_default="0")

    reviewer: Mapped[User] = relationship()
