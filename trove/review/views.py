"""The review queue, inline decisions, bulk actions, zoom, appeals and the audit log."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from flask import Response, flash, g, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from trove.audit.models import AuditEvent
from trove.blur import Box, boxes_from_json
from trove.errors import DomainError
from trove.extensions import db
from trove.htmx import (
    apply_change,
    is_fragment_request,
    redirect_after_change,
    refuse_change,
    render,
)
from trove.ids import parse_id
from trove.money import format_money
from trove.projects.access import load_project
from trove.projects.models import Capability, Project
from trove.projects.service import can
from trove.review import bulk as bulk_actions
from trove.review import gold, second, service
from trove.review.blueprint import REVIEWED, bp, decision_loads, reviewable
from trove.review.queries import FILTERS, SORTS, QueueFilters, counters, neighbours, queue_page
from trove.review.rules import (
    can_appeal,
    can_approve,
    can_decide,
    can_decline,
    can_edit_blur,
    can_keep_declined,
    can_undo,
)
from trove.submissions.access import load_submission
from trove.submissions.models import Submission
from trove.submissions.reasons import review_reasons

# The cards ask which decisions to offer (never on the viewer's own photo).
for _rule in (
    can_decide,
    can_approve,
    can_decline,
    can_keep_declined,
    can_undo,
    can_appeal,
    can_edit_blur,
):
    bp.add_app_template_global(_rule)
bp.add_app_template_global(second.can_second)
bp.add_app_template_global(gold.can_mark_gold)


@bp.app_template_global()
def decline_reasons(submission: Submission) -> dict[str, str]:
    """Return the reasons a card offers, worked out once per brief version per request."""
    version = submission.brief_version
    known = g.setdefault("decline_reasons", {})
    key = version.id if version is not None else None
    if key not in known:
        known[key] = review_reasons(version)
    return known[key]


def _queue_context(project: Project, filters: QueueFilters) -> dict[str, object]:
    items, next_cursor = queue_page(project, filters)
    if filters.status == "pending":
        items = gold.mix_into(items, project, current_user)
    return {
        "project": project,
        "items": items,
        "next_cursor": next_cursor,
        "filters": filters,
        "filter_names": FILTERS,
        "sorts": SORTS,
        "counts": counters(project),
        "reasons": review_reasons(project.current_version),
        "can_manage": can(current_user, project, Capability.MANAGE),
    }


@bp.get("/projects/<int:project_id>/review")
@login_required
def queue(project_id: int) -> Response:
    """Show the review queue (a page of cards; later pages load as the reviewer scrolls)."""
    project = load_project(project_id, Capability.REVIEW)
    filters = QueueFilters.from_args(request.args)
    block = "page" if filters.cursor is not None else "grid"
    return render("review/queue.html", block=block, **_queue_context(project, filters))


@bp.get("/projects/<int:project_id>/review/counters")
@login_required
def queue_counters(project_id: int) -> Response:
    """Return the queue's counters (refreshed after every decision)."""
    project = load_project(project_id, Capability.REVIEW)
    context = (
        {"project": project, "counts": counters(project)}
        if is_fragment_request()
        else _queue_context(project, QueueFilters())
    )
    return render("review/queue.html", block="counters", **context)


def _decide(submission_id: int, action: Callable[[Submission], object], message: str) -> Response:
    """Apply one decision; answer with the card (htmx) or back to the queue."""
    submission = reviewable(submission_id)
    location = url_for(
        "review.queue", project_id=submission.project_id, status=request.args.get("status")
    )
    if request.form.get("ref"):  # a gold photo served in the queue: scored, nothing else
        return _answer_gold(submission, location, message)
    card = {"template": "review/_card.html", "submission": submission}
    return apply_change(
        lambda: action(submission),
        done=lambda _result: redirect_after_change(
            location,
            flash=message,
            trigger=REVIEWED,
            reasons=service.REVIEW_REASONS,
            template="review/_card.html",
            # The commit expired it: read it back whole, not attribute by attribute.
            submission=db.session.get(
                Submission, submission_id, options=decision_loads(), populate_existing=True
            ),
        ),
        on_error=lambda error: refuse_change(
            location, error, reasons=service.REVIEW_REASONS, error=error.message, **card
        ),
    )


