"""The account page: profile, password, e-mail address and signed-in browsers."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from trove.accounts import service, sessions
from trove.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ProfileForm,
)
from trove.accounts.models import User
from trove.accounts.views import bp, limit_failures, limit_post
from trove.errors import DomainError
from trove.extensions import db
from trove.forms import Form
from trove.htmx import apply_change, redirect_after_change, render

# --- profile -------------------------------------------------------------------------------


def _account_page(*, block: str | None = None, status: int = 200, **forms: object) -> Response:
    """Render the account page; ``forms`` replace the blank forms (to show their errors)."""
    context: dict[str, object] = {
        "form": ProfileForm(obj=current_user, formdata=None),
        "password_form": ChangePasswordForm(formdata=None),
        "email_form": ChangeEmailForm(formdata=None),
        "saved": False,
        "sessions": sessions.list_sessions(current_user),
        "this_session": sessions.current_session(),
    }
    context.update(forms)
    return render("accounts/profile.html", block=block, status=status, **context)


def _field_error(form: Form, error: DomainError, default: str) -> None:
    getattr(form, error.field or default).errors.append(error.message)


@bp.get("/account")
@login_required
def profile_form() -> Response:
    """Show the account page: profile, password, e-mail address and signed-in browsers."""
    return _account_page()


def _account_form_answer(
    form: Form, block: str, name: str, default_field: str
) -> Callable[[DomainError | None], Response]:
    """Answer an invalid or refused account form: its block again, the message on a field."""

    def answer(error: DomainError | None = None) -> Response:
        if error is not None:
            _field_error(form, error, default_field)
        return _account_page(block=block, status=422, **{name: form})

    return answer


@bp.post("/account")
@login_required
def profile() -> Response:
    """Save the profile (a new PayPal address needs the password)."""
    form = ProfileForm()
    invalid = _account_form_answer(form, "form", "form", "password")
    if not form.validate_on_submit():
        return invalid()
    return apply_change(
        lambda: service.update_profile(
            current_user,
            display_name=form.display_name.data,
            paypal_email=form.paypal_email.data or None,
            country=form.country.data or None,
            password=form.password.data,
        ),
        done=lambda _result: _profile_saved(form),
        on_error=invalid,
    )


def _profile_saved(form: ProfileForm) -> Response:
    form.password.data = ""
    return redirect_after_change(
        url_for("accounts.profile_form"),
        flash=_("Your profile is saved."),
        template="accounts/profile.html",
        block="form",
        form=form,
        saved=True,
    )


@bp.post("/account/password")
@login_required
# A password check: guesses are limited like signing in (failures only).
@limit_failures("RATELIMIT_LOGIN")
def change_password() -> Response:
    """Change the password; every other browser is signed out."""
    form = ChangePasswordForm()
    invalid = _account_form_answer(form, "password_form", "password_form", "current_password")
    if not form.validate_on_submit():
        return invalid()
    return apply_change(
        lambda: service.change_password(
            current_user, form.current_password.data, form.password.data
        ),
        done=lambda _result: redirect_after_change(
            url_for("accounts.profile_form"),
            flash=_("Your password is changed. Other browsers are signed out."),
        ),
        on_error=invalid,
    )


@bp.post("/account/email")
@login_required
# A password check: guesses are limited like signing in (failures only).
@limit_failures("RATELIMIT_LOGIN")
def change_email() -> Response:
    """Send a confirmation link to a new e-mail address."""
    form = ChangeEmailForm()
    invalid = _account_form_answer(form, "email_form", "email_form", "email")
    if not form.validate_on_submit():
        return invalid()
    return apply_change(
        lambda: service.request_email_change(current_user, form.password.data, form.email.data),
        done=lambda new_email: redirect_after_change(
            url_for("accounts.profile_form"),
            flash=_(
                "We sent a link to %(email)s. Your address changes once you open it.",
                email=new_email,
            ),
            category="info",
        ),
        on_error=invalid,
    )


@bp.get("/account/email/<token>")
def confirm_email_form(token: str) -> Response:
    """Show a button that confirms the new address (a GET changes nothing)."""
    return render("accounts/confirm_email.html", token=token, form=Form(), error=None)


@bp.post("/account/email/<token>")
@limit_post("RATELIMIT_RESET")
def confirm_email(token: str) -> Response:
    """Move the account to the address the link was sent to."""
    return apply_change(
        lambda: service.confirm_email_change(token),
        done=_email_changed,
        on_error=lambda error: render(
            "accounts/confirm_email.html", token=token, form=None, error=error.message, status=400
        ),
    )


def _email_changed(user: User) -> Response:
    target = "accounts.profile_form" if current_user.is_authenticated else "accounts.login_form"
    return redirect_after_change(
        url_for(target),
        flash=_(
            "Your account now uses %(email)s. Other browsers are signed out.", email=user.email
        ),
    )


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int) -> Response:
    """Sign one browser out."""
    this = sessions.current_session()
    if this is not None and this.id == session_id:
        sessions.end_current_session()
        db.session.commit()
        return redirect_after_change(
            url_for("main.index"), flash=_("You are signed out."), category="info"
        )
    location = url_for("accounts.profile_form")
    return apply_change(
        lambda: sessions.end_session(current_user, session_id),
        done=lambda _result: redirect_after_change(
            location, flash=_("That browser is signed out.")
        ),
        # Already ended elsewhere: nothing is wrong, so it is news, not an error.
        on_error=lambda error: redirect_after_change(
            location, flash=error.message, category="info"
        ),
    )


@bp.post("/account/sessions/end-all")
@login_required
def end_all_sessions() -> Response:
    """Sign out everywhere, this browser included."""
    sessions.end_all_sessions(current_user)
    sessions.end_current_session()
    db.session.commit()
    return redirect_after_change(
        url_for("accounts.login_form"), flash=_("You are signed out everywhere."), category="info"
    )
