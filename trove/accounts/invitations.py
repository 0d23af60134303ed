"""Invitations of lab members: create, find by secret token, accept, revoke.

Functions flush but never commit; the view that calls one commits.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from trove.accounts.models import Invitation, Role, User
from trove.accounts.service import find_user_by_email, normalise_email
from trove.accounts.sessions import hash_token
from trove.audit.service import record_event
from trove.errors import DomainError
from trove.extensions import db
from trove.timeutil import utcnow


def invite_lab_member(inviter: User, email: str) -> tuple[Invitation, str]:
    """Create an invitation for ``email`` and return it with its secret token."""
    if not inviter.is_admin:
        raise DomainError(_("Only an admin can invite lab members."))
    email = normalise_email(email)
    existing = find_user_by_email(email)
    if existing is not None and existing.is_lab_member:
        raise DomainError(_("%(email)s is already a lab member.", email=email), field="email")
    now = utcnow()
    for old in db.session.scalars(
        select(Invitation).where(
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ):
        old.revoked_at = now
    token = secrets.token_urlsafe(32)
    days = int(current_app.config["INVITATION_MAX_AGE_DAYS"])
    invitation = Invitation(
        email=email,
        token_hash=hash_token(token),
        invited_by_id=inviter.id,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(invitation)
    db.session.flush()
    record_event(inviter, "invitation.created", invitation, email=email)
    return invitation, token


def find_invitation(token: str) -> Invitation:
    """Return the pending invitation for ``token``; raise DomainError otherwise."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == hash_token(token))
    )
    if invitation is None:
        raise DomainError(_("This invitation link is not valid."))
    status = invitation.status
    if status != "pending":
        raise DomainError(
            {
                "accepted": _("This invitation has been accepted."),
                "revoked": _("This invitation has been revoked."),
            }.get(status, _("This invitation has expired."))
        )
    return invitation


def accept_invitation(invitation: Invitation, user: User) -> None:
    """Make ``user`` a lab member through ``invitation`` (its e-mail must match)."""
    if invitation.status != "pending":
        raise DomainError(_("This invitation is no longer valid."))
    if normalise_email(user.email) != invitation.email:
        raise DomainError(
            _(
                "This invitation was sent to %(email)s. Sign in with that address.",
                email=invitation.email,
            )
        )
    if user.role is Role.CONTRIBUTOR:
        user.role = Role.LAB_MEMBER
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = user.id
    record_event(user, "invitation.accepted", invitation)


def revoke_invitation(admin: User, invitation: Invitation) -> None:
    """Revoke a pending invitation."""
    if invitation.status != "pending":
        raise DomainError(_("Only a pending invitation can be revoked."))
    invitation.revoked_at = utcnow()
    record_event(admin, "invitation.revoked", invitation)
