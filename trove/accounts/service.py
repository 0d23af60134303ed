"""Account rules: passwords, sign-up, sign-in, password reset, invitations, profiles."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from trove.accounts.models import Invitation, Role, User, new_login_id
from trove.audit.service import record_event
from trove.errors import DomainError
from trove.extensions import db
from trove.timeutil import utcnow

# Verified against when the e-mail is unknown, so timing does not reveal which accounts exist.
_DUMMY_HASH_CACHE: dict[tuple[int, int], str] = {}


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=int(cfg["ARGON2_TIME_COST"]), memory_cost=int(cfg["ARGON2_MEMORY_COST"])
    )


def hash_password(password: str) -> str:
    """Return an argon2id hash of ``password``."""
    return _hasher().hash(password)


def normalise_email(email: str) -> str:
    """Return ``email`` trimmed and lower-cased, the form stored and compared."""
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    """Return the user with ``email`` (case-insensitive), if any."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(
    email: str, password: str, display_name: str, role: Role = Role.CONTRIBUTOR
) -> User:
    """Create an account; raise DomainError if the e-mail is taken."""
    email = normalise_email(email)
    if find_user_by_email(email) is not None:
        raise DomainError("An account with this e-mail address already exists.", field="email")
    user = User(
        email=email,
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        role=role,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the active user whose password matches, else None."""
    hasher = _hasher()
    user = find_user_by_email(email)
    if user is None:
        key = (hasher.time_cost, hasher.memory_cost)
        if key not in _DUMMY_HASH_CACHE:
            _DUMMY_HASH_CACHE[key] = hasher.hash(secrets.token_hex(8))
        with contextlib.suppress(VerificationError):
            hasher.verify(_DUMMY_HASH_CACHE[key], password)
        return None
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.last_login_at = utcnow()
    return user


def set_password(user: User, password: str) -> None:
    """Change ``user``'s password and end every other session."""
    user.password_hash = hash_password(password)
    user.login_id = new_login_id()
    record_event(user, "account.password_changed", user)


# --- password reset ---------------------------------------------------------------------


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    # Part of the token: once the password changes, every earlier link stops working.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User) -> str:
    """Return a signed, expiring, single-use password-reset token for ``user``."""
    return _reset_serializer().dumps({"u": user.id, "p": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> User:
    """Return the user a valid reset token names; raise DomainError otherwise."""
    max_age = int(current_app.config["PASSWORD_RESET_MAX_AGE"])
    try:
        data = _reset_serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise DomainError("This reset link has expired. Ask for a new one.") from None
    except BadSignature:
        raise DomainError("This reset link is not valid. Ask for a new one.") from None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("p") != _password_fingerprint(user):
        raise DomainError("This reset link has already been used. Ask for a new one.")
    return user


# --- invitations ------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_lab_member(inviter: User, email: str) -> tuple[Invitation, str]:
    """Create an invitation for ``email`` and return it with its secret token."""
    if not inviter.is_admin:
        raise DomainError("Only an admin can invite lab members.")
    email = normalise_email(email)
    existing = find_user_by_email(email)
    if existing is not None and existing.is_lab_member:
        raise DomainError(f"{email} is already a lab member.", field="email")
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
        token_hash=_token_hash(token),
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
        select(Invitation).where(Invitation.token_hash == _token_hash(token))
    )
    if invitation is None:
        raise DomainError("This invitation link is not valid.")
    status = invitation.status
    if status != "pending":
        raise DomainError(
            f"This invitation has {status if status != 'revoked' else 'been revoked'}."
        )
    return invitation


def accept_invitation(invitation: Invitation, user: User) -> None:
    """Make ``user`` a lab member through ``invitation`` (its e-mail must match)."""
    if invitation.status != "pending":
        raise DomainError("This invitation is no longer valid.")
    if normalise_email(user.email) != invitation.email:
        raise DomainError(
            f"This invitation was sent to {invitation.email}. Sign in with that address."
        )
    if user.role is Role.CONTRIBUTOR:
        user.role = Role.LAB_MEMBER
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = user.id
    record_event(user, "invitation.accepted", invitation)


def revoke_invitation(admin: User, invitation: Invitation) -> None:
    """Revoke a pending invitation."""
    if invitation.status != "pending":
        raise DomainError("Only a pending invitation can be revoked.")
    invitation.revoked_at = utcnow()
    record_event(admin, "invitation.revoked", invitation)


def set_role(admin: User, user: User, role: Role) -> None:
    """Change ``user``'s instance role (admins only; the last admin stays)."""
    if not admin.is_admin:
        raise DomainError("Only an admin can change roles.")
    if user.role is Role.ADMIN and role is not Role.ADMIN:
        admins = db.session.scalar(
            select(func.count()).select_from(User).where(User.role == Role.ADMIN)
        )
        if (admins or 0) <= 1:
            raise DomainError("The last admin cannot be demoted.")
    old = user.role
    user.role = role
    record_event(admin, "account.role_changed", user, old=old.value, new=role.value)


def update_profile(
    user: User, *, display_name: str, paypal_email: str | None, country: str | None
) -> None:
    """Update the editable profile fields of ``user``."""
    changed_paypal = (paypal_email or None) != user.paypal_email
    user.display_name = display_name.strip()
    user.paypal_email = normalise_email(paypal_email) if paypal_email else None
    user.country = country.upper() if country else None
    if changed_paypal:
        record_event(user, "account.paypal_email_changed", user)


# --- referrals ------------------------------------------------------------------------------


def referral_code_for(user: User) -> str:
    """Return ``user``'s referral code, making one the first time (flushes)."""
    if user.referral_code is None:
        user.referral_code = secrets.token_urlsafe(9)[:12]
        db.session.flush()
    return user.referral_code


def apply_referral(user: User, code: str | None) -> User | None:
    """Record who referred a new ``user`` by their code; return the referrer, if any."""
    code = (code or "").strip()
    if not code or len(code) > 16 or user.referred_by_id is not None:
        return None
    referrer = db.session.scalar(select(User).where(User.referral_code == code))
    if referrer is None or referrer.id == user.id or not referrer.active:
        return None
    user.referred_by_id = referrer.id
    return referrer
