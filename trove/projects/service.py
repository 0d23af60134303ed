"""Project rules: roles, the wizard, the status machine, brief versions and auto-close.

The team lives in :mod:`trove.projects.team`, the brief's example photos in
:mod:`trove.projects.examples`.

Functions flush but never commit; the view that calls one commits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from flask_babel import LazyString, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from trove.accounts.models import Role, User
from trove.audit.service import record_event
from trove.errors import DomainError
from trove.extensions import db
from trove.notifications.service import notify
from trove.projects.models import (
    BRIEF_FIELDS,
    DEADLINE_PASSED,
    DEFAULT_LICENCE,
    ETHICS_EXPIRED,
    TARGET_REACHED,
    BriefVersion,
    Capability,
    Project,
    ProjectMember,
    ProjectStatus,
    TeamRole,
)
from trove.security import local_url
from trove.tasks import register_sweep
from trove.timeutil import utcnow

#: Which status may follow which.
TRANSITIONS: dict[ProjectStatus, frozenset[ProjectStatus]] = {
    ProjectStatus.DRAFT: frozenset({ProjectStatus.SUBMITTED}),
    ProjectStatus.SUBMITTED: frozenset({ProjectStatus.PUBLISHED, ProjectStatus.DRAFT}),
    ProjectStatus.PUBLISHED: frozenset({ProjectStatus.PAUSED, ProjectStatus.CLOSED}),
    ProjectStatus.PAUSED: frozenset({ProjectStatus.PUBLISHED, ProjectStatus.CLOSED}),
    ProjectStatus.CLOSED: frozenset(),
}

WIZARD_STEPS = (
    (1, _l("Purpose")),
    (2, _l("Data and use")),
    (3, _l("Examples")),
    (4, _l("Quantity and pay")),
    (5, _l("Rules")),
)


def capabilities(user: Any, project: Project) -> frozenset[Capability]:
    """Return what ``user`` may do on ``project`` now, by their global role and team role.

    The global role is read on every call, so demoting a lab member to contributor takes
    every project capability away at once (their memberships stay, inert, and come back
    if they are made a lab member again); removing them from the team does the same.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_lab_member:
        return frozenset()
    if user.is_admin:
        return frozenset(Capability)
    member = project.member(user)
    return member.capabilities if member is not None else frozenset()


def can(user: Any, project: Project, capability: Capability) -> bool:
    """Return whether ``user`` holds ``capability`` on ``project`` (admins hold all)."""
    return capability in capabilities(user, project)


def team_holding(project: Project, capability: Capability) -> list[ProjectMember]:
    """Return the team members who hold ``capability`` on ``project`` now (for notices)."""
    return [m for m in project.members if capability in capabilities(m.user, project)]


def can_see(user: Any, project: Project) -> bool:
    """Return whether ``user`` may see the project at all."""
    return project.is_public or can(user, project, Capability.VIEW)


def require_capability(user: Any, project: Project, capability: Capability) -> None:
    """Raise a 403 DomainError unless ``user`` holds ``capability`` on ``project``."""
    if not can(user, project, capability):
        raise DomainError(_("You do not have permission to do that on this project."), status=403)


def _move(project: Project, new: ProjectStatus) -> None:
    if new not in TRANSITIONS[project.status]:
        raise DomainError(
            _(
                "A project that is %(current)s cannot become %(new)s.",
                current=project.status.label.lower(),
                new=new.label.lower(),
            )
        )
    project.status = new


# --- creating and editing -------------------------------------------------------------------


def create_project(user: User, title: str) -> Project:
    """Start a draft project owned by ``user`` (a lab member)."""
    if not user.is_lab_member:
        raise DomainError(_("Only lab members can create projects."), status=403)
    project = Project(
        title=title.strip(),
        created_by_id=user.id,
        licence_text=DEFAULT_LICENCE.format(lab=current_app.config["LAB_NAME"]),
        exclusions=["faces", "plates", "screens"],
    )
    project.members.append(ProjectMember(user_id=user.id, role=TeamRole.OWNER))
    db.session.add(project)
    db.session.flush()
    record_event(user, "project.created", project, project_id=project.id)
    return project


