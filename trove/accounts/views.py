"""Sign-up, sign-in, sign-out, password reset, invitations and the profile page."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, current_app, flash, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from trove.accounts import invitations, service, sessions
from trove.accounts import signup as signup_service
from trove.accounts.forms import (
    AcceptInvitationForm,
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmSignupForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    SignInLinkForm,
    SignupForm,
)
from trove.accounts.models import Invitation, SignupRequest, User
from trove.errors import DomainError
from trove.extensions import db, limiter, login_manager
from trove.htmx import apply_change, is_fragment_request, redirect_after_change, render
from trove.mail import send_mail, site_url
from trove.security import safe_next

bp = Blueprint("accounts", __name__)
bp.before_app_request(sessions.touch_current_session)
bp.after_app_request(sessions.reload_after_sign_in)


def _limit(key: str):  # type: ignore[no-untyped-def]
    return limiter.limit(lambda: current_app.config[key], methods=["POST"])


def _home_for(user: User) -> str:
    """Return where ``user`` starts after signing in: lab staff on their projects."""
    return url_for("projects.lab") if user.is_lab_member else url_for("main.index")


# --- sign up -------------------------------------------------------------------------------


@bp.get("/signup")
def signup_form() -> Response:
    """Show the sign-up form."""
    return render("accounts/signup.html", form=SignupForm(ref=request.args.get("ref", "")[:16]))


@bp.post("/signup")
@_limit("RATELIMIT_SIGNUP")
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
@_limit("RATELIMIT_RESET")
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
            flash=f"Welcome to {current_app.config['LAB_NAME']}, {user.display_name}.",
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


def _failed(response: Response) -> bool:
    """Count only failed attempts: a campus behind one address signs in freely."""
    return response.status_code == 422


@bp.post("/login")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"], deduct_when=_failed)
# Per account *and* address: a stranger guessing slows down only themselves, never locks
# the owner out (who can also always ask for an e-mailed sign-in link).
@limiter.limit(
    lambda: current_app.config["RATELIMIT_LOGIN_ACCOUNT"],
    key_func=_login_account,
    methods=["POST"],
    deduct_when=_failed,
)
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
                return redirect_after_change(safe_next(form.next.data, _home_for(user)))
            form.password.errors.append("That e-mail and password do not match an account.")
    return render("accounts/login.html", block="form", form=form, status=422)


@bp.post("/logout")
def logout() -> Response:
    """Sign out: this browser's session ends on the server too."""
    sessions.end_current_session()
    db.session.commit()
    return redirect_after_change(
        url_for("main.index"), flash="You are signed out.", category="info"
    )


# --- sign-in links -------------------------------------------------------------------------


@bp.get("/login/link")
def sign_in_link_form() -> Response:
    """Show the form that asks for an e-mailed sign-in link."""
    return render("accounts/sign_in_link.html", form=SignInLinkForm(), sent=False)


@bp.post("/login/link")
@_limit("RATELIMIT_RESET")
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
    return render("accounts/sign_in_link_use.html", token=token, form=FlaskForm(), error=None)


@bp.post("/login/link/<token>")
@_limit("RATELIMIT_RESET")
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
    return redirect_after_change(_home_for(user), flash=f"Welcome back, {user.display_name}.")


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
        token = service.make_reset_token(user)
        link = site_url(url_for("accounts.reset_password_form", token=token))
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
    sessions.begin_session(user)
    db.session.commit()
    return redirect_after_change(url_for("main.index"), flash="Your password has been changed.")


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
@_limit("RATELIMIT_SIGNUP")
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
        done=lambda _: redirect_after_change(
            _home_for(user), flash=f"Welcome to the {current_app.config['LAB_NAME']} team."
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
        flash=f"Sign in as {invite.email} to accept the invitation.",
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


def _field_error(form: FlaskForm, error: DomainError, default: str) -> None:
    getattr(form, error.field or default).errors.append(error.message)


@bp.get("/account")
@login_required
def profile_form() -> Response:
    """Show the account page: profile, password, e-mail address and signed-in browsers."""
    return _account_page()


def _account_form_answer(
    form: FlaskForm, block: str, name: str, default_field: str
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
        done=lambda _: _profile_saved(form),
        on_error=invalid,
    )


def _profile_saved(form: ProfileForm) -> Response:
    form.password.data = ""
    return redirect_after_change(
        url_for("accounts.profile_form"),
        flash="Your profile is saved.",
        template="accounts/profile.html",
        block="form",
        form=form,
        saved=True,
    )


@bp.post("/account/password")
@login_required
# A password check: guesses are limited like signing in (failures only).
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"], deduct_when=_failed)
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
        done=lambda _: redirect_after_change(
            url_for("accounts.profile_form"),
            flash="Your password is changed. Other browsers are signed out.",
        ),
        on_error=invalid,
    )


@bp.post("/account/email")
@login_required
# A password check: guesses are limited like signing in (failures only).
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"], deduct_when=_failed)
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
            flash=f"We sent a link to {new_email}. Your address changes once you open it.",
            category="info",
        ),
        on_error=invalid,
    )


@bp.get("/account/email/<token>")
def confirm_email_form(token: str) -> Response:
    """Show a button that confirms the new address (a GET changes nothing)."""
    return render("accounts/confirm_email.html", token=token, form=FlaskForm(), error=None)


@bp.post("/account/email/<token>")
@_limit("RATELIMIT_RESET")
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
        url_for(target), flash=f"Your account now uses {user.email}. Other browsers are signed out."
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
            url_for("main.index"), flash="You are signed out.", category="info"
        )
    location = url_for("accounts.profile_form")
    return apply_change(
        lambda: sessions.end_session(current_user, session_id),
        done=lambda _: redirect_after_change(location, flash="That browser is signed out."),
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
        url_for("accounts.login_form"), flash="You are signed out everywhere.", category="info"
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
