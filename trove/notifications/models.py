"""Notifications shown in the app (and sometimes e-mailed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trove.accounts.models import User
from trove.extensions import db
from trove.timeutil import utcnow


class Notification(db.Model):
    """Something that happened that one person should know about."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The unread count in the navigation, and the list newest first.
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def is_read(self) -> bool:
        """Return whether the person has seen it."""
        return self.read_at is not None

    @property
    def anchor(self) -> str:
        """Return the notification's stable DOM id."""
        return f"notification-{self.id}"
