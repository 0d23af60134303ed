"""Account rules: passwords, sign-up, sign-in, password reset, invitations, profiles."""

from __future__ import annotations

import contextlib
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import LazyString, lazy_ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from trove.accounts.models import Role, User
from trove.accounts.sessions import end_all_sessions, end_other_sessions
from trove.audit.service import record_event
from trove.errors import DomainError
from trove.extensions import db
from trove.i18n import in_locale_of
from trove.mail import send_mail, site_url
from trove.notifications.service import notify
from trove.security import local_url
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
        raise DomainError(_("An account with this e-mail address already exists."), field="email")
    user = User(
        email=email,
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        role=role,
    )
    db.session.add(user)
    db.session.flush()
    return user


def password_matches(password_hash: str, password: str) -> bool:
    """Return whether ``password`` is the one ``password_hash`` was made from."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _verify(user: User | None, password: str) -> bool:
    """Return whether ``password`` is ``user``'s (spending the same time when no user)."""
    hasher = _hasher()
    if user is None:
        key = (hasher.time_cost, hasher.memory_cost)
        if key not in _DUMMY_HASH_CACHE:
            _DUMMY_HASH_CACHE[key] = hasher.hash(secrets.token_hex(8))
        with contextlib.suppress(VerificationError):
            hasher.verify(_DUMMY_HASH_CACHE[key], password)
        return False
    if not password_matches(user.password_hash, password):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True


def authenticate(email: str, password: str) -> User | None:
    """Return the user whose password matches, else None; refuse a deactivated account."""
    user = find_user_by_email(email)
    if not _verify(user, password) or user is None:
        return None
    if not user.active:
        # Said only to whoever knows the password, so it reveals nothing to a stranger.
        raise DomainError(
            _("This account has been deactivated. Contact the lab if you think this is a mistake."),
            field="password",
        )
    user.last_login_at = utcnow()
    return user


def set_password(user: User, password: str) -> None:
    """Change ``user``'s password and end every other session."""
    user.password_hash = hash_password(password)
    end_other_sessions(user)
    record_event(user, "account.password_changed", user)


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change ``user``'s password once the current one is confirmed; end other sessions."""
    if not _verify(user, current_password):
        raise DomainError(_("That is not your current password."), field="current_password")
    set_password(user, new_password)


def _require_password(user: User, password: str | None, field: str = "password") -> None:
    if not password or not _verify(user, password):
        raise DomainError(_("Enter your password to confirm this change."), field=field)


# --- e-mailed links: password reset, sign-in, new e-mail address ------------------------


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def _dumps(purpose: str, data: dict) -> str:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose).dumps(data)


#: What each kind of e-mailed link says when it has expired, and when it is not valid.
_LINK_ERRORS = {
    "password-reset": (
        _l("This reset link has expired. Ask for a new one."),
        _l("This reset link is not valid. Ask for a new one."),
    ),
    "sign-in-link": (
        _l("This sign-in link has expired. Ask for a new one."),
        _l("This sign-in link is not valid. Ask for a new one."),
    ),
    "email-change": (
        _l("This confirmation link has expired. Ask for a new one."),
        _l("This confirmation link is not valid. Ask for a new one."),
    ),
}


def _loads(purpose: str, token: str, max_age_setting: str) -> tuple[dict, User]:
    """Return a valid token's data and the active user it names; raise DomainError."""
    expired, invalid = _LINK_ERRORS[purpose]
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)
    try:
        data = serializer.loads(token, max_age=int(current_app.config[max_age_setting]))
    except SignatureExpired:
        raise DomainError(str(expired)) from None
    except BadSignature:
        raise DomainError(str(invalid)) from None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active:
        raise DomainError(str(invalid))
    return data, user


def letter(name: str, *paragraphs: str) -> str:
    """Return a plain-text e-mail to ``name``: a greeting, then ``paragraphs``."""
    return "\n\n".join([_("Hello %(name)s,", name=name), *paragraphs]) + "\n"


def send_letter(
    user: User, subject: LazyString, *paragraphs: str | LazyString, to: str | None = None
) -> None:
    """E-mail ``user`` (or ``to``, about ``user``) a letter read in ``user``'s language."""
    with in_locale_of(user):
        body = letter(user.display_name, *(str(paragraph) for paragraph in paragraphs))
        send_mail(to or user.email, str(subject), body)


