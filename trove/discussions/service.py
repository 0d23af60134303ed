"""Q&A changes: ask, reply, edit, delete, mark official, pin and hide; and the reading queries.

Functions flush but never commit; the view that calls one commits.

Decisions:
- A thread exists once the brief is public. While a project is published or paused any
  signed-in user who can see it may ask and reply. A closed project's thread is read-only
  for everyone but its team, who may still reply, mark and pin (so the FAQ can be
  finished); nobody asks new questions there. A draft or submitted project has no public
  thread (its team sees it empty).
- "The team" is anyone holding ``Capability.VIEW`` on the project (every team role, and
  instance admins). Any of them may mark a reply as the official answer and pin it into
  the brief's FAQ: answering contributors is part of every role on the team.
- Only replies can be official or pinned; pinning marks the reply official, unmarking
  unpins it. Editing an official reply by someone outside the team clears both, so the
  FAQ never shows text the team has not endorsed.
- Deleting is soft: the row stays (with its text, for moderation), the post shows as
  deleted, and its replies stay. Only instance admins hide and unhide; a hidden post is
  shown to admins and its author only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from trove.accounts.models import User
from trove.audit.service import record_event
from trove.discussions.forms import clean_text, too_long
from trove.discussions.models import BODY_MAX, Post
from trove.discussions.rules import viewer_for
from trove.errors import DomainError
from trove.extensions import db
from trove.notifications.service import notify
from trove.projects.models import Capability, Project, ProjectMember, TeamRole
from trove.projects.service import team_holding
from trove.timeutil import utcnow

QUESTIONS_PER_PAGE = 20
EXCERPT_CHARS = 140


def _check(reason: str | None, *, status: int = 409) -> None:
    if reason is not None:
        raise DomainError(reason, status=status)


def _forbidden(reason: str | None) -> None:
    _check(reason, status=403)


def _clean_body(body: str) -> str:
    body = clean_text(body)
    if not body:
        raise DomainError(_("Write something first."), field="body", status=422)
    if len(body) > BODY_MAX:
        raise DomainError(
            too_long(len(body)),
            field="body",
            status=422,
        )
    return body


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Return the first ``limit`` characters of ``text`` on one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def post_path(post: Post) -> str:
    """Return the stable link to ``post``: its question's page, at the post."""
    question_id = post.parent_id or post.id
    return url_for("discussions.post", post_id=question_id, _anchor=post.anchor)


# --- writing -----------------------------------------------------------------------------------


def ask_question(project: Project, user: User, body: str) -> Post:
    """Post a new question on ``project``."""
    viewer = viewer_for(user, project)
    _check(viewer.why_not_ask())
    now = utcnow()
    question = Post(
        project_id=project.id,
        author_id=user.id,
        body=_clean_body(body),
        created_at=now,
        activity_at=now,
    )
    db.session.add(question)
    db.session.flush()
    _tell_team_about(question, user)
    return question


def _tell_team_about(question: Post, asker: User) -> None:
    """Notify the owners and reviewers of a new question (owners by e-mail as well)."""
    project = question.project
    for member in team_holding(project, Capability.REVIEW):  # owners and reviewers
        if member.user_id == asker.id:
            continue
        notify(
            member.user,
            "discussion.question",
            _l(
                "%(name)s asked a question on “%(project)s”: “%(excerpt)s”",
                name=asker.display_name,
                project=project.title,
                excerpt=excerpt(question.body),
            ),
            post_path(question),
            email_subject=(
                _l("New question on %(project)s", project=project.title)
                if member.role is TeamRole.OWNER
                else None
            ),
        )


def reply_to_question(question: Post, user: User, body: str) -> Post:
    """Reply to ``question``; its asker is notified (unless they wrote the reply)."""
    project = question.project
    viewer = viewer_for(user, project)
    _check(viewer.why_not_reply(question))
    now = utcnow()
    reply = Post(
        project_id=project.id,
        author_id=user.id,
        parent_id=question.id,
        body=_clean_body(body),
        created_at=now,
        activity_at=now,
    )
    db.session.add(reply)
    question.activity_at = now
    db.session.flush()
    if question.author_id != user.id:
        notify(
            question.author,
            "discussion.reply",
            _l(
                "%(name)s replied to your question on “%(project)s”: “%(excerpt)s”",
                name=user.display_name,
                project=project.title,
                excerpt=excerpt(reply.body),
            ),
            post_path(reply),
            email_subject=_l("New reply to your question on %(project)s", project=project.title),
        )
    return reply


def edit_post(post: Post, user: User, body: str) -> None:
    """Change the text of ``user``'s own post."""
    viewer = viewer_for(user, post.project)
    reason = viewer.why_not_edit(post)
    _check(reason, status=403 if post.author_id != viewer.user_id else 409)
    new_body = _clean_body(body)
    if new_body == post.body:
        return
    post.body = new_body
    post.edited_at = utcnow()
    if post.is_official and not viewer.is_team:
        # The team endorsed the old words, not these.
        post.is_official = False
        post.pinned_at = None
    db.session.flush()


def delete_post(post: Post, user: User) -> None:
    """Delete a post (its author, or an admin); replies to it stay."""
    viewer = viewer_for(user, post.project)
    reason = viewer.why_not_delete(post)
    _check(reason, status=409 if post.is_deleted else 403)
    post.deleted_at = utcnow()
    post.is_official = False
    post.pinned_at = None
    if post.author_id != user.id:
        record_event(user, "post.deleted", post, project_id=post.project_id)
    db.session.flush()


