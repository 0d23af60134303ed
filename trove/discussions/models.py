"""Questions and answers posted on a project."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trove.accounts.models import User
from trove.extensions import db
from trove.projects.models import Project
from trove.timeutil import utcnow

#: The longest post, in characters.
BODY_MAX = 5000


class Post(db.Model):
    """A question (``parent_id`` is None) or a reply to one; replies nest one level."""

    __tablename__ = "posts"
    __table_args__ = (
        # Replies of a page of questions, oldest first.
        Index("ix_posts_project_id_parent_id_created_at", "project_id", "parent_id", "created_at"),
        # A project's questions, most recent activity first.
        Index(
            "ix_posts_project_id_parent_id_activity_at", "project_id", "parent_id", "activity_at"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A question's latest activity (its own creation or its newest reply), for ordering.
    activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    hidden_at: Mapped[datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    is_official: Mapped[bool] = mapped_column(default=False)
    pinned_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    hidden_by: Mapped[User | None] = relationship(foreign_keys=[hidden_by_id])
    parent: Mapped[Post | None] = relationship(remote_side=[id], back_populates="replies")
    replies: Mapped[list[Post]] = relationship(
        back_populates="parent", order_by=lambda: [Post.created_at, Post.id]
    )

    @property
    def is_question(self) -> bool:
        """Return whether this post starts a thread."""
        return self.parent_id is None

    @property
    def is_deleted(self) -> bool:
        """Return whether the author (or an admin) deleted the post."""
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        """Return whether a moderator hid the post."""
        return self.hidden_at is not None

    @property
    def is_pinned(self) -> bool:
        """Return whether the answer is pinned into the brief's FAQ."""
        return self.pinned_at is not None

    @property
    def shown_replies(self) -> list[Post]:
        """Return the replies worth showing (deleted replies leave no trace)."""
        return [reply for reply in self.replies if reply.deleted_at is None]

    @property
    def anchor(self) -> str:
        """Return the post's stable DOM id."""
        return f"post-{self.id}"

    def __repr__(self) -> str:
        return f"<Post {self.id} project={self.project_id} parent={self.parent_id}>"
