"""The owner's review-quality pages: second opinions, disagreements, gold photos, insight."""

from __future__ import annotations

from flask import Response, abort, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from trove.errors import DomainError
from trove.extensions import db
from trove.htmx import apply_change, redirect_after_change, refuse_change, render
from trove.ids import parse_id
from trove.projects.access import load_project
from trove.projects.models import Capability, Project
from trove.projects.service import can
from trove.review import disputes, gold, second, stats
from trove.review.blueprint import REVIEWED, bp, reviewable
from trove.review.models import GoldPhoto, SecondOpinion
from trove.submissions.reasons import review_reasons

bp.add_app_template_global(stats.brief_numbers)


@bp.post("/submissions/<int:submission_id>/second-opinion")
@login_required
def second_opinion(submission_id: int) -> Response:
    """Confirm or dispute an approval sampled for a second opinion."""
    submission = reviewable(submission_id)
    location = url_for("review.queue", project_id=submission.project_id, status="second")
    agree = request.form.get("decision") == "agree"
    card = {"template": "review/_card.html", "submission": submission}
    return apply_change(
        lambda: second.give_second_opinion(
            submission, current_user, agree, request.form.get("code"), request.form.get("note")
        ),
        done=lambda _result: redirect_after_change(
            location,
            flash=_("Approval confirmed.") if agree else _("Sent to the owner to decide."),
            trigger=REVIEWED,
            **card,
        ),
        on_error=lambda error: refuse_change(location, error, error=error.message, **card),
    )


def _disagreements_context(project: Project) -> dict[str, object]:
    return {"project": project, "checks": disputes.disputes(project)}


@bp.get("/projects/<int:project_id>/review/disagreements")
@login_required
def disagreements(project_id: int) -> Response:
    """List the approvals two reviewers disagree on, for the owner to settle."""
    project = load_project(project_id, Capability.MANAGE)
    return render("review/disagreements.html", **_disagreements_context(project))


@bp.post("/second-opinions/<int:check_id>/resolve")
@login_required
def resolve(check_id: int) -> Response:
    """Settle a disagreement: approve (the earning becomes payable) or decline."""
    check = db.session.get(SecondOpinion, check_id)
    if check is None:
        abort(404)
    project = load_project(check.project_id, Capability.MANAGE)
    approve = request.form.get("decision") == "approve"
    location = url_for("review.disagreements", project_id=project.id)
    return apply_change(
        lambda: disputes.resolve_dispute(
            check, current_user, approve, request.form.get("code"), request.form.get("note")
        ),
        done=lambda _result: redirect_after_change(
            location,
            flash=_("Approved: the earning is payable.") if approve else _("Declined."),
            template="review/disagreements.html",
            block="list",
            **_disagreements_context(project),
        ),
        on_error=lambda error: refuse_change(
            location,
            error,
            template="review/disagreements.html",
            block="list",
            error=error.message,
            error_check=check.id,
            **_disagreements_context(project),
        ),
    )


def _insight_context(project: Project, **extra: object) -> dict[str, object]:
    return {
        "project": project,
        "reviewers": stats.reviewer_insight(project),
        "golds": gold.active_gold(project),
        "numbers": stats.brief_numbers(project),
        "minimum": stats.PUBLIC_MINIMUM,
        **extra,
    }


@bp.get("/projects/<int:project_id>/review/insight")
@login_required
def insight(project_id: int) -> Response:
    """Show each reviewer's numbers, the gold photos and the review checks' settings."""
    project = load_project(project_id, Capability.MANAGE)
    return render("review/insight.html", **_insight_context(project))


@bp.post("/projects/<int:project_id>/review/checks")
@login_required
def checks(project_id: int) -> Response:
    """Set the share of approvals that get a second opinion and the share of gold photos."""
    project = load_project(project_id, Capability.MANAGE)
    location = url_for("review.insight", project_id=project.id)
    values = {
        k: request.form.get(k, "").strip() for k in ("second_opinion_percent", "gold_percent")
    }
    numbers = {k: parse_id(v) if v != "0" else 0 for k, v in values.items()}
    missing = next((k for k, v in numbers.items() if v is None), None)
    if missing is not None:
        return _refused_checks(
            project, DomainError(_("Give a whole number."), field=missing, status=422), values
        )
    return apply_change(
        lambda: second.settle_share(
            project,
            current_user,
            numbers["second_opinion_percent"] or 0,
            numbers["gold_percent"] or 0,
        ),
        done=lambda _result: redirect_after_change(
            location,
            flash=_("Review checks saved."),
            template="review/insight.html",
            block="settings",
            saved=True,
            **_insight_context(project),
        ),
        on_error=lambda error: _refused_checks(project, error, values),
    )


def _refused_checks(project: Project, error: DomainError, values: dict[str, str]) -> Response:
    """Answer the review-checks form with the refusal beside its field."""
    return refuse_change(
        url_for("review.insight", project_id=project.id),
        error,
        template="review/insight.html",
        block="settings",
        errors={error.field: error.message},
        values=values,
        **_insight_context(project),
    )


@bp.post("/submissions/<int:submission_id>/gold")
@login_required
def mark_gold(submission_id: int) -> Response:
    """Make a decided photo a gold photo, its decision the expected answer."""
    submission = reviewable(submission_id)
    location = url_for(
        "review.queue", project_id=submission.project_id, status=request.args.get("status")
    )
    card = {
        "template": "review/_card.html",
        "submission": submission,
        "reasons": review_reasons(submission.brief_version),
    }
    return apply_change(
        lambda: gold.mark_gold(submission, current_user),
        done=lambda _result: redirect_after_change(
            location, flash=_("It is a gold photo now."), **card
        ),
        on_error=lambda error: refuse_change(location, error, error=error.message, **card),
    )


@bp.post("/gold/<int:gold_id>/stop")
@login_required
def stop_gold(gold_id: int) -> Response:
    """Stop showing a gold photo to reviewers."""
    item = db.session.get(GoldPhoto, gold_id)
    if item is None or not can(current_user, item.submission.project, Capability.VIEW):
        abort(404)
    project = load_project(item.project_id, Capability.MANAGE)
    return apply_change(
        lambda: gold.unmark_gold(item, current_user),
        done=lambda _result: redirect_after_change(
            url_for("review.insight", project_id=project.id), flash=_("No longer a gold photo.")
        ),
        on_error=url_for("review.insight", project_id=project.id),
    )


@bp.app_template_filter("hours")
def hours(value: float) -> str:
    """Return a duration in hours as people say it (minutes, hours or days)."""
    if value < 1:
        return _("%(num)s min", num=max(round(value * 60), 1))
    if value < 48:
        return _("%(num)s h", num=round(value))
    return ngettext("%(num)d day", "%(num)d days", round(value / 24))
