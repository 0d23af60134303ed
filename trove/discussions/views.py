"""The Q&A thread of a project: read, ask, reply, edit, delete, mark, pin and hide.

Without JavaScript every change is a form POST answered by a 303 back to the thread at
``#post-<id>``. With htmx the changed fragment comes back instead: a new question is
prepended to ``#question-list`` and a reply appended under its question (out-of-band,
while the form that sent it is swapped for an empty one); a changed post is re-rendered
in place. Invalid input answers 422 with the same form and its message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from flask import Blueprint, Response, abort, current_app, request, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from trove.discussions import service
from trove.discussions.forms import PostForm, post_form
from trove.discussions.models import BODY_MAX, Post
from trove.discussions.rules import viewer_for
from trove.errors import DomainError, handle_http_exception
from trove.extensions import db, limiter
from trove.htmx import apply_change, redirect_after_change, render
from trove.ids import parse_page
from trove.projects.access import load_project
from trove.projects.models import Project

bp = Blueprint("discussions", __name__)

DEFAULT_POST_LIMIT = "10 per minute;100 per day"

#: The largest form body a post can need (5,000 four-byte characters, percent-encoded, and
#: the CSRF token). Werkzeug reads URL-encoded bodies whole, so the cap must come first.
MAX_FORM_BYTES = 128 * 1024


# The brief page includes discussions/_faq.html, which asks for the pinned answers.
bp.add_app_template_global(service.pinned_faq, "pinned_faq")


@bp.url_value_preprocessor
def _cap_body(endpoint: str | None, values: dict[str, Any] | None) -> None:
    # Runs before the app's before_request hooks, where CSRF protection reads the form.
    if request.method == "POST":
        request.max_content_length = MAX_FORM_BYTES


def _poster() -> str:
    """Key posting limits by account, so one person cannot flood from many addresses."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def _post_limit():  # type: ignore[no-untyped-def]
    # One bucket for asking, replying and editing (RATELIMIT_POST, Flask-Limiter syntax).
    return limiter.shared_limit(
        lambda: current_app.config.get("RATELIMIT_POST", DEFAULT_POST_LIMIT),
        scope="discussions-post",
        key_func=_poster,
        methods=["POST"],
    )


# --- helpers ---------------------------------------------------------------------------------


def _load_post(post_id: int) -> Post:
    """Return the post if the current user may see its project (else 404)."""
    post = db.session.get(Post, post_id)
    if post is None:
        abort(404)
    load_project(post.project_id)
    return post


def _context(project: Project, **extra: Any) -> dict[str, Any]:
    """Return what every thread template needs."""
    reply_forms: dict[int, PostForm] = extra.pop("reply_forms", {})

    def reply_form_for(question: Post) -> PostForm:
        return reply_forms.get(question.id) or post_form(
            "reply", f"reply-{question.id}-body", fresh=True
        )

    return {
        "project": project,
        "viewer": viewer_for(current_user, project),
        "reply_form_for": reply_form_for,
        "open_reply": None,
        "editing": None,
        "edit_form": None,
        "new_question": None,
        "new_reply": None,
        **extra,
    }


def _thread_context(project: Project, page: int, **extra: Any) -> dict[str, Any]:
    extra.setdefault("question_form", post_form("question", "question-body", fresh=True))
    return _context(project, page=service.thread_page(project, page), **extra)


def _thread_url(post: Post) -> str:
    """Return the thread page that lists ``post`` now, at the post."""
    question = post.parent or post
    page = service.page_of(question)
    return url_for(
        "discussions.thread",
        project_id=post.project_id,
        page=page if page > 1 else None,
        _anchor=post.anchor,
    )


def _partial_for(post: Post) -> str:
    return "discussions/_question.html" if post.is_question else "discussions/_reply.html"


def _post_response(post: Post, *, status: int = 200, **extra: Any) -> Response:
    """Render ``post`` alone for htmx, or its question's page."""
    return render(
        "discussions/post.html",
        partial=_partial_for(post),
        status=status,
        question=post.parent or post,
        reply=post,
        **_context(post.project, **extra),
    )


def _changed(post: Post, message: str) -> Response:
    """Answer a successful change to ``post``."""
    return redirect_after_change(
        _thread_url(post),
        flash=message,
        template=_partial_for(post),
        **_context(post.project, question=post, reply=post),
    )


