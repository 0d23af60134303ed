"""Signing in and out: passwords, e-mailed sign-in links, password resets."""

from __future__ import annotations

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from trove.accounts import service, sessions
from trove.accounts.forms import (
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
    SignInLinkForm,
)
from trove.accounts.views import bp, home_for, limit_failures, limit_post
from trove.errors import DomainError
from trove.extensions import db, login_manager
from trove.forms import Form
from trove.htmx import is_fragment_request, redirect_after_change, render
from trove.security import safe_next

# --- sign in / out -------------------------------------------------------------------------


@bp.get("/login")
def login_form() -> Response:
    """Show the sign-in form."""
    form = LoginForm(next=safe_next(request.args.get("next"), ""))
    return render("accounts/login.html", form=form)


def _login_account() -> str:
    """The account and address of a sign-in attempt, as a limit key."""
    email = (request.form.get("email") or "").strip().lower()
    return f"login:{email}|{get_remote_address()}"


@bp.post("/login")
@limit_failures("RATELIMIT_LOGIN")
# Per account *and* address: a stranger guessing slows down only themselves, never locks
# the owner out (who can also always ask for an e-mailed sign-in link).
@limit_failures("RATELIMIT_LOGIN_ACCOUNT", key_func=_login_account)
def login() -> Response:
    """Sign in with e-mail and password."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.email.data, form.password.data)
        except DomainError as error:
            form.password.errors.append(error.message)  # a deactivated account
        else:
            if user is not None:
                sessions.begin_session(user)
                db.session.commit()
                return redirect_after_change(safe_next(form.next.data, home_for(user)))
            form.password.errors.append(_("That e-mail and password do not match an account."))
    return render("accounts/login.html", block="form", form=form, status=422)


@bp.post("/logout")
def logout() -> Response:
    """Sign out: this browser's session ends on the server too."""
    sessions.end_current_session()
    db.session.commit()
    return redirect_after_change(
        url_for("main.index"), flash=_("You are signed out."), category="info"
    )


# --- sign-in links -------------------------------------------------------------------------


@bp.get("/login/link")
def sign_in_link_form() -> Response:
    """Show the form that asks for an e-mailed sign-in link."""
    return render("accounts/sign_in_link.html", form=SignInLinkForm(), sent=False)


@bp.post("/login/link")
@limit_post("RATELIMIT_RESET")
def send_sign_in_link() -> Response:
    """E-mail a sign-in link if the address has an account (without saying whether)."""
    form = SignInLinkForm()
    if not form.validate_on_submit():
        return render("accounts/sign_in_link.html", block="form", form=form, sent=False, status=422)
    service.send_sign_in_link(form.email.data)
    db.session.commit()
    return render("accounts/sign_in_link.html", block="form", form=form, sent=True)


@bp.get("/login/link/<token>")
def sign_in_link(token: str) -> Response:
    """Show a button that signs in (a GET must not spend the link: mail scanners open it)."""
    return render("accounts/sign_in_link_use.html", token=token, form=Form(), error=None)


@bp.post("/login/link/<token>")
@limit_post("RATELIMIT_RESET")
def use_sign_in_link(token: str) -> Response:
    """Sign in with a valid e-mailed link."""
    try:
        user = service.sign_in_with_link(token)
    except DomainError as error:
        return render(
            "accounts/sign_in_link_use.html",
            token=token,
            form=None,
            error=error.message,
            status=400,
        )
    sessions.begin_session(user)
    db.session.commit()
    return redirect_after_change(
        home_for(user), flash=_("Welcome back, %(name)s.", name=user.display_name)
    )


# --- password reset ------------------------------------------------------------------------


@bp.get("/password/forgot")
def forgot_password_form() -> Response:
    """Show the form that asks for a reset link."""
    return render("accounts/forgot.html", form=ForgotPasswordForm(), sent=False)


@bp.post("/password/forgot")
@limit_post("RATELIMIT_RESET")
def forgot_password() -> Response:
    """E-mail a reset link if the address has an account (without saying whether)."""
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render("accounts/forgot.html", block="form", form=form, sent=False, status=422)
    service.send_password_reset(form.email.data)
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
@limit_post("RATELIMIT_RESET")
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
    sessions.begin_session(user)
    db.session.commit()
    return redirect_after_change(url_for("main.index"), flash=_("Your password has been changed."))


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
    flash(_("Sign in to continue."), "info")
    return redirect(location)