def mark_official(post: Post, user: User) -> None:
    """Mark a reply as the official answer; its asker is notified."""
    viewer = viewer_for(user, post.project)
    reason = viewer.why_not_mark(post)
    _check(reason, status=403 if not viewer.is_team else 409)
    if post.is_official:
        return
    post.is_official = True
    db.session.flush()
    question = post.parent
    assert question is not None  # a reply, checked above
    if question.author_id != user.id:
        notify(
            question.author,
            "discussion.official_answer",
            _l(
                "Your question on “%(project)s” has an official answer from the team.",
                project=post.project.title,
            ),
            post_path(post),
            email_subject=_l(
                "Your question on %(project)s has an official answer",
                project=post.project.title,
            ),
        )


def unmark_official(post: Post, user: User) -> None:
    """Take back the official mark (and the pin) of a reply."""
    viewer = viewer_for(user, post.project)
    _forbidden(None if viewer.is_team else _("Only the project team can mark official answers."))
    if not post.is_official:
        return
    if post.pinned_at is not None:
        unpin_answer(post, user)
    post.is_official = False
    db.session.flush()


def pin_answer(post: Post, user: User) -> None:
    """Pin a reply into the brief's FAQ with its question (marking it official)."""
    viewer = viewer_for(user, post.project)
    reason = viewer.why_not_mark(post)
    _check(reason, status=403 if not viewer.is_team else 409)
    if post.pinned_at is not None:
        return
    mark_official(post, user)
    post.pinned_at = utcnow()
    record_event(user, "post.pinned", post, project_id=post.project_id)


def unpin_answer(post: Post, user: User) -> None:
    """Take a reply out of the brief's FAQ (it stays official)."""
    viewer = viewer_for(user, post.project)
    _forbidden(None if viewer.is_team else _("Only the project team can change the FAQ."))
    if post.pinned_at is None:
        return
    post.pinned_at = None
    record_event(user, "post.unpinned", post, project_id=post.project_id)


def hide_post(post: Post, admin: User) -> None:
    """Hide an abusive post from everyone but admins and its author."""
    _forbidden(None if admin.is_admin else _("Only an admin can hide posts."))
    if post.is_deleted:
        raise DomainError(_("This post is already deleted."))
    if post.hidden_at is not None:
        return
    post.hidden_at = utcnow()
    post.hidden_by_id = admin.id
    record_event(admin, "post.hidden", post, project_id=post.project_id)


def unhide_post(post: Post, admin: User) -> None:
    """Show a hidden post again."""
    _forbidden(None if admin.is_admin else _("Only an admin can unhide posts."))
    if post.hidden_at is None:
        return
    post.hidden_at = None
    post.hidden_by_id = None
    record_event(admin, "post.unhidden", post, project_id=post.project_id)


# --- reading -----------------------------------------------------------------------------------


def _listed_questions(project_id: int) -> Any:
    reply = aliased(Post)
    live_reply = exists().where(reply.parent_id == Post.id, reply.deleted_at.is_(None))
    # A deleted question stays only as a placeholder above replies that remain.
    return and_(
        Post.project_id == project_id,
        Post.parent_id.is_(None),
        or_(Post.deleted_at.is_(None), live_reply),
    )


def thread_page(project: Project, page: int) -> Pagination:
    """Return one page of ``project``'s questions, latest activity first, with replies."""
    return db.paginate(
        select(Post)
        .where(_listed_questions(project.id))
        .order_by(Post.activity_at.desc(), Post.id.desc())
        .options(
            selectinload(Post.author),
            selectinload(Post.replies).selectinload(Post.author),
        ),
        page=max(page, 1),
        per_page=QUESTIONS_PER_PAGE,
        error_out=False,
    )


def page_of(question: Post) -> int:
    """Return the thread page that lists ``question`` now."""
    before = db.session.scalar(
        select(func.count())
        .select_from(Post)
        .where(
            _listed_questions(question.project_id),
            or_(
                Post.activity_at > question.activity_at,
                and_(Post.activity_at == question.activity_at, Post.id > question.id),
            ),
        )
    )
    return (before or 0) // QUESTIONS_PER_PAGE + 1


def unanswered_counts(project_ids: list[int]) -> dict[int, int]:
    """Return how many shown questions no team member has answered, per project (one query).

    A question counts until a reply that is neither deleted nor hidden comes from someone
    on the project's team.
    """
    if not project_ids:
        return {}
    reply = aliased(Post)
    team_reply = exists().where(
        reply.parent_id == Post.id,
        reply.deleted_at.is_(None),
        reply.hidden_at.is_(None),
        reply.author_id.in_(
            select(ProjectMember.user_id).where(ProjectMember.project_id == Post.project_id)
        ),
    )
    rows = db.session.execute(
        select(Post.project_id, func.count())
        .where(
            Post.project_id.in_(project_ids),
            Post.parent_id.is_(None),
            Post.deleted_at.is_(None),
            Post.hidden_at.is_(None),
            ~team_reply,
        )
        .group_by(Post.project_id)
    )
    return {project_id: n for project_id, n in rows}


@dataclass(frozen=True)
class FaqEntry:
    """A pinned question with its pinned answers."""

    question: Post
    answers: list[Post]


def pinned_faq(project: Project) -> list[FaqEntry]:
    """Return the pinned answers of ``project`` grouped under their questions."""
    question = aliased(Post)
    rows = db.session.execute(
        select(Post, question)
        .join(question, Post.parent_id == question.id)
        .where(
            Post.project_id == project.id,
            Post.pinned_at.is_not(None),
            Post.deleted_at.is_(None),
            Post.hidden_at.is_(None),
            question.deleted_at.is_(None),
            question.hidden_at.is_(None),
        )
        .order_by(Post.pinned_at, Post.id)
        .options(selectinload(Post.author))
    ).all()
    entries: dict[int, FaqEntry] = {}
    for answer, asked in rows:
        entries.setdefault(asked.id, FaqEntry(asked, [])).answers.append(answer)
    return list(entries.values())