def _refuse(error: DomainError) -> NoReturn:
    abort(error.status, error.message)


def _refused_on(
    form: PostForm, invalid: Callable[[], Response]
) -> Callable[[DomainError], Response]:
    """Answer a refusal about the text inline in ``form``; any other refusal as an error."""

    def answer(error: DomainError) -> Response:
        if error.field is None:
            _refuse(error)
        form.body.errors.append(error.message)
        return invalid()

    return answer


def _flag(name: str) -> bool:
    """Read the wanted state of a toggle (``1`` or ``0``) from the form."""
    value = request.form.get(name)
    if value not in ("0", "1"):
        abort(400, _("Say whether the post should be %(name)s (1) or not (0).", name=name))
    return value == "1"


# --- reading ---------------------------------------------------------------------------------


@bp.get("/projects/<int:project_id>/questions")
def thread(project_id: int) -> Response:
    """Show a project's questions, latest activity first, each with its replies."""
    project = load_project(project_id)
    page = parse_page(request.args.get("page"))
    return render("discussions/thread.html", block="thread", **_thread_context(project, page))


@bp.get("/posts/<int:post_id>")
def post(post_id: int) -> Response:
    """Show one question with its replies (a stable link for notifications)."""
    return _post_response(_load_post(post_id))


# --- asking and replying ---------------------------------------------------------------------


@bp.post("/projects/<int:project_id>/questions")
@_post_limit()
@login_required
def ask(project_id: int) -> Response:
    """Ask a question on a project."""
    project = load_project(project_id)
    form = post_form("question", "question-body")
    if not form.validate_on_submit():
        return _invalid_question(project, form)
    return apply_change(
        lambda: service.ask_question(project, current_user, form.body.data),
        done=lambda question: redirect_after_change(
            _thread_url(question),
            flash=_("Your question is posted. You will be notified of replies."),
            template="discussions/_question_form.html",
            **_context(
                project,
                question_form=post_form("question", "question-body", fresh=True),
                new_question=question,
            ),
        ),
        on_error=_refused_on(form, lambda: _invalid_question(project, form)),
    )


def _invalid_question(project: Project, form: PostForm) -> Response:
    return render(
        "discussions/thread.html",
        partial="discussions/_question_form.html",
        status=422,
        **_thread_context(project, 1, question_form=form),
    )


@bp.post("/posts/<int:post_id>/replies")
@_post_limit()
@login_required
def reply(post_id: int) -> Response:
    """Reply to a question."""
    question = _load_post(post_id)
    form = post_form("reply", f"reply-{question.id}-body")
    if not form.validate_on_submit():
        return _invalid_reply(question, form)
    return apply_change(
        lambda: service.reply_to_question(question, current_user, form.body.data),
        done=lambda answer: redirect_after_change(
            _thread_url(answer),
            flash=_("Your reply is posted."),
            template="discussions/_reply_form.html",
            **_context(
                question.project,
                question=question,
                reply_form=post_form("reply", f"reply-{question.id}-body", fresh=True),
                new_reply=answer,
            ),
        ),
        on_error=_refused_on(form, lambda: _invalid_reply(question, form)),
    )


def _invalid_reply(question: Post, form: PostForm) -> Response:
    return render(
        "discussions/post.html",
        partial="discussions/_reply_form.html",
        status=422,
        question=question,
        **_context(
            question.project,
            reply_form=form,
            reply_forms={question.id: form},
            open_reply=question.id,
        ),
    )


# --- editing and deleting --------------------------------------------------------------------


@bp.get("/posts/<int:post_id>/edit")
@login_required
def edit_form(post_id: int) -> Response:
    """Show the post with an inline form to edit it."""
    post = _load_post(post_id)
    viewer = viewer_for(current_user, post.project)
    reason = viewer.why_not_edit(post)
    if reason is not None:
        abort(403 if post.author_id != current_user.id else 409, reason)
    form = post_form("edit", f"post-{post.id}-edit", data={"body": post.body})
    return _post_response(post, editing=post.id, edit_form=form)


