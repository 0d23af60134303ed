"""Lab-side pages: your projects, submitting, vetting and the project's status."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, abort, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from trove.accounts.models import Role
from trove.htmx import apply_change, redirect_after_change, refuse_change, render
from trove.projects import service
from trove.projects.access import load_project
from trove.projects.forms import CloseForm, SendBackForm
from trove.projects.models import CLOSED_BY_LAB, Capability, Project
from trove.projects.queries import awaiting_vetting, projects_for_member
from trove.projects.views import bp
from trove.security import role_required


@bp.get("/lab")
@login_required
def lab() -> Response:
    """List the projects the lab member works on."""
    if not current_user.is_lab_member:
        abort(403)
    # The dashboard shows counters of features built on projects, hence the late imports.
    from trove.discussions.service import unanswered_counts
    from trove.review.queries import awaiting_review_counts

    projects = projects_for_member(current_user)
    ids = [project.id for project in projects]
    return render(
        "projects/lab.html",
        projects=projects,
        awaiting_review=awaiting_review_counts(ids),
        unanswered=unanswered_counts(ids),
        reviewable={p.id for p in projects if service.can(current_user, p, Capability.REVIEW)},
        vetting=awaiting_vetting() if current_user.is_admin else [],
    )


def _change(project: Project, action: Callable[[], object], done: str) -> Response:
    location = url_for("projects.brief", project_id=project.id)
    return apply_change(
        action, done=lambda _result: redirect_after_change(location, flash=done), on_error=location
    )


@bp.post("/projects/<int:project_id>/submit")
@login_required
def submit(project_id: int) -> Response:
    """Send the brief to the admins for vetting."""
    project = load_project(project_id, Capability.MANAGE)
    return _change(
        project,
        lambda: service.submit_project(project, current_user),
        _("Submitted. An admin will vet the brief before it is published."),
    )


@bp.post("/projects/<int:project_id>/withdraw-submission")
@login_required
def withdraw(project_id: int) -> Response:
    """Take the brief back from vetting to edit it."""
    project = load_project(project_id, Capability.MANAGE)
    return _change(
        project,
        lambda: service.withdraw_submission(project, current_user),
        _("The brief is a draft again."),
    )


@bp.post("/projects/<int:project_id>/pause")
@login_required
def pause(project_id: int) -> Response:
    """Stop new uploads for a while."""
    project = load_project(project_id, Capability.MANAGE)
    return _change(
        project, lambda: service.pause_project(project, current_user), _("Paused: no new uploads.")
    )


@bp.post("/projects/<int:project_id>/resume")
@login_required
def resume(project_id: int) -> Response:
    """Open a paused project again."""
    project = load_project(project_id, Capability.MANAGE)
    return _change(
        project, lambda: service.resume_project(project, current_user), _("Open for uploads again.")
    )


@bp.post("/projects/<int:project_id>/close")
@login_required
def close(project_id: int) -> Response:
    """Close the project for good."""
    project = load_project(project_id, Capability.MANAGE)
    form = CloseForm()
    if not form.validate_on_submit():
        return redirect_after_change(
            url_for("projects.brief", project_id=project.id),
            flash=" ".join(map(str, form.reason.errors)) or _("Could not close the project."),
            category="error",
        )
    reason = (form.reason.data or "").strip() or CLOSED_BY_LAB
    return _change(
        project, lambda: service.close_project(project, current_user, reason), _("Project closed.")
    )


@bp.get("/projects/<int:project_id>/versions")
@login_required
def versions(project_id: int) -> Response:
    """List the published versions of the brief."""
    project = load_project(project_id, Capability.VIEW)
    return render("projects/versions.html", project=project)


# --- vetting (instance admins) ---------------------------------------------------------------


@bp.get("/vetting")
@role_required(Role.ADMIN)
def vetting() -> Response:
    """List briefs waiting for vetting."""
    return render("projects/vetting.html", projects=awaiting_vetting())


@bp.get("/vetting/<int:project_id>")
@role_required(Role.ADMIN)
def vet(project_id: int) -> Response:
    """Show a submitted brief with the publish and send-back actions."""
    project = load_project(project_id)
    return render(
        "projects/vet.html",
        project=project,
        form=SendBackForm(),
        missing=service.missing_for_submission(project),
    )


@bp.post("/vetting/<int:project_id>/publish")
@role_required(Role.ADMIN)
def publish(project_id: int) -> Response:
    """Publish a submitted brief."""
    project = load_project(project_id)
    return apply_change(
        lambda: service.publish_project(project, current_user),
        done=lambda _result: redirect_after_change(
            url_for("projects.vetting"), flash=_("“%(title)s” is published.", title=project.title)
        ),
        on_error=url_for("projects.vet", project_id=project.id),
    )


@bp.post("/vetting/<int:project_id>/send-back")
@role_required(Role.ADMIN)
def send_back(project_id: int) -> Response:
    """Return a brief to its owners with comments."""
    project = load_project(project_id)
    form = SendBackForm()
    if not form.validate_on_submit():
        return refuse_change(
            url_for("projects.vet", project_id=project.id),
            " ".join(map(str, form.comment.errors)) or _("Say what needs to change."),
            template="projects/vet.html",
            block="send_back",
            project=project,
            form=form,
            missing=service.missing_for_submission(project),
        )
    return apply_change(
        lambda: service.send_back(project, current_user, form.comment.data),
        done=lambda _result: redirect_after_change(
            url_for("projects.vetting"),
            flash=_("“%(title)s” was sent back to its owners.", title=project.title),
            category="info",
        ),
        on_error=url_for("projects.vet", project_id=project.id),
    )
