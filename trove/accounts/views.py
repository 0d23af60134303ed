"""Sign-up, sign-in, sign-out, password reset, invitations and the profile page."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from trove.accounts import service
from trove.accounts.forms import (
    AcceptInvitationForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    SignupForm,
)
from trove.accounts.models import Invitation, User
from trove.errors import DomainError
from trove.extensions import db, limiter, login_manager
from trove.htmx import apply_change, is_fragment_request, redirect_after_change, render
from trove.mail import send_mail
from trove.security import safe_next

bp = Blueprint("accounts", __name__)


def _limit(key: str):  # type: ignore[no-untyped-def]
    return limiter.limit(lambda: current_app.config[key], methods=["POST"])


def absolute_url(endpoint: str, **values: object) -> str:
    """Return an absolute URL for e-mails, using BASE_URL when configured."""
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


@login_manager.user_loader
def load_user(login_id: str) -> User | None:
    """Load the signed-in user from the session's login id."""
    from sqlalchemy import select

    return db.session.scalar(select(User).where(User.login_id == login_id))


def _home_for(user: User) -> str:
    return url_for("main.index")


# --- sign up -------------------------------------------------------------------------------


@bp.get("/signup")
def signup_form() -> Response:
    """Show the sign-up form."""
    return render("accounts/signup.html", form=SignupForm(ref=request.args.get("ref", "")[:16]))


@bp.post("/signup")
@_limit("RATELIMIT_SIGNUP")
def signup() -> Response:
    """Create a contributor account and sign in."""
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = service.create_user(form.email.data, form.password.data, form.display_name.data)
            service.apply_referral(user, form.ref.data)
        except DomainError as error:
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            db.session.commit()
            login_user(user)
            flash(f"Welcome to {current_app.config['LAB_NAME']}, {user.display_name}.", "success")
            return redirect_after_change(safe_next(request.args.get("next"), url_for("main.index")))
    return render("accounts/signup.html", block="form", form=form, status=422)


# --- sign in / out -------------------------------------------------------------------------


@bp.get("/login")
def login_form() -> Response:
    """Show the sign-in form."""
    form = LoginForm(next=safe_next(request.args.get("next"), ""))
    return render("accounts/login.html", form=form)


def _login_account() -> str:
    """The account a sign-in attempt is for (its e-mail, normalised), as a limit key."""
    return "login:" + (request.form.get("email") or "").strip().lower()


@bp.post("/login")
@_limit("RATELIMIT_LOGIN")
# Guessing one account's password from many addresses: count the failures per account.
@limiter.limit(
    lambda: current_app.config["RATELIMIT_LOGIN_ACCOUNT"],
    key_func=_login_account,
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 422,
)
def login() -> Response:
    """Sign in with e-mail and password."""
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            login_user(user)
            return redirect_after_change(safe_next(form.next.data, _home_for(user)))
        form.password.errors.append("That e-mail and password do not match an account.")
    return render("accounts/login.html", block="form", form=form, status=422)


@bp.post("/logout")
def logout() -> Response:
    """Sign out."""
    logout_user()
    flash("You are signed out.", "info")
    return redirect_after_change(url_for("main.index"))


# --- password reset ------------------------------------------------------------------------


@bp.get("/password/forgot")
def forgot_password_form() -> Response:
    """Show the form that asks for a reset link."""
    return render("accounts/forgot.html", form=ForgotPasswordForm(), sent=False)


@bp.post("/password/forgot")
@_limit("RATELIMIT_RESET")
def forgot_password() -> Response:
    """E-mail a reset link if the address has an account (without saying whether)."""
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render("accounts/forgot.html", block="form", form=form, sent=False, status=422)
    user = service.find_user_by_email(form.email.data)
    if user is not None and user.active:
        link = absolute_url("accounts.reset_password_form", token=service.make_reset_token(user))
        minutes = int(current_app.config["PASSWORD_RESET_MAX_AGE"]) // 60
        send_mail(
            user.email,
            f"Reset your {current_app.config['LAB_NAME']} password",
            f"Hello {user.display_name},\n\nSomeone (hopefully you) asked to reset the password "
            f"of this account. Open this link within {minutes} minutes to choose a new one:\n\n"
            f"{link}\n\nIf you did not ask, ignore this message; your password stays as it is.\n",
        )
        db.session.commit()
    return render("accounts/forgot.html", block="form", form=form, sent=True)


