"""Who may do what in a project's Q&A thread; the service and the templates both ask here."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from trove.discussions.models import Post
from trove.projects.models import Capability, Project, ProjectStatus
from trove.projects.service import can, can_see


class Viewer:
    """What one person may do in one project's thread (the single source of these rules)."""

    def __init__(self, user: Any, project: Project) -> None:
        self.user = user
        self.project = project
        self.team_ids = frozenset(m.user_id for m in project.members)
        self.signed_in = bool(getattr(user, "is_authenticated", False))
        self.user_id: int | None = user.id if self.signed_in else None
        self.is_admin = self.signed_in and user.is_admin
        self.is_team = can(user, project, Capability.VIEW)
        self.sees_thread = can_see(user, project)

    # --- reading -----------------------------------------------------------------------------

    def is_team_member(self, user_id: int) -> bool:
        """Return whether ``user_id`` is on the project team (for the "Team" badge)."""
        return user_id in self.team_ids

    def sees_body(self, post: Post) -> bool:
        """Return whether this person may read the post's text."""
        if post.is_deleted:
            return False
        if post.is_hidden:
            return self.is_admin or post.author_id == self.user_id
        return True

    # --- writing -------------------------------------------------------------------------------

    def _why_not_write(self) -> str | None:
        if not self.signed_in:
            return _("Sign in to take part in the questions.")
        if not self.sees_thread:
            return _("You cannot see this project.")
        if not self.project.is_public:
            return _("Questions open once the brief is published.")
        if self.project.status is ProjectStatus.CLOSED and not self.is_team:
            return _("This project is closed; its questions are read-only.")
        return None

    def why_not_ask(self) -> str | None:
        """Return why this person may not ask a question here, or None if they may."""
        if self.project.status is ProjectStatus.CLOSED:
            return _("This project is closed; its questions are read-only.")
        return self._why_not_write()

    @property
    def may_ask(self) -> bool:
        """Return whether this person may ask a new question."""
        return self.why_not_ask() is None

    def why_not_reply(self, question: Post) -> str | None:
        """Return why this person may not reply to ``question``, or None if they may."""
        if not question.is_question:
            return _("Replies go under the question, not under another reply.")
        if question.is_deleted or question.is_hidden:
            return _("This question can no longer be answered.")
        return self._why_not_write()

    def may_reply(self, question: Post) -> bool:
        """Return whether this person may reply to ``question``."""
        return self.why_not_reply(question) is None

    def why_not_edit(self, post: Post) -> str | None:
        """Return why this person may not edit ``post``, or None if they may."""
        if not self.signed_in or post.author_id != self.user_id:
            return _("Only the author can edit a post.")
        if post.is_deleted:
            return _("This post was deleted.")
        if post.is_hidden:
            return _("A moderator hid this post; it cannot be edited.")
        return self._why_not_write()

    def may_edit(self, post: Post) -> bool:
        """Return whether this person may edit ``post``."""
        return self.why_not_edit(post) is None

    def why_not_delete(self, post: Post) -> str | None:
        """Return why this person may not delete ``post``, or None if they may."""
        if not self.signed_in or (post.author_id != self.user_id and not self.is_admin):
            return _("Only the author or an admin can delete a post.")
        if post.is_deleted:
            return _("This post is already deleted.")
        return None

    def may_delete(self, post: Post) -> bool:
        """Return whether this person may delete ``post``."""
        return self.why_not_delete(post) is None

    def why_not_mark(self, post: Post) -> str | None:
        """Return why this person may not mark or pin ``post``, or None if they may."""
        if not self.is_team:
            return _("Only the project team can mark official answers.")
        if post.is_question:
            return _("Only a reply can be an official answer.")
        if post.is_deleted or post.is_hidden:
            return _("A deleted or hidden reply cannot be an official answer.")
        if not self.project.is_public:
            return _("Questions open once the brief is published.")
        return None

    def may_mark(self, post: Post) -> bool:
        """Return whether this person may mark ``post`` official or pin it."""
        return self.why_not_mark(post) is None

    def why_not_toggle(self, field: str) -> str | None:
        """Return why this person may not set or clear ``field`` (official, pinned or
        hidden) on any post of the project, or None; the services check the post itself."""
        if field == "hidden":
            return None if self.may_moderate else _("Only an admin can hide posts.")
        return None if self.is_team else _("Only the project team can mark official answers.")

    @property
    def may_moderate(self) -> bool:
        """Return whether this person may hide and unhide posts (instance admins)."""
        return self.is_admin


def viewer_for(user: Any, project: Project) -> Viewer:
    """Return what ``user`` may do in ``project``'s thread."""
    return Viewer(user, project)
