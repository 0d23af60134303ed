"""User accounts and lab-member invitations."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trove.extensions import db, enum_column
from trove.timeutil import utcnow


class Role(enum.StrEnum):
    """What a person may do on this instance."""

    CONTRIBUTOR = "contributor"
    LAB_MEMBER = "lab_member"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """Return the human name of the role."""
        return str(
            {
                "contributor": _l("Contributor"),
                "lab_member": _l("Lab member"),
                "admin": _l("Admin"),
            }[self.value]
        )


def new_login_id() -> str:
    """Return a fresh session identifier (rotated when the password changes)."""
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    """A person with an account: contributor, lab member or instance admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = enum_column(Role, length=20, default=Role.CONTRIBUTOR)
    paypal_email: Mapped[str | None] = mapped_column(String(254))
    country: Mapped[str | None] = mapped_column(String(2))
    locale: Mapped[str | None] = mapped_column(String(10))  # None: from the browser (trove.i18n)
    timezone: Mapped[str | None] = mapped_column(String(64))  # IANA name; None: the browser's
    login_id: Mapped[str] = mapped_column(String(64), unique=True, default=new_login_id)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]  # the account was deleted and its personal data erased
    # Referrals (contest bonus entries): this person's code, and who brought them here.
    referral_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # The signed-in browser's session token (set by trove.accounts.sessions), not a column.
    session_token = None

    def get_id(self) -> str:
        """Return the session token Flask-Login stores (not the primary key)."""
        if not self.session_token:
            raise RuntimeError("sign in through trove.accounts.sessions.begin_session")
        return str(self.session_token)

    def __eq__(self, other: object) -> bool:
        """Return whether ``other`` is the same account (UserMixin compares session ids)."""
        if isinstance(other, User):
            return self.id == other.id
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        """Return whether ``other`` is another account."""
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = object.__hash__

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """Return whether the account may sign in."""
        return self.active

    @property
    def is_admin(self) -> bool:
        """Return whether the user is an instance admin."""
        return self.role is Role.ADMIN

    @property
    def is_lab_member(self) -> bool:
        """Return whether the user works for the lab (lab members and admins)."""
        return self.role in (Role.LAB_MEMBER, Role.ADMIN)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class Invitation(db.Model):
    """An emailed invitation for someone to join the lab as a lab member."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]

    invited_by: Mapped[User] = relationship(foreign_keys=[invited_by_id])
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id])

    @property
    def status(self) -> str:
        """Return pending, accepted, revoked or expired."""
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= utcnow():
            return "expired"
        return "pending"


class UserSession(db.Model):
    """One signed-in browser: ended by signing out there, or from the account page."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the cookie's
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    ip_address: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)  # updated every few minutes


class SignupRequest(db.Model):
    """A sign-up waiting for its address to be confirmed; no account exists until then."""

    __tablename__ = "signup_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the link's
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    referral_code: Mapped[str | None] = mapped_column(String(16))
    next_url: Mapped[str | None] = mapped_column(String(500))  # a local path, checked again
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    confirmed_at: Mapped[datetime | None]