def is_editable(project: Project) -> bool:
    """Return whether the brief can be edited now (not while it is being vetted or closed)."""
    return project.status in (ProjectStatus.DRAFT, ProjectStatus.PUBLISHED, ProjectStatus.PAUSED)


def save_brief(
    project: Project, user: User, step: int, data: dict[str, Any]
) -> BriefVersion | None:
    """Save wizard ``step``'s fields; a published brief gets a new version. Return it if made."""
    require_capability(user, project, Capability.MANAGE)
    if not is_editable(project):
        raise DomainError(
            _("This brief is being vetted or is closed; it cannot be edited now.")
            if project.status is not ProjectStatus.SUBMITTED
            else _("This brief is waiting for an admin. Withdraw it from vetting to edit it.")
        )
    unknown = set(data) - set(BRIEF_FIELDS)
    if unknown:
        raise ValueError(f"not brief fields: {sorted(unknown)}")
    if project.is_public:
        if "target_count" in data and data["target_count"] < project.approved_count:
            raise DomainError(
                ngettext(
                    "The target cannot be below the %(num)d photo already approved.",
                    "The target cannot be below the %(num)d photos already approved.",
                    project.approved_count,
                ),
                field="target_count",
            )
        if "currency" in data and data["currency"] != project.currency:
            raise DomainError(
                _("The currency of a published project cannot change."), field="currency"
            )
    changed = {k: v for k, v in data.items() if getattr(project, k) != v}
    for key, value in changed.items():
        setattr(project, key, value)
    project.wizard_step = max(project.wizard_step, min(step + 1, len(WIZARD_STEPS)))
    project.updated_at = utcnow()
    db.session.flush()
    if project.is_public and changed:
        return publish_version(project, user, note="Edited: " + ", ".join(sorted(changed)))
    return None


def publish_version(project: Project, user: User | None, note: str | None = None) -> BriefVersion:
    """Snapshot the working brief as the next immutable version and make it current."""
    number = (
        db.session.scalar(
            select(db.func.max(BriefVersion.number)).where(BriefVersion.project_id == project.id)
        )
        or 0
    ) + 1
    version = BriefVersion(
        project_id=project.id,
        number=number,
        data=project.brief_snapshot(),
        licence_text=project.licence_text,
        licence_hash=BriefVersion.hash_licence(project.licence_text),
        pay_minor=project.pay_minor or 0,
        currency=project.currency,
        created_by_id=user.id if user is not None else None,
        change_note=note,
    )
    db.session.add(version)
    db.session.flush()
    project.current_version_id = version.id
    project.current_version = version
    record_event(user, "project.version_published", project, project_id=project.id, number=number)
    return version


def missing_for_submission(project: Project) -> list[tuple[int, str]]:
    """Return (step, what is missing) for everything that blocks submission."""
    missing: list[tuple[int, str]] = []
    if len(project.title.strip()) < 3:
        missing.append((1, _("a title")))
    if not project.summary.strip():
        missing.append((1, _("a summary of what the model is for")))
    if not project.must_show.strip():
        missing.append((2, _("what the photos must show")))
    if not project.usage.strip():
        missing.append((2, _("how the photos will be used")))
    if not project.access.strip():
        missing.append((2, _("who can access the photos")))
    if not project.retention_days:
        missing.append((2, _("how long photos are kept")))
    if not project.licence_text.strip():
        missing.append((2, _("the licence contributors grant")))
    if not project.target_count:
        missing.append((4, _("a target number of photos")))
    if not project.pay_minor:
        missing.append((4, _("the pay per approved photo")))
    if not project.deadline:
        missing.append((4, _("a deadline")))
    elif project.deadline <= date.today():
        missing.append((4, _("a deadline in the future")))
    if project.ethics_expires_on and project.ethics_expires_on <= date.today():
        missing.append((2, _("an ethics approval that has not expired")))
    if project.rules_confirmed_at is None:
        missing.append((5, _("confirmation of the collection rules")))
    return missing


