"""Account forms."""

from __future__ import annotations

from functools import cache
from operator import itemgetter

import pycountry
from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from trove.forms import Form
from trove.i18n import DEFAULT_LOCALE

PASSWORD_MIN = 10


def _email_field(label: str | None = None, required: bool = True) -> EmailField:
    checks = [DataRequired(message=_l("Enter your e-mail address."))] if required else [Optional()]
    return EmailField(
        label or _l("E-mail address"),
        validators=[
            *checks,
            Length(max=254, message=_l("That e-mail address is too long.")),
            Email(
                message=_l("Enter an e-mail address like name@example.org."),
                check_deliverability=False,
            ),
        ],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )


def _new_password_field() -> PasswordField:
    return PasswordField(
        _l("Password"),
        validators=[
            DataRequired(message=_l("Choose a password.")),
            Length(
                min=PASSWORD_MIN,
                max=256,
                message=_l("Use between %(min)s and 256 characters.", min=PASSWORD_MIN),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
        description=_l(
            "At least %(min)s characters. A short sentence works well.", min=PASSWORD_MIN
        ),
    )


def _display_name_field() -> StringField:
    return StringField(
        _l("Display name"),
        validators=[
            DataRequired(message=_l("Enter the name others will see.")),
            Length(max=80, message=_l("Keep it under 80 characters.")),
        ],
        render_kw={"autocomplete": "nickname"},
        description=_l("Shown to labs next to your questions. It need not be your real name."),
    )


@cache
def _countries(locale: str) -> tuple[SelectChoice, ...]:
    # English keeps ISO 3166's own names; other languages use the names CLDR gives them.
    names = {} if locale == DEFAULT_LOCALE else Locale.parse(locale).territories
    countries = [(c.alpha_2, names.get(c.alpha_2, c.name)) for c in pycountry.countries]
    return tuple(SelectChoice(code, name) for code, name in sorted(countries, key=itemgetter(1)))


def country_choices() -> list[SelectChoice]:
    """Return ISO 3166 countries as choices, named and sorted in the page's language."""
    return [SelectChoice("", _l("Choose a country")), *_countries(str(get_locale()))]


class SignupForm(Form):
    """Create a contributor account."""

    email = _email_field()
    display_name = _display_name_field()
    password = _new_password_field()
    ref = HiddenField(validators=[Optional(), Length(max=16)])  # a referral code, if any


class ConfirmSignupForm(Form):
    """Finish a sign-up from its e-mailed link with the password chosen then."""

    password = PasswordField(
        _l("The password you chose"),
        validators=[DataRequired(message=_l("Enter the password you chose.")), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )


class LoginForm(Form):
    """Sign in."""

    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password.")), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class ForgotPasswordForm(Form):
    """Ask for a password-reset link."""

    email = _email_field()


def _confirm_field() -> PasswordField:
    return PasswordField(
        _l("Repeat the password"),
        validators=[
            DataRequired(message=_l("Repeat the password.")),
            EqualTo("password", message=_l("The two passwords differ.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


def _current_password_field(label: str | None = None) -> PasswordField:
    return PasswordField(
        label or _l("Your current password"),
        validators=[DataRequired(message=_l("Enter your current password.")), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )


class ResetPasswordForm(Form):
    """Choose a new password from a reset link."""

    password = _new_password_field()
    confirm = _confirm_field()


class SignInLinkForm(Form):
    """Ask for an e-mailed sign-in link."""

    email = _email_field()


class ChangePasswordForm(Form):
    """Change the password, knowing the current one."""

    current_password = _current_password_field()
    password = _new_password_field()
    confirm = _confirm_field()


class ChangeEmailForm(Form):
    """Move the account to a new e-mail address (confirmed from that address)."""

    email = _email_field(_l("New e-mail address"))
    password = _current_password_field(_l("Your password"))


class InviteForm(Form):
    """Invite someone to join the lab."""

    email = _email_field(_l("Their e-mail address"))


class AcceptInvitationForm(Form):
    """Create a lab-member account from an invitation."""

    display_name = _display_name_field()
    password = _new_password_field()


class ProfileForm(Form):
    """Edit the contributor's profile."""

    display_name = _display_name_field()
    paypal_email = _email_field(_l("PayPal e-mail address"), required=False)
    country = SelectField(_l("Country"), validators=[Optional()], choices=[], validate_choice=False)
    password = PasswordField(
        _l("Your password"),
        validators=[Optional(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
        description=_l("Needed only when you change the PayPal address."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()
        self.paypal_email.description = _l(
            "Approved photos are paid to this PayPal account. Leave empty until you are ready."
        )

    def validate_country(self, field: SelectField) -> None:
        """Accept only ISO 3166 country codes."""
        if field.data and field.data not in {choice.value for choice in country_choices()}:
            raise ValidationError(_l("Choose a country from the list."))