@bp.get("/password/reset/<token>")
def reset_password_form(token: str) -> Response:
    """Show the new-password form for a valid link."""
    try:
        service.user_for_reset_token(token)
    except DomainError as error:
        return render(
            "accounts/reset.html", form=None, token=token, error=error.message, status=400
        )
    return render("accounts/reset.html", form=ResetPasswordForm(), token=token, error=None)


@bp.post("/password/reset/<token>")
@_limit("RATELIMIT_RESET")
def reset_password(token: str) -> Response:
    """Set a new password from a valid link and sign in."""
    try:
        user = service.user_for_reset_token(token)
    except DomainError as error:
        return render(
            "accounts/reset.html", form=None, token=token, error=error.message, status=400
        )
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        return render(
            "accounts/reset.html", block="form", form=form, token=token, error=None, status=422
        )
    service.set_password(user, form.password.data)
    db.session.commit()
    login_user(user)
    flash("Your password has been changed.", "success")
    return redirect_after_change(url_for("main.index"))


# --- invitations ---------------------------------------------------------------------------


@bp.get("/invitations/<token>")
def invitation(token: str) -> Response:
    """Show an invitation: accept it signed in, or create the lab-member account."""
    try:
        invite = service.find_invitation(token)
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
@_limit("RATELIMIT_SIGNUP")
def accept_invitation(token: str) -> Response:
    """Accept an invitation as the signed-in user, or by creating the account."""
    try:
        invite = service.find_invitation(token)
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
        return redirect_after_change(
            url_for("accounts.login_form", next=url_for("accounts.invitation", token=token)),
            flash=f"Sign in as {invite.email} to accept the invitation.",
            category="info",
        )
    return apply_change(
        lambda: service.accept_invitation(invite, user),
        done=lambda _: _welcome(user),
        on_error=lambda error: render(
            "accounts/invitation.html", invite=None, error=error.message, status=409
        ),
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


def _welcome(user: User) -> Response:
    if not current_user.is_authenticated:
        login_user(user)
    return redirect_after_change(
        url_for("main.index"), flash=f"Welcome to the {current_app.config['LAB_NAME']} team."
    )


# --- profile -------------------------------------------------------------------------------


@bp.get("/account")
@login_required
def profile_form() -> Response:
    """Show the profile form."""
    return render("accounts/profile.html", form=ProfileForm(obj=current_user), saved=False)


@bp.post("/account")
@login_required
def profile() -> Response:
    """Save the profile."""
    form = ProfileForm()
    if not form.validate_on_submit():
        return render("accounts/profile.html", block="form", form=form, saved=False, status=422)
    service.update_profile(
        current_user,
        display_name=form.display_name.data,
        paypal_email=form.paypal_email.data or None,
        country=form.country.data or None,
    )
    db.session.commit()
    return redirect_after_change(
        url_for("accounts.profile_form"),
        flash="Your profile is saved.",
        template="accounts/profile.html",
        block="form",
        form=form,
        saved=True,
    )


@login_manager.unauthorized_handler
def unauthorized() -> Response:
    """Send anonymous visitors to sign in; htmx requests get an HX-Redirect."""
    from urllib.parse import urlsplit

    from flask import redirect

    from trove.extensions import htmx

    target = request.full_path.rstrip("?") if request.method == "GET" else request.path
    if bool(htmx) and htmx.current_url:
        target = urlsplit(htmx.current_url).path or "/"
    location = url_for("accounts.login_form", next=safe_next(target, "/"))
    if is_fragment_request():
        response = Response(status=401)
        response.headers["HX-Redirect"] = location
        return response
    flash("Sign in to continue.", "info")
    return redirect(location)