def make_reset_token(user: User) -> str:
    """Return a signed, expiring, single-use password-reset token for ``user``."""
    # The password's fingerprint is part of it: once the password changes, the link is spent.
    return _dumps("password-reset", {"u": user.id, "p": _fingerprint(user.password_hash)})


def send_password_reset(email: str) -> None:
    """E-mail a password-reset link if ``email`` has an active account."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    link = site_url(local_url("accounts.reset_password_form", token=make_reset_token(user)))
    minutes = int(current_app.config["PASSWORD_RESET_MAX_AGE"]) // 60
    send_letter(
        user,
        _l("Reset your %(lab)s password", lab=current_app.config["LAB_NAME"]),
        lazy_ngettext(
            "Someone (hopefully you) asked to reset the password of this account. Open "
            "this link within %(num)d minute to choose a new one:",
            "Someone (hopefully you) asked to reset the password of this account. Open "
            "this link within %(num)d minutes to choose a new one:",
            minutes,
        ),
        link,
        _l("If you did not ask, ignore this message; your password stays as it is."),
    )


def user_for_reset_token(token: str) -> User:
    """Return the user a valid reset token names; raise DomainError otherwise."""
    data, user = _loads("password-reset", token, "PASSWORD_RESET_MAX_AGE")
    if data.get("p") != _fingerprint(user.password_hash):
        raise DomainError(_("This reset link has already been used. Ask for a new one."))
    return user


def _last_login(user: User) -> str:
    return user.last_login_at.isoformat() if user.last_login_at else ""


def send_sign_in_link(email: str) -> None:
    """E-mail a short-lived, single-use sign-in link if ``email`` has an active account."""
    user = find_user_by_email(email)
    if user is None or not user.active:
        return
    # Any sign-in moves last_login_at, which spends the link.
    token = _dumps("sign-in-link", {"u": user.id, "l": _last_login(user)})
    minutes = int(current_app.config["SIGNIN_LINK_MAX_AGE"]) // 60
    send_letter(
        user,
        _l("Sign in to %(lab)s", lab=current_app.config["LAB_NAME"]),
        lazy_ngettext(
            "Open this link within %(num)d minute to sign in (it works once):",
            "Open this link within %(num)d minutes to sign in (it works once):",
            minutes,
        ),
        site_url(local_url("accounts.sign_in_link", token=token)),
        _l("If you did not ask for it, ignore this message."),
    )


def sign_in_with_link(token: str) -> User:
    """Return the user a valid sign-in link names, spending the link; raise DomainError."""
    data, user = _loads("sign-in-link", token, "SIGNIN_LINK_MAX_AGE")
    if data.get("l") != _last_login(user):
        raise DomainError(_("This sign-in link has already been used. Ask for a new one."))
    user.last_login_at = utcnow()
    record_event(user, "account.signed_in_by_link", user)
    return user


def request_email_change(user: User, password: str, new_email: str) -> str:
    """Send a confirmation link to ``new_email`` and a notice to the current address.

    Returns the normalised new address. A taken address gets no link (its owner gets a
    notice) but the answer is the same, so this does not reveal who has an account.
    """
    _require_password(user, password)
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise DomainError(_("That is already your e-mail address."), field="email")
    lab = current_app.config["LAB_NAME"]
    if find_user_by_email(new_email) is None:
        token = _dumps(
            "email-change", {"u": user.id, "e": new_email, "o": _fingerprint(user.email)}
        )
        hours = int(current_app.config["EMAIL_CHANGE_MAX_AGE"]) // 3600
        send_letter(
            user,
            _l("Confirm your new %(lab)s e-mail address", lab=lab),
            lazy_ngettext(
                "Open this link within %(num)d hour to use this address for your %(lab)s "
                "account:",
                "Open this link within %(num)d hours to use this address for your %(lab)s "
                "account:",
                hours,
                lab=lab,
            ),
            site_url(local_url("accounts.confirm_email_form", token=token)),
            _l("If you did not ask for it, ignore this message."),
            to=new_email,
        )
    send_letter(
        user,
        _l("Your %(lab)s e-mail address is about to change", lab=lab),
        _l(
            "Someone signed in to your account asked to change its e-mail address to "
            "%(email)s. It changes once the link sent there is opened.",
            email=new_email,
        ),
        _l("If this was not you, change your password now:"),
        site_url(local_url("accounts.forgot_password_form")),
    )
    record_event(user, "account.email_change_requested", user)
    return new_email


def confirm_email_change(token: str) -> User:
    """Move the account a valid link names to its new address; end its other sessions."""
    data, user = _loads("email-change", token, "EMAIL_CHANGE_MAX_AGE")
    new_email = str(data.get("e") or "")
    if data.get("o") != _fingerprint(user.email):
        raise DomainError(_("This confirmation link has already been used."))
    if find_user_by_email(new_email) is not None:
        raise DomainError(_("Another account now uses that address. Choose another one."))
    old_email = user.email
    user.email = new_email
    end_other_sessions(user)
    record_event(user, "account.email_changed", user)
    lab = current_app.config["LAB_NAME"]
    send_letter(
        user,
        _l("Your %(lab)s e-mail address has changed", lab=lab),
        _l(
            "Your %(lab)s account now uses the address %(email)s; this address will get no "
            "more messages about it. If this was not you, contact the lab at once.",
            lab=lab,
            email=new_email,
        ),
        to=old_email,
    )
    return user


def set_role(admin: User, user: User, role: Role) -> None:
    """Change ``user``'s instance role (admins only; the last admin stays)."""
    if not admin.is_admin:
        raise DomainError(_("Only an admin can change roles."))
    if user.role is Role.ADMIN and role is not Role.ADMIN:
        admins = db.session.scalar(
            select(func.count()).select_from(User).where(User.role == Role.ADMIN)
        )
        if (admins or 0) <= 1:
            raise DomainError(_("The last admin cannot be demoted."))
    old = user.role
    user.role = role
    record_event(admin, "account.role_changed", user, old=old.value, new=role.value)


