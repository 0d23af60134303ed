"""A project's team: lab members with a role; who is, or ever was, on it.

Functions flush but never commit; the view that calls one commits.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from trove.accounts.models import User
from trove.accounts.service import find_user_by_email
from trove.audit.models import AuditEvent
from trove.audit.service import record_event
from trove.errors import DomainError
from trove.extensions import db
from trove.projects.models import (
    Capability,
    Project,
    ProjectMember,
    TeamRole,
)
from trove.projects.service import owners, require_capability

#: One answer whether an address is unknown, a contributor's or deactivated, so the team
#: form does not tell who has an account (nor their name).
NOT_A_LAB_MEMBER = _l("No lab member uses that address. An admin can invite them to the lab first.")


def add_member_by_email(project: Project, actor: User, email: str, role: TeamRole) -> ProjectMember:
    """Add the lab member with ``email`` to the team with ``role``."""
    require_capability(actor, project, Capability.MANAGE)
    user = find_user_by_email(email)
    if user is None:
        raise DomainError(str(NOT_A_LAB_MEMBER), field="email")
    return add_member(project, actor, user, role)


def add_member(project: Project, actor: User, user: User, role: TeamRole) -> ProjectMember:
    """Add a lab member to the project team with ``role``."""
    require_capability(actor, project, Capability.MANAGE)
    if not user.is_lab_member or not user.active:
        raise DomainError(str(NOT_A_LAB_MEMBER), field="email")
    if project.member(user) is not None:
        raise DomainError(
            _("%(name)s is already on the team.", name=user.display_name), field="email"
        )
    member = ProjectMember(user_id=user.id, role=role, user=user)
    project.members.append(member)
    db.session.flush()
    record_event(
        actor, "team.added", project, project_id=project.id, user_id=user.id, role=role.value
    )
    return member


def change_member_role(
    project: Project, actor: User, member: ProjectMember, role: TeamRole
) -> None:
    """Change a team member's role (a project keeps at least one owner)."""
    require_capability(actor, project, Capability.MANAGE)
    if member.role is TeamRole.OWNER and role is not TeamRole.OWNER and len(owners(project)) == 1:
        raise DomainError(_("A project needs at least one owner."))
    old = member.role
    member.role = role
    record_event(
        actor,
        "team.role_changed",
        project,
        project_id=project.id,
        user_id=member.user_id,
        old=old.value,
        new=role.value,
    )


def team_ever(project: Project) -> set[int]:
    """Return the ids of everyone who is or ever was on ``project``'s team.

    Removing someone deletes their membership; the audit log keeps who was added, so
    rules about past team members (contest prizes) still see them.
    """
    ids = {m.user_id for m in project.members} | {project.created_by_id}
    for data in db.session.scalars(
        select(AuditEvent.data).where(
            AuditEvent.project_id == project.id, AuditEvent.action == "team.added"
        )
    ):
        if isinstance(data, dict) and isinstance(data.get("user_id"), int):
            ids.add(data["user_id"])
    return ids


def remove_member(project: Project, actor: User, member: ProjectMember) -> None:
    """Remove someone from the team (not the last owner)."""
    require_capability(actor, project, Capability.MANAGE)
    if member.role is TeamRole.OWNER and len(owners(project)) == 1:
        raise DomainError(_("A project needs at least one owner."))
    project.members.remove(member)
    record_event(actor, "team.removed", project, project_id=project.id, user_id=member.user_id)
