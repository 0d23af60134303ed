"""A contributor's one appeal against a rejection."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from trove.extensions import db
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