def _answer_gold(submission: Submission, location: str, message: str) -> Response:
    """Score an answer on a gold photo; answer with its card looking decided, like any other."""
    try:
        served = gold.served_gold(request.form.get("ref", ""), submission)
    except DomainError as error:
        card = {"template": "review/_card.html", "submission": submission}
        return refuse_change(location, error, error=error.message, **card)
    decision = "approve" if request.endpoint == "review.approve" else "reject"
    card = {"template": "review/_gold_card.html"}
    return apply_change(
        lambda: gold.answer_gold(
            served, current_user, decision, request.form.get("code"), request.form.get("note")
        ),
        done=lambda answer: redirect_after_change(
            location, flash=message, trigger=REVIEWED, item=gold.served(served, answer), **card
        ),
        on_error=lambda error: refuse_change(
            location, error, item=gold.served(served), error=error.message, **card
        ),
    )


@bp.post("/submissions/<int:submission_id>/approve")
@login_required
def approve(submission_id: int) -> Response:
    """Approve a photo."""
    return _decide(
        submission_id, lambda s: service.approve_submission(s, current_user), _("Approved.")
    )


@bp.post("/submissions/<int:submission_id>/reject")
@login_required
def reject(submission_id: int) -> Response:
    """Decline a photo with a reason and an optional note."""
    return _decide(
        submission_id,
        lambda s: service.reject_submission(
            s, current_user, request.form.get("code", ""), request.form.get("note")
        ),
        _("Declined."),
    )


@bp.post("/submissions/<int:submission_id>/reset")
@login_required
def reset(submission_id: int) -> Response:
    """Undo a decision: back to pending review."""
    return _decide(
        submission_id, lambda s: service.reset_submission(s, current_user), _("Back to pending.")
    )


@bp.post("/submissions/<int:submission_id>/keep-declined")
@login_required
def keep_declined(submission_id: int) -> Response:
    """Answer an appeal by keeping the photo declined, with a reason."""
    return _decide(
        submission_id,
        lambda s: service.keep_declined(
            s, current_user, request.form.get("code", ""), request.form.get("note")
        ),
        _("Kept declined; the contributor is told why."),
    )


@bp.post("/submissions/<int:submission_id>/blur")
@login_required
def blur_boxes(submission_id: int) -> Response:
    """Replace, add or remove the blur boxes of a photo awaiting review."""
    submission = reviewable(submission_id)
    location = url_for("review.zoom", submission_id=submission.id)
    card = {"template": "review/_card.html", "submission": submission}
    try:
        boxes = _submitted_boxes(submission, request.form)
    except ValueError as error:
        return refuse_change(
            location, str(error), reasons=service.REVIEW_REASONS, error=str(error), **card
        )
    return apply_change(
        lambda: service.set_blur_boxes(submission, current_user, boxes),
        done=lambda _result: redirect_after_change(
            location,
            flash=_("Blur boxes saved; they are applied when the photo is decided."),
            reasons=service.REVIEW_REASONS,
            **card,
        ),
        on_error=lambda error: refuse_change(
            location, error, reasons=service.REVIEW_REASONS, error=error.message, **card
        ),
    )


def _submitted_boxes(submission: Submission, form: Mapping[str, str]) -> list[Box]:
    """Return the photo's boxes after the form's change: a whole list, a removal or an add.

    The script sends the whole list as JSON (``boxes``); without JavaScript a form removes
    one box by its number or adds one given in percent of the picture.
    """
    if "boxes" in form:
        try:
            data = json.loads(form["boxes"])
        except ValueError:
            raise ValueError(_("The boxes could not be read; reload the page.")) from None
        return boxes_from_json(data)
    boxes = boxes_from_json(submission.blur_boxes)
    if "remove" in form:
        index = parse_id(form["remove"])
        if index is None or not 1 <= index <= len(boxes):
            raise ValueError(_("That box is not on this photo any more; reload the page."))
        return boxes[: index - 1] + boxes[index:]
    try:
        x, y, w, h = (float(form.get(name, "")) / 100 for name in ("x", "y", "w", "h"))
    except ValueError:
        raise ValueError(_("Give the box's left, top, width and height in percent.")) from None
    return [*boxes, *boxes_from_json([{"x": x, "y": y, "w": w, "h": h, "source": "reviewer"}])]


