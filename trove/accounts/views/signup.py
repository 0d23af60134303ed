"""Joining: sign-up confirmed by an e-mailed link, and lab-member invitations."""

from __future__ import annotations

from flask import Response, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from trove.accounts import invitations, service, sessions
from trove.accounts import signup as signup_service
from trove.accounts.forms import (
    AcceptInvitationForm,
    ConfirmSignupForm,
    SignupForm,
)
from trove.accounts.models import Invitation, SignupRequest, User
from trove.accounts.views import bp, home_for, limit_post
from trove.errors import DomainError
from trove.extensions import db
from trove.htmx import apply_change, redirect_after_change, render
from trove.security import safe_next

# --- sign up -------------------------------------------------------------------------------


@bp.get("/signup")
def signup_form() -> Response:
    """Show the sign-up form."""
    return render("accounts/signup.html", form=SignupForm(ref=request.args.get("ref", "")[:16]))


@bp.post("/signup")
@limit_post("RATELIMIT_SIGNUP")
def signup() -> Response:
    """Ask for a contributor account: the answer is the same whether the address is taken."""
    form = SignupForm()
    if not form.validate_on_submit():
        return render("accounts/signup.html", block="form", form=form, status=422)
    signup_service.request_sign_up(
        form.email.data,
        form.password.data,
        form.display_name.data,
        referral_code=form.ref.data,
        next_url=safe_next(request.args.get("next"), "") or None,
    )
    db.session.commit()
    return redirect_after_change(url_for("accounts.signup_sent"))


@bp.get("/signup/sent")
def signup_sent() -> Response:
    """Say that a message is on its way (to a new address or to the address's owner)."""
    return render("accounts/signup_sent.html")


def _signup_link_error(error: DomainError) -> Response:
    return render("accounts/confirm_signup.html", error=error.message, status=error.status)


@bp.get("/signup/confirm/<token>")
def confirm_signup_form(token: str) -> Response:
    """Ask for the sign-up's password (a GET creates nothing: mail scanners open links)."""
    try:
        signup_service.find_signup(token)
    except DomainError as error:
        return _signup_link_error(error)
    return render("accounts/confirm_signup.html", form=ConfirmSignupForm(), token=token, error=None)


@bp.post("/signup/confirm/<token>")
@limit_post("RATELIMIT_RESET")
def confirm_signup(token: str) -> Response:
    """Create the account a valid link and its password confirm, and sign in."""
    try:
        pending = signup_service.find_signup(token)
    except DomainError as error:
        return _signup_link_error(error)
    form = ConfirmSignupForm()
    if not form.validate_on_submit():
        return _confirm_signup_again(form, token)
    return apply_change(
        lambda: _confirm(pending, form.password.data),
        done=lambda user: redirect_after_change(
            safe_next(pending.next_url, url_for("main.index")),
            flash=_(
                "Welcome to %(lab)s, %(name)s.",
                lab=current_app.config["LAB_NAME"],
                name=user.display_name,
            ),
        ),
        on_error=lambda error: _confirm_signup_again(form, token, error),
    )


def _confirm(pending: SignupRequest, password: str) -> User:
    user = signup_service.confirm_sign_up(pending, password)
    sessions.begin_session(user)
    return user


def _confirm_signup_again(
    form: ConfirmSignupForm, token: str, error: DomainError | None = None
) -> Response:
    if error is not None and error.field != "password":
        return _signup_link_error(error)
    if error is not None:
        form.password.errors.append(error.message)
    return render(
        "accounts/confirm_signup.html", block="form", form=form, token=token, error=None, status=422
    )


# --- invitations ---------------------------------------------------------------------------


@bp.get("/invitations/<token>")
def invitation(token: str) -> Response:
    """Show an invitation: accept it signed in, or create the lab-member account."""
    try:
        invite = invitations.find_invitation(token)
    except DomainError as error:
        return render("accounts/invitation.html", invite=None, error=error.message, status=404)
    existing = service.find_user_by_email(invite.email)
    return render(
        "accounts/invitation.html",
        invite=invite,
        token=token,
        existing=existing,
        form=AcceptInvitationForm(),
        error=None,
    )


@bp.post("/invitations/<token>")
@limit_post("RATELIMIT_SIGNUP")
def accept_invitation(token: str) -> Response:
    """Accept an invitation as the signed-in user, or by creating the account."""
    try:
        invite = invitations.find_invitation(token)
    except DomainError as error:
        return render("accounts/invitation.html", invite=None, error=error.message, status=404)
    existing = service.find_user_by_email(invite.email)
    form = AcceptInvitationForm()
    if existing is None:
        if not form.validate_on_submit():
            return _invitation_form(invite, token, form)
        user = service.create_user(invite.email, form.password.data, form.display_name.data)
    elif current_user.is_authenticated and current_user.id == existing.id:
        user = existing
    else:
        return _sign_in_to_accept(invite, token)
    return apply_change(
        lambda: _accept(invite, user),
        done=lambda _result: redirect_after_change(
            home_for(user),
            flash=_("Welcome to the %(lab)s team.", lab=current_app.config["LAB_NAME"]),
        ),
        on_error=lambda error: render(
            "accounts/invitation.html", invite=None, error=error.message, status=409
        ),
    )


def _accept(invite: Invitation, user: User) -> None:
    invitations.accept_invitation(invite, user)
    if not current_user.is_authenticated:
        sessions.begin_session(user)


def _sign_in_to_accept(invite: Invitation, token: str) -> Response:
    return redirect_after_change(
        url_for("accounts.login_form", next=url_for("accounts.invitation", token=token)),
        flash=_("Sign in as %(email)s to accept the invitation.", email=invite.email),
        category="info",
    )


def _invitation_form(invite: Invitation, token: str, form: AcceptInvitationForm) -> Response:
    return render(
        "accounts/invitation.html",
        block="form",
        invite=invite,
        token=token,
        existing=None,
        form=form,
        error=None,
        status=422,
    )
