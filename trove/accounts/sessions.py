"""Server-side sessions: every signed-in browser is a row, so signing out really ends it.

The Flask session cookie holds only a random token; the database keeps its SHA-256 with
the user agent and when it was last seen. Loading the user is one indexed lookup; the
last-seen time is written at most every :data:`SEEN_EVERY`, not on every request.
Ending a session deletes its row, so a copied cookie stops working at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Response, g, has_request_context, request, session
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, delete, select

from trove.accounts.models import User, UserSession
from trove.errors import DomainError
from trove.extensions import db, htmx, login_manager
from trove.timeutil import utcnow

#: How stale ``last_seen_at`` may get before a request refreshes it.
SEEN_EVERY = timedelta(minutes=5)


def hash_token(token: str) -> str:
    """Return the SHA-256 of a secret token, the form stored (a leaked row is no key)."""
    return hashlib.sha256(token.encode()).hexdigest()


def begin_session(user: User) -> UserSession:
    """Sign ``user`` in on this browser with a new session row and a fresh CSRF token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(
        user_id=user.id,
        token_hash=hash_token(token),
        user_agent=(request.user_agent.string or "")[:255],
        ip_address=(request.remote_addr or "")[:45] or None,
        created_at=now,
        last_seen_at=now,
    )
    db.session.add(row)
    db.session.flush()
    # A token handed out before signing in must not keep working after (CSRF rotation).
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)
    g.trove_signed_in = True
    user.session_token = token
    login_user(user)
    g.trove_user_session = row
    return row


def current_session() -> UserSession | None:
    """Return the session row of this request's signed-in browser, if any."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    return g.get("trove_user_session")


def end_current_session() -> None:
    """Sign this browser out and delete its session row (flushes)."""
    row = current_session()
    if row is not None:
        db.session.execute(delete(UserSession).where(UserSession.id == row.id))
        db.session.flush()
    logout_user()


def end_other_sessions(user: User) -> int:
    """End every session of ``user`` except this browser's; return how many ended."""
    keep = current_session()
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None and keep.user_id == user.id:
        query = query.where(UserSession.id != keep.id)
    result = db.session.execute(query.execution_options(synchronize_session=False))
    db.session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def end_all_sessions(user: User) -> None:
    """End every session of ``user``, this browser's included (flushes)."""
    db.session.execute(
        delete(UserSession)
        .where(UserSession.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


def end_session(user: User, session_id: int) -> None:
    """End one of ``user``'s sessions by its id; raise DomainError (404) if not theirs."""
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != user.id:
        raise DomainError(_("That session has already ended."), status=404)
    db.session.delete(row)
    db.session.flush()


def list_sessions(user: User) -> list[UserSession]:
    """Return ``user``'s live sessions, most recently seen first."""
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id)
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


@login_manager.user_loader
def load_user(token: str) -> User | None:
    """Load the signed-in user from the session token (one indexed lookup)."""
    found = db.session.execute(_SIGNED_IN, {"token_hash": hash_token(token)}).first()
    if found is None:
        return None
    user, row = found
    if not user.active:  # deactivated or deleted: its sessions are over
        return None
    user.session_token = token
    g.trove_user_session = row
    return user


#: Built once (bound per request): building it, and its cache key, cost more than running it.
_SIGNED_IN = (
    select(User, UserSession)
    .join(UserSession, UserSession.user_id == User.id)
    .where(UserSession.token_hash == bindparam("token_hash"))
)


def touch_current_session() -> None:
    """Record that this browser was seen, at most every few minutes (commits if so)."""
    if request.endpoint == "static":
        return
    row = current_session()
    if row is not None and utcnow() - row.last_seen_at >= SEEN_EVERY:
        row.last_seen_at = utcnow()
        # Runs before the view, so this commit carries nothing but the timestamp.
        db.session.commit()


def reload_after_sign_in(response: Response) -> Response:
    """Make htmx load the page after signing in whole: its CSRF token has changed."""
    if g.get("trove_signed_in") and bool(htmx) and response.status_code in (302, 303):
        location = response.headers["Location"]
        response = Response(status=204)
        response.headers["HX-Redirect"] = location
        response.vary.add("HX-Request")
    return response