def confirm_rules(project: Project, user: User) -> None:
    """Record that ``user`` read and confirmed the guide to collecting data."""
    require_capability(user, project, Capability.MANAGE)
    project.rules_confirmed_at = utcnow()
    project.rules_confirmed_by_id = user.id
    project.wizard_step = max(project.wizard_step, len(WIZARD_STEPS))
    record_event(user, "project.rules_confirmed", project, project_id=project.id)


# --- status ----------------------------------------------------------------------------------


def submit_project(project: Project, user: User) -> None:
    """Send a complete draft to the instance admins for vetting."""
    require_capability(user, project, Capability.MANAGE)
    missing = missing_for_submission(project)
    if missing:
        raise DomainError(
            _("Before submitting, add %(missing)s.", missing=", ".join(m for __, m in missing))
        )
    _move(project, ProjectStatus.SUBMITTED)
    project.submitted_at = utcnow()
    project.review_comment = None
    record_event(user, "project.submitted", project, project_id=project.id)
    admins = db.session.scalars(
        select(User).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id)
    )
    for admin in admins:
        notify(
            admin,
            "vetting",
            _l(
                "“%(title)s” awaits vetting: %(name)s submitted the brief.",
                title=project.title,
                name=user.display_name,
            ),
            local_url("projects.vet", project_id=project.id),
            email_subject=_l("A brief awaits vetting: %(title)s", title=project.title),
        )


def owners(project: Project) -> list[ProjectMember]:
    """Return ``project``'s owners."""
    return [m for m in project.members if m.role is TeamRole.OWNER]


def _tell_owners(project: Project, text: LazyString, subject: LazyString) -> None:
    """Tell the project's owners (in the app and by e-mail, in each one's language) what
    vetting decided; ``text`` and ``subject`` are lazy, read in the owner's language."""
    for member in owners(project):
        notify(
            member.user,
            "vetting",
            text,
            local_url("projects.brief", project_id=project.id),
            email_subject=subject,
        )


def withdraw_submission(project: Project, user: User) -> None:
    """Take a submitted brief back to draft to edit it."""
    require_capability(user, project, Capability.MANAGE)
    if project.status is not ProjectStatus.SUBMITTED:
        raise DomainError(_("Only a brief waiting for vetting can be withdrawn from it."))
    _move(project, ProjectStatus.DRAFT)
    record_event(user, "project.submission_withdrawn", project, project_id=project.id)


def publish_project(project: Project, admin: User) -> BriefVersion:
    """Approve a submitted brief: publish it as its first (or next) version."""
    if not admin.is_admin:
        raise DomainError(_("Only an admin can publish a project."), status=403)
    if project.status is ProjectStatus.SUBMITTED:
        missing = missing_for_submission(project)
        if missing:
            raise DomainError(
                _(
                    "This brief is incomplete: %(missing)s.",
                    missing=", ".join(m for __, m in missing),
                )
            )
    _move(project, ProjectStatus.PUBLISHED)
    project.published_at = utcnow()
    project.review_comment = None
    record_event(admin, "project.published", project, project_id=project.id)
    version = publish_version(project, admin, note="Published")
    _tell_owners(
        project,
        _l(
            "“%(title)s” is published: contributors can read the brief and send photos.",
            title=project.title,
        ),
        _l("Your brief is published: %(title)s", title=project.title),
    )
    return version


def send_back(project: Project, admin: User, comment: str) -> None:
    """Return a submitted brief to its owners with the admin's comments."""
    if not admin.is_admin:
        raise DomainError(_("Only an admin can vet projects."), status=403)
    if not comment.strip():
        raise DomainError(_("Say what needs to change."), field="comment")
    _move(project, ProjectStatus.DRAFT)
    project.review_comment = comment.strip()
    record_event(admin, "project.sent_back", project, project_id=project.id, comment=comment)
    _tell_owners(
        project,
        _l(
            "“%(title)s” was sent back by the vetting admin: %(comment)s",
            title=project.title,
            comment=project.review_comment,
        ),
        _l("Your brief needs changes: %(title)s", title=project.title),
    )


