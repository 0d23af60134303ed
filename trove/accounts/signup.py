"""Sign-up by confirmed address: no account exists until the e-mailed link is followed.

Whoever signs up gets the same answer whether or not the address has an account, and is
not signed in either way: a new address is sent a confirmation link, a taken one a notice
to its owner. So sign-up reveals nothing about who has an account.

Functions flush but never commit; the view that calls one commits.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from trove.accounts.models import SignupRequest, User
from trove.accounts.service import (
    apply_referral,
    create_user,
    find_user_by_email,
    hash_password,
    letter,
    normalise_email,
    password_matches,
    send_letter,
)
from trove.accounts.sessions import hash_token
from trove.errors import DomainError
from trove.extensions import db
from trove.i18n import in_locale
from trove.mail import send_mail, site_url
from trove.security import local_url
from trove.tasks import register_sweep
from trove.timeutil import utcnow

#: How long a used or expired request is kept (to say so clearly) before it is deleted.
KEEP_AFTER_EXPIRY = timedelta(days=7)


def request_sign_up(
    email: str,
    password: str,
    display_name: str,
    *,
    referral_code: str | None = None,
    next_url: str | None = None,
) -> None:
    """E-mail a confirmation link to a new address, or a notice to a taken one's owner."""
    email = normalise_email(email)
    password_hash = hash_password(password)  # the same work either way: timing tells nothing
    existing = find_user_by_email(email)
    if existing is not None:
        _tell_owner(existing)
        return
    token = secrets.token_urlsafe(32)
    now = utcnow()
    max_age = int(current_app.config["SIGNUP_CONFIRM_MAX_AGE"])
    db.session.add(
        SignupRequest(
            email=email,
            token_hash=hash_token(token),
            password_hash=password_hash,
            display_name=display_name.strip(),
            referral_code=(referral_code or "").strip()[:16] or None,
            next_url=next_url,
            created_at=now,
            expires_at=now + timedelta(seconds=max_age),
        )
    )
    db.session.flush()
    lab = current_app.config["LAB_NAME"]
    # No account yet to hold a language: the mail speaks the language of the sign-up page.
    with in_locale(str(get_locale())):
        subject = _("Confirm your %(lab)s account", lab=lab)
        body = letter(
            display_name.strip(),
            ngettext(
                "Open this link within %(num)d hour to finish creating your %(lab)s account "
                "(you will be asked for the password you chose):",
                "Open this link within %(num)d hours to finish creating your %(lab)s account "
                "(you will be asked for the password you chose):",
                max_age // 3600,
                lab=lab,
            ),
            site_url(local_url("accounts.confirm_signup_form", token=token)),
            _("If you did not sign up, ignore this message; no account is created."),
        )
    send_mail(email, subject, body)


def _tell_owner(owner: User) -> None:
    if not owner.active:
        return
    lab = current_app.config["LAB_NAME"]
    send_letter(  # in the owner's language, not the stranger's who signed up
        owner,
        _l("Someone tried to sign up to %(lab)s with your address", lab=lab),
        _l(
            "Someone tried to create a %(lab)s account with this e-mail address, which "
            "already has one. If it was you, sign in here:",
            lab=lab,
        ),
        site_url(local_url("accounts.login_form")),
        _l("Forgot your password? Reset it here:"),
        site_url(local_url("accounts.forgot_password_form")),
        _l("If it was not you, ignore this message; your account is unchanged."),
    )


def find_signup(token: str) -> SignupRequest:
    """Return the unconfirmed, unexpired sign-up a link names; raise DomainError otherwise."""
    request = db.session.scalar(
        select(SignupRequest).where(SignupRequest.token_hash == hash_token(token))
    )
    if request is None:
        raise DomainError(_("This confirmation link is not valid. Sign up again."), status=404)
    if request.confirmed_at is not None:
        raise DomainError(
            _("This confirmation link has already been used. Sign in to your account."), status=410
        )
    if request.expires_at <= utcnow():
        raise DomainError(_("This confirmation link has expired. Sign up again."), status=410)
    return request


def confirm_sign_up(request: SignupRequest, password: str) -> User:
    """Create the contributor account a sign-up asked for, once its password is given.

    The password proves the person following the link is the one who signed up, so a
    stranger cannot sign up with someone's address and have them confirm an account whose
    password the stranger knows.
    """
    if not password_matches(request.password_hash, password):
        raise DomainError(
            _("That is not the password you chose when signing up."), field="password", status=422
        )
    # Check-and-set: of two clicks on the same link, one creates the account.
    spent = db.session.execute(
        update(SignupRequest)
        .where(SignupRequest.id == request.id, SignupRequest.confirmed_at.is_(None))
        .values(confirmed_at=utcnow())
    )
    if spent.rowcount != 1:
        raise DomainError(_("This confirmation link has already been used."), status=410)
    try:
        with db.session.begin_nested():
            user = create_user(request.email, password, request.display_name)
    except (DomainError, IntegrityError):
        raise DomainError(
            _("This address already has an account. Sign in to it."), status=409
        ) from None
    apply_referral(user, request.referral_code)
    # Other requests for the address would now only fail: drop them.
    db.session.execute(
        delete(SignupRequest).where(
            SignupRequest.email == request.email, SignupRequest.id != request.id
        )
    )
    return user


@register_sweep
def delete_stale_signups() -> int:
    """Delete sign-up requests a week past their expiry (an address and a password hash)."""
    db.session.execute(
        delete(SignupRequest).where(SignupRequest.expires_at < utcnow() - KEEP_AFTER_EXPIRY)
    )
    return 0
