"""The project team: add lab members with a role, change roles, remove."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from trove.errors import DomainError
from trove.extensions import limiter
from trove.htmx import apply_change, redirect_after_change, render
from trove.projects import service
from trove.projects import team as teams
from trove.projects.access import load_project
from trove.projects.forms import RoleChangeForm, TeamMemberForm
from trove.projects.models import Capability, Project, ProjectMember, TeamRole
from trove.projects.views import bp
from trove.review.rules import own_photo_warnings


def _team_page(project: Project, form: TeamMemberForm, *, status: int = 200) -> Response:
    return render(
        "projects/team.html",
        block="add_form" if status == 422 else None,
        project=project,
        form=form,
        role_form=RoleChangeForm(),
        can_manage=service.can(current_user, project, Capability.MANAGE),
        own_photo_warnings=own_photo_warnings(project),
        status=status,
    )


def _member_or_404(project: Project, member_id: int) -> ProjectMember:
    member = next((m for m in project.members if m.id == member_id), None)
    if member is None:
        abort(404)
    return member


@bp.get("/projects/<int:project_id>/team")
@login_required
def team(project_id: int) -> Response:
    """Show the team and, for owners, the form to add people."""
    project = load_project(project_id, Capability.VIEW)
    return _team_page(project, TeamMemberForm())


def _team_adder() -> str:
    return f"team-add:{current_user.id}" if current_user.is_authenticated else "team-add:anon"


@bp.post("/projects/<int:project_id>/team")
@login_required
# Each try answers whether an address is a lab member's: keep it slow (per account).
@limiter.limit(
    lambda: current_app.config["RATELIMIT_TEAM_ADD"], key_func=_team_adder, methods=["POST"]
)
def add_member(project_id: int) -> Response:
    """Add a lab member to the team."""
    project = load_project(project_id, Capability.MANAGE)
    form = TeamMemberForm()
    if not form.validate_on_submit():
        return _team_page(project, form, status=422)

    def refused(error: DomainError) -> Response:
        form.email.errors.append(error.message)
        return _team_page(project, form, status=422)

    return apply_change(
        lambda: teams.add_member_by_email(
            project, current_user, form.email.data, TeamRole(form.role.data)
        ),
        done=lambda member: _joined(project, member),
        on_error=refused,
    )


def _joined(project: Project, member: ProjectMember) -> Response:
    warning = own_photo_warnings(project).get(member.user.id)
    if warning:
        flash(warning, "warning")
    return redirect_after_change(
        url_for("projects.team", project_id=project.id),
        flash=_("%(name)s joined the team.", name=member.user.display_name),
    )


@bp.post("/projects/<int:project_id>/team/<int:member_id>/role")
@login_required
def change_role(project_id: int, member_id: int) -> Response:
    """Change a team member's role."""
    project = load_project(project_id, Capability.MANAGE)
    member = _member_or_404(project, member_id)
    form = RoleChangeForm()
    location = url_for("projects.team", project_id=project.id)
    if not form.validate_on_submit():
        return redirect_after_change(location)
    return apply_change(
        lambda: teams.change_member_role(project, current_user, member, TeamRole(form.role.data)),
        done=lambda _result: redirect_after_change(
            location,
            flash=_(
                "%(name)s now has the role: %(role)s.",
                name=member.user.display_name,
                role=member.role.label,
            ),
        ),
        on_error=location,
    )


@bp.post("/projects/<int:project_id>/team/<int:member_id>/remove")
@login_required
def remove_member(project_id: int, member_id: int) -> Response:
    """Remove someone from the team."""
    project = load_project(project_id, Capability.MANAGE)
    member = _member_or_404(project, member_id)
    name = member.user.display_name
    location = url_for("projects.team", project_id=project.id)
    return apply_change(
        lambda: teams.remove_member(project, current_user, member),
        done=lambda _result: redirect_after_change(
            location, flash=_("%(name)s left the team.", name=name), category="info"
        ),
        on_error=location,
    )