def pause_project(project: Project, user: User) -> None:
    """Stop new uploads for a while."""
    require_capability(user, project, Capability.MANAGE)
    _move(project, ProjectStatus.PAUSED)
    record_event(user, "project.paused", project, project_id=project.id)


def resume_project(project: Project, user: User) -> None:
    """Open a paused project to uploads again."""
    require_capability(user, project, Capability.MANAGE)
    if project.deadline and project.deadline < date.today():
        raise DomainError(_("The deadline has passed; extend it before resuming."))
    if project.spots_left <= 0:
        raise DomainError(_("The target is reached; raise it before resuming."))
    _move(project, ProjectStatus.PUBLISHED)
    record_event(user, "project.resumed", project, project_id=project.id)


def close_project(project: Project, user: User | None, reason: str) -> None:
    """Close a project for good (by its owner, or by the system with ``user=None``)."""
    if user is not None:
        require_capability(user, project, Capability.MANAGE)
    _move(project, ProjectStatus.CLOSED)
    project.closed_at = utcnow()
    project.close_reason = reason
    record_event(user, "project.closed", project, project_id=project.id, reason=reason)


def close_if_target_reached(project: Project) -> bool:
    """Close an open project whose approvals reached the target; return whether it closed."""
    if (
        project.status in (ProjectStatus.PUBLISHED, ProjectStatus.PAUSED)
        and project.spots_left == 0
    ):
        close_project(project, None, TARGET_REACHED)
        return True
    return False


def reserve_approval(project: Project, amount_minor: int) -> bool:
    """Count one more approval if the target and budget allow it (atomic); return success."""
    budget = project.budget_minor or 0
    within = Project.spent_minor + amount_minor <= budget
    return _count_approval(
        project, 1, amount_minor, Project.approved_count < Project.target_count, within
    )


def release_approval(project: Project, amount_minor: int) -> None:
    """Undo one approval's count and spend (when an approval is reversed)."""
    _count_approval(project, -1, -amount_minor)


def _count_approval(project: Project, step: int, amount: int, *conditions: Any) -> bool:
    """Add ``step`` approvals and ``amount`` spent where ``conditions`` hold; say if it did.

    The counts written come back from RETURNING onto ``project`` (no second read).
    """
    written = db.session.execute(
        update(Project)
        .where(Project.id == project.id, *conditions)
        .values(
            approved_count=Project.approved_count + step, spent_minor=Project.spent_minor + amount
        )
        .returning(Project.approved_count, Project.spent_minor)
        .execution_options(synchronize_session=False)
    ).first()
    if written is None:
        db.session.refresh(project, ["approved_count", "spent_minor"])
        return False
    set_committed_value(project, "approved_count", written.approved_count)
    set_committed_value(project, "spent_minor", written.spent_minor)
    return True


def auto_close_due(today: date | None = None) -> list[Project]:
    """Close open projects past their deadline or ethics approval; return them."""
    today = today or date.today()
    closed: list[Project] = []
    rows = db.session.scalars(
        select(Project).where(Project.status.in_([ProjectStatus.PUBLISHED, ProjectStatus.PAUSED]))
    )
    for project in rows:
        if project.deadline and project.deadline < today:
            close_project(project, None, DEADLINE_PASSED)
        elif project.ethics_expires_on and project.ethics_expires_on <= today:
            close_project(project, None, ETHICS_EXPIRED)
        elif project.target_count and project.spots_left == 0:
            close_project(project, None, TARGET_REACHED)
        else:
            continue
        closed.append(project)
    return closed


@register_sweep
def _sweep_due_projects() -> int:
    auto_close_due()
    return 0