def update_profile(
    user: User,
    *,
    display_name: str,
    paypal_email: str | None,
    country: str | None,
    password: str | None = None,
) -> None:
    """Update the editable profile fields; a new PayPal address needs the password."""
    paypal_email = normalise_email(paypal_email) if paypal_email else None
    old_paypal = user.paypal_email
    if paypal_email != old_paypal:
        _require_password(user, password)
    user.display_name = display_name.strip()
    user.paypal_email = paypal_email
    user.country = country.upper() if country else None
    if paypal_email != old_paypal:
        # Payout batches already prepared keep the address they were prepared with.
        record_event(user, "account.paypal_email_changed", user)
        _tell_paypal_changed(user, old_paypal)


def _tell_paypal_changed(user: User, old_paypal: str | None) -> None:
    with in_locale_of(user):
        text = _(
            "The PayPal address your payments go to was changed. Payments already being "
            "prepared still go to the old address. If this was not you, change your password now."
        )
        subject = _("Your %(lab)s PayPal address was changed", lab=current_app.config["LAB_NAME"])
        body = letter(user.display_name, text)
    notify(user, "account.paypal", text, local_url("accounts.profile_form"), email_subject=subject)
    if old_paypal and old_paypal != user.email:
        send_mail(old_paypal, subject, body)


# --- admin: deactivate and reactivate ------------------------------------------------------


def deactivate_user(admin: User, user: User) -> None:
    """Stop ``user`` signing in and end their sessions; nothing is deleted (admins only)."""
    if not admin.is_admin:
        raise DomainError(_("Only an admin can deactivate accounts."), status=403)
    if user.id == admin.id:
        raise DomainError(_("You cannot deactivate your own account."))
    if user.deleted_at is not None:
        raise DomainError(_("This account was deleted by its owner."))
    if not user.active:
        raise DomainError(_("This account is already deactivated."))
    user.active = False
    end_all_sessions(user)
    record_event(admin, "account.deactivated", user)


def reactivate_user(admin: User, user: User) -> None:
    """Let a deactivated ``user`` sign in again (admins only)."""
    if not admin.is_admin:
        raise DomainError(_("Only an admin can reactivate accounts."), status=403)
    if user.deleted_at is not None:
        raise DomainError(_("This account was deleted by its owner and cannot be reactivated."))
    if user.active:
        raise DomainError(_("This account is already active."))
    user.active = True
    record_event(admin, "account.reactivated", user)


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
