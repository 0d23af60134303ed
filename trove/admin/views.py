"""Admin pages: job health, invitations and user roles."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, flash, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from trove.accounts import invitations as invites
from trove.accounts import service as accounts
from trove.accounts.forms import InviteForm
from trove.accounts.models import Invitation, Role, User
from trove.admin.queries import people
from trove.audit.models import AuditEvent
from trove.errors import DomainError
from trove.extensions import db
from trove.forms import Form
from trove.htmx import apply_change, redirect_after_change, render
from trove.ids import parse_page
from trove.mail import send_mail, site_url
from trove.security import get_or_404, role_required
from trove.tasks import JobRecord, JobStatus, queue_health, retry_job

bp = Blueprint("admin", __name__, url_prefix="/admin")

admin_only = role_required(Role.ADMIN)


class RoleForm(Form):
    """Change a user's instance role."""

    # A callable, so the labels are read in the language of each request.
    role = SelectField(_l("Role"), choices=lambda: [SelectChoice(r.value, r.label) for r in Role])


def _failed_jobs() -> list[JobRecord]:
    return list(
        db.session.scalars(
            select(JobRecord)
            .where(JobRecord.status == JobStatus.FAILED)
            .order_by(JobRecord.id.desc())
            .limit(50)
        )
    )


@bp.get("/")
@admin_only
def dashboard() -> Response:
    """Show job health and recent audit events."""
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(20)).all()
    return render(
        "admin/dashboard.html", health=queue_health(), failed=_failed_jobs(), events=events
    )


@bp.get("/jobs")
@admin_only
def jobs() -> Response:
    """Return the self-refreshing job-health panel."""
    return render(
        "admin/dashboard.html", block="jobs", health=queue_health(), failed=_failed_jobs()
    )


@bp.post("/jobs/<int:job_id>/retry")
@admin_only
def retry(job_id: int) -> Response:
    """Queue a failed job again."""
    record = get_or_404(JobRecord, job_id)
    message = None
    if record.status is not JobStatus.FAILED:
        flash(_("Only a failed job can be retried."), "error")
    else:
        retry_job(record)
        db.session.commit()
        message = _("Job %(id)s is queued again.", id=record.id)
    return redirect_after_change(
        url_for("admin.dashboard"),
        flash=message,
        template="admin/dashboard.html",
        block="jobs",
        health=queue_health(),
        failed=_failed_jobs(),
    )


# --- invitations ---------------------------------------------------------------------------


def _invitations() -> list[Invitation]:
    return list(db.session.scalars(select(Invitation).order_by(Invitation.id.desc()).limit(100)))


#: What the list calls each state of an invitation (``Invitation.status``).
INVITATION_STATUS = {
    "pending": _l("pending"),
    "accepted": _l("accepted"),
    "revoked": _l("revoked"),
    "expired": _l("expired"),
}

#: How many links of invitations sent in this session the admin can still copy.
KEPT_LINKS = 10


def _mail_is_logged() -> bool:
    """Whether e-mails only reach the server log (the embedded default, no mail server)."""
    return current_app.config["MAIL_BACKEND"] == "log"


def _keep_link(invitation: Invitation, link: str) -> None:
    """Remember the link for the admin to copy, when no e-mail will carry it.

    Only the token's hash is stored, so the link exists only now: it is kept in this
    admin's (signed) session, for the last few invitations they sent.
    """
    links = dict(session.get("invitation_links", {}))
    links[str(invitation.id)] = link
    session["invitation_links"] = dict(list(links.items())[-KEPT_LINKS:])


def _copyable_links() -> dict[int, str]:
    return {int(k): v for k, v in session.get("invitation_links", {}).items()}


@bp.get("/invitations")
@admin_only
def invitations() -> Response:
    """List invitations and show the invite form."""
    return render(
        "admin/invitations.html",
        form=InviteForm(),
        invitations=_invitations(),
        links=_copyable_links(),
        mail_is_logged=_mail_is_logged(),
        status_labels=INVITATION_STATUS,
    )


@bp.post("/invitations")
@admin_only
def invite() -> Response:
    """Invite a lab member by e-mail."""
    form = InviteForm()

    def invalid(error: DomainError | None = None) -> Response:
        if error is not None:
            form.email.errors.append(error.message)
        return render(
            "admin/invitations.html",
            block="invite_form",
            form=form,
            invitations=_invitations(),
            links=_copyable_links(),
            mail_is_logged=_mail_is_logged(),
            status_labels=INVITATION_STATUS,
            status=422,
        )

    if not form.validate_on_submit():
        return invalid()
    return apply_change(lambda: _send_invitation(form.email.data), done=_invited, on_error=invalid)