@bp.post("/posts/<int:post_id>/edit")
@_post_limit()
@login_required
def edit(post_id: int) -> Response:
    """Save the new text of one's own post."""
    post = _load_post(post_id)
    if post.author_id != current_user.id:  # access first, before reading the input
        abort(403, _("Only the author can edit a post."))
    form = post_form("edit", f"post-{post.id}-edit")

    def invalid() -> Response:
        return _post_response(post, status=422, editing=post.id, edit_form=form)

    if not form.validate_on_submit():
        return invalid()
    return apply_change(
        lambda: service.edit_post(post, current_user, form.body.data),
        done=lambda _result: _changed(post, _("Your post is updated.")),
        on_error=_refused_on(form, invalid),
    )


@bp.post("/posts/<int:post_id>/delete")
@login_required
def delete(post_id: int) -> Response:
    """Delete a post (its author or an admin); replies to it stay."""
    post = _load_post(post_id)
    return apply_change(
        lambda: service.delete_post(post, current_user),
        done=lambda _result: _changed(post, _("The post is deleted.")),
        on_error=_refuse,
    )


# --- the team and moderators -----------------------------------------------------------------


#: The toggles of the team and the moderators, by form field: the service call that sets
#: it, the one that clears it, and what each says when done. The services say who may.
_TOGGLES = {
    "official": (
        service.mark_official,
        service.unmark_official,
        _l("Marked as the official answer."),
        _l("No longer the official answer."),
    ),
    "pinned": (
        service.pin_answer,
        service.unpin_answer,
        _l("Pinned to the brief's FAQ."),
        _l("Taken out of the brief's FAQ."),
    ),
    "hidden": (
        service.hide_post,
        service.unhide_post,
        _l("The post is hidden."),
        _l("The post is visible again."),
    ),
}


def _toggle(post_id: int, field: str) -> Response:
    """Set (``field=1``) or clear (``0``) one of a post's toggles."""
    post = _load_post(post_id)
    refusal = viewer_for(current_user, post.project).why_not_toggle(field)
    if refusal is not None:  # before reading the form: outsiders learn nothing from it
        abort(403, refusal)
    wanted = _flag(field)
    set_it, clear_it, said_set, said_cleared = _TOGGLES[field]
    action = set_it if wanted else clear_it
    return apply_change(
        lambda: action(post, current_user),
        done=lambda _result: _changed(post, str(said_set if wanted else said_cleared)),
        on_error=_refuse,
    )


@bp.post("/posts/<int:post_id>/official")
@login_required
def official(post_id: int) -> Response:
    """Mark a reply as the official answer (``official=1``) or take the mark back (``0``)."""
    return _toggle(post_id, "official")


@bp.post("/posts/<int:post_id>/pin")
@login_required
def pin(post_id: int) -> Response:
    """Pin a reply into the brief's FAQ (``pinned=1``) or take it out (``0``)."""
    return _toggle(post_id, "pinned")


@bp.post("/posts/<int:post_id>/hide")
@login_required
def hide(post_id: int) -> Response:
    """Hide an abusive post (``hidden=1``) or show it again (``0``); admins only."""
    return _toggle(post_id, "hidden")


# --- bodies too large to read ----------------------------------------------------------------


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> Response:
    """Answer an oversized post with the form and a clear message instead of a bare 413.

    A body past :data:`MAX_FORM_BYTES` is refused unread (before CSRF or the view run);
    the text is gone, so the form comes back empty with the limit explained.
    """
    try:
        response = _too_large_form()
    except HTTPException as other:  # invisible or forbidden: answer that instead
        return handle_http_exception(other)  # type: ignore[return-value]
    return response or handle_http_exception(error)  # type: ignore[return-value]


def _too_large_form() -> Response | None:
    if not current_user.is_authenticated or request.view_args is None:
        return None
    message = _(
        "That is far too long. Keep a post to %(max)s characters or fewer.",
        max=format_number(BODY_MAX),
    )
    args = request.view_args
    if request.endpoint == "discussions.ask":
        project = load_project(args["project_id"])
        form = post_form("question", "question-body", fresh=True)
        form.body.errors = [message]
        return _invalid_question(project, form)
    if request.endpoint == "discussions.reply":
        question = _load_post(args["post_id"])
        form = post_form("reply", f"reply-{question.id}-body", fresh=True)
        form.body.errors = [message]
        return _invalid_reply(question, form)
    if request.endpoint == "discussions.edit":
        post = _load_post(args["post_id"])
        form = post_form("edit", f"post-{post.id}-edit", fresh=True, data={"body": post.body})
        form.body.errors = [message]
        return _post_response(post, status=422, editing=post.id, edit_form=form)
    return None