@bp.post("/projects/<int:project_id>/review/bulk")
@login_required
def bulk(project_id: int) -> Response:
    """Approve or decline the selected photos together."""
    project = load_project(project_id, Capability.REVIEW)
    ids = [i for i in map(parse_id, request.form.getlist("ids")) if i is not None][:500]
    location = url_for("review.queue", project_id=project.id)
    if not ids:
        return redirect_after_change(
            location, flash=_("Select at least one photo."), category="error"
        )
    form = request.form
    return apply_change(
        lambda: bulk_actions.bulk_review(
            project, current_user, ids, form.get("action", ""), form.get("code"), form.get("note")
        ),
        done=lambda results: _bulk_done(project, results),
        on_error=location,
    )


def _bulk_done(project: Project, results: list[bulk_actions.BulkResult]) -> Response:
    done = sum(1 for r in results if r.ok)
    for result in results:
        if not result.ok:
            flash(
                _("Photo %(id)s: %(message)s", id=result.submission_id, message=result.message),
                "error",
            )
    return redirect_after_change(
        url_for("review.queue", project_id=project.id, status=request.form.get("status")),
        # English says "photos" after any total ("0 of 1 photos done."); other languages agree
        # the noun with the total.
        flash=ngettext(
            "%(done)s of %(num)d photos done.",
            "%(done)s of %(num)d photos done.",
            len(results),
            done=done,
        ),
        category="success" if done == len(results) else "info",
        trigger=REVIEWED,
    )


@bp.post("/projects/<int:project_id>/review/decline-remaining")
@login_required
def decline_remaining(project_id: int) -> Response:
    """Decline every pending photo with the polite "target reached" reason."""
    project = load_project(project_id, Capability.REVIEW)
    location = url_for("review.queue", project_id=project.id)
    return apply_change(
        lambda: bulk_actions.decline_remaining(project, current_user),
        done=lambda count: redirect_after_change(
            location,
            flash=ngettext(
                "%(num)d pending photo declined with thanks.",
                "%(num)d pending photos declined with thanks.",
                count,
            ),
        ),
        on_error=location,
    )


@bp.get("/submissions/<int:submission_id>/zoom")
@login_required
def zoom(submission_id: int) -> Response:
    """Show the large derivative with previous/next in the queue."""
    submission = reviewable(submission_id)
    filters = QueueFilters.from_args(request.args)
    previous_id, next_id = neighbours(submission, filters)
    return render(
        "review/zoom.html",
        submission=submission,
        item=gold.served_in_zoom(request.args.get("ref"), submission, current_user),
        filters=filters,
        previous_id=previous_id,
        next_id=next_id,
        reasons=service.REVIEW_REASONS,
    )


@bp.post("/submissions/<int:submission_id>/appeal")
@login_required
def appeal(submission_id: int) -> Response:
    """Appeal a declined photo, once."""
    submission = load_submission(submission_id)
    location = url_for("submissions.mine", _anchor=submission.dom_id)
    card = {"template": "submissions/_card.html", "submission": submission}
    return apply_change(
        lambda: service.appeal_rejection(submission, current_user, request.form.get("message", "")),
        done=lambda _result: redirect_after_change(
            location,
            flash=_("Your appeal is sent. A reviewer will look at the photo again."),
            **card,
        ),
        on_error=lambda error: refuse_change(location, error, appeal_error=error.message, **card),
    )


@bp.get("/projects/<int:project_id>/audit")
@login_required
def audit(project_id: int) -> Response:
    """Browse the project's audit log (owners and admins)."""
    project = load_project(project_id, Capability.MANAGE)
    action = request.args.get("action", "")
    before = parse_id(request.args.get("before"))
    query = select(AuditEvent).where(AuditEvent.project_id == project.id)
    if action:
        query = query.where(AuditEvent.action.startswith(action[:40]))
    if before is not None:
        query = query.where(AuditEvent.id < before)
    events = list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(50)))
    return render(
        "review/audit.html",
        project=project,
        events=events,
        action=action,
        next_before=events[-1].id if len(events) == 50 else None,
    )


@bp.app_template_filter("pay_for")
def pay_for(submission: Submission) -> str:
    """Return what an approval of ``submission`` pays, formatted."""
    version = submission.brief_version
    return format_money(version.pay_minor, version.currency)


# The owner's pages for second opinions, gold photos and insight share this blueprint.
from trove.review import quality_views  # noqa: E402, F401