def _send_invitation(email: str) -> tuple[Invitation, str]:
    """Invite ``email`` and mail the link (it goes out once the change commits)."""
    invitation, token = invites.invite_lab_member(current_user, email)
    link = site_url(url_for("accounts.invitation", token=token))
    lab = _lab_name()
    days = (invitation.expires_at - invitation.created_at).days
    send_mail(
        invitation.email,
        _("You are invited to join %(lab)s on Trove", lab=lab),
        _(
            "%(name)s invites you to join %(lab)s as a lab member, "
            "to run photo-collection projects and review contributions.",
            name=current_user.display_name,
            lab=lab,
        )
        + "\n\n"
        + ngettext(
            "Accept the invitation here (the link works once, for %(num)d day):",
            "Accept the invitation here (the link works once, for %(num)d days):",
            days,
        )
        + f"\n\n{link}\n",
    )
    return invitation, link


def _invited(sent: tuple[Invitation, str]) -> Response:
    invitation, link = sent
    if _mail_is_logged():
        _keep_link(invitation, link)
        message = _(
            "Invitation for %(email)s created. No mail server is set up: "
            "copy its link below and send it yourself.",
            email=invitation.email,
        )
    else:
        message = _("Invitation sent to %(email)s.", email=invitation.email)
    return redirect_after_change(url_for("admin.invitations"), flash=message)


@bp.post("/invitations/<int:invitation_id>/revoke")
@admin_only
def revoke_invitation(invitation_id: int) -> Response:
    """Revoke a pending invitation."""
    invitation = get_or_404(Invitation, invitation_id)
    location = url_for("admin.invitations")
    return apply_change(
        lambda: invites.revoke_invitation(current_user, invitation),
        done=lambda _result: redirect_after_change(
            location,
            flash=_("The invitation to %(email)s is revoked.", email=invitation.email),
            category="info",
        ),
        on_error=location,
    )


def _lab_name() -> str:
    return str(current_app.config["LAB_NAME"])


# --- users ---------------------------------------------------------------------------------


def _people_args(source: Any) -> dict[str, Any]:
    """Return the people list's search and page from ``source`` (args or form), if not default."""
    args: dict[str, Any] = {}
    q = (source.get("q") or "").strip()[:100]
    if q:
        args["q"] = q
    page = parse_page(source.get("page"))
    if page > 1:
        args["page"] = page
    return args


@bp.get("/users")
@admin_only
def users() -> Response:
    """List accounts with their roles: search by name or e-mail, a page at a time."""
    args = _people_args(request.args)
    page = people(args.get("q", ""), args.get("page", 1))
    return render(
        "admin/users.html", block="people", page=page, q=args.get("q", ""), form=RoleForm()
    )


@bp.post("/users/<int:user_id>/role")
@admin_only
def change_role(user_id: int) -> Response:
    """Change a user's instance role."""
    user = get_or_404(User, user_id)
    form = RoleForm()
    location = url_for("admin.users", **_people_args(request.form))
    if not form.validate_on_submit():
        return redirect_after_change(
            location, flash=_("Choose a role from the list."), category="error"
        )
    return apply_change(
        lambda: accounts.set_role(current_user, user, Role(form.role.data)),
        done=lambda _result: redirect_after_change(
            location,
            flash=_(
                "%(name)s is now %(role)s.", name=user.display_name, role=user.role.label.lower()
            ),
        ),
        on_error=location,
    )


@bp.post("/users/<int:user_id>/deactivate")
@admin_only
def deactivate_user(user_id: int) -> Response:
    """Stop someone signing in and end their sessions (nothing is deleted)."""
    return _set_active(user_id, active=False)


@bp.post("/users/<int:user_id>/reactivate")
@admin_only
def reactivate_user(user_id: int) -> Response:
    """Let a deactivated account sign in again."""
    return _set_active(user_id, active=True)


def _set_active(user_id: int, *, active: bool) -> Response:
    user = get_or_404(User, user_id)
    change = accounts.reactivate_user if active else accounts.deactivate_user
    location = url_for("admin.users")
    return apply_change(
        lambda: change(current_user, user),
        done=lambda _result: redirect_after_change(location, flash=_done_message(user, active)),
        on_error=location,
    )


def _done_message(user: User, active: bool) -> str:
    if active:
        return _("%(name)s can sign in again.", name=user.display_name)
    return _("%(name)s is deactivated and signed out everywhere.", name=user.display_name)
