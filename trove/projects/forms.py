"""Wizard, vetting, team and catalogue forms."""

from __future__ import annotations

from datetime import date
from typing import Any, BinaryIO

from flask import flash
from flask_babel import LazyString, format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from trove.errors import DomainError
from trove.forms import Form
from trove.i18n import format_money
from trove.money import CURRENCIES, MoneyError, parse_money
from trove.projects.models import BRIEF_FIELDS, MAX_LONG_EDGE, MIN_LONG_EDGE, TeamRole
from trove.projects.photo_rules import EXCLUSIONS, PeoplePolicy


def _lazy_label(member: Any) -> LazyString:
    """Return an enum member's label, read in the page's language when shown."""
    return LazyString(lambda: member.label)


def _under(max_chars: int) -> LazyString:
    """Return "Keep it under N characters." with N in the page's language."""
    return LazyString(
        lambda: _("Keep it under %(count)s characters.", count=format_number(max_chars))
    )


def _text(label: str, max_chars: int, *, required: bool = True, **kwargs: Any) -> TextAreaField:
    checks = [DataRequired(message=_l("This cannot be empty."))] if required else [Optional()]
    return TextAreaField(
        label,
        validators=[
            *checks,
            Length(max=max_chars, message=_under(max_chars)),
        ],
        render_kw={"maxlength": max_chars, "rows": kwargs.pop("rows", 4)},
        **kwargs,
    )


def show_refusal(form: Form, error: DomainError) -> None:
    """Show a service's refusal on the field it names, or flash it for the whole form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def _future(form: Form, field: DateField) -> None:
    if field.data is not None and field.data <= date.today():
        raise ValidationError(_("Choose a date in the future."))


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BriefForm(Form):
    """A wizard step: its fields named like brief fields are saved to the brief."""

    #: Optional text fields the brief stores as NULL when left empty.
    nullable_fields: tuple[str, ...] = ()

    def brief_data(self) -> dict[str, Any]:
        """Return the validated values as brief fields, text trimmed."""
        data = {}
        for field in self:
            name = field.short_name
            if name not in BRIEF_FIELDS:
                continue
            value = field.data
            if isinstance(field, StringField):  # text areas too
                value = (value or "").strip() or (None if name in self.nullable_fields else "")
            data[name] = value
        return data


class PurposeForm(BriefForm):
    """Step 1: what the model is for and who benefits."""

    title = StringField(
        _l("Project title"),
        validators=[
            DataRequired(message=_l("Give the project a title.")),
            Length(min=3, max=120, message=_l("Use 3 to 120 characters.")),
        ],
        description=_l(
            "Contributors see this first. Say what you are collecting, e.g. "
            "“Empty shelves in corner shops”."
        ),
        render_kw={"maxlength": 120},
    )
    summary = _text(
        _l("What is the model for?"),
        2000,
        description=_l("In plain words, what will the model do once trained?"),
    )
    beneficiaries = _text(
        _l("Who benefits?"),
        2000,
        required=False,
        description=_l("Who will use what you build, and how it helps them."),
    )


class DataUseForm(BriefForm):
    """Step 2: what to shoot, how photos are used, kept and licensed."""

    nullable_fields = ("ethics_reference",)

    must_show = _text(
        _l("What the photos must show"),
        4000,
        description=_l(
            "Be specific: subject, angle, light, distance, how much of the frame it fills."
        ),
    )
    must_not_show = _text(_l("What the photos must not show"), 4000, required=False)
    exclusions = MultiCheckboxField(
        _l("Never in a photo"),
        choices=[SelectChoice(key, label) for key, label in EXCLUSIONS.items()],  # lazy labels
        validators=[Optional()],
    )
    people_policy = RadioField(
        _l("People in the photos are"),
        choices=[SelectChoice(policy.value, _lazy_label(policy)) for policy in PeoplePolicy],
        validate_choice=False,  # checked below, so an old form without it keeps the choice
        description=_l(
            "Decides whether Trove looks for faces and blurs them before the team "
            "sees a photo. Contributors read this on the brief."
        ),
    )
    usage = _text(
        _l("How the photos will be used"),
        4000,
        description=_l("Training, testing, publication of examples, sharing with partners…"),
    )
    access = _text(
        _l("Who can access the photos"),
        2000,
        description=_l("E.g. “the five people on this project team at the lab”."),
    )
    retention_days = IntegerField(
        _l("How long photos are kept (days)"),
        validators=[
            InputRequired(message=_l("Say how many days photos are kept.")),
            NumberRange(min=1, max=3650, message=_l("Between 1 day and 10 years (3,650 days).")),
        ],
        description=_l("After this, stored photos are deleted."),
    )
    withdrawal_grace_days = IntegerField(
        _l("Days before a withdrawn photo is deleted"),
        default=30,
        validators=[
            InputRequired(message=_l("Say how many days a withdrawn photo is kept.")),
            NumberRange(min=0, max=90, message=_l("Between 0 (at once) and 90 days.")),
        ],
        description=_l(
            "Time for the team to take it out of copies of earlier dataset versions; "
            "the photo leaves every new version at once."
        ),
    )
    licence_text = _text(
        _l("The licence contributors grant"),
        10000,
        rows=8,
        description=_l(
            "Edit the template to fit. Contributors agree to this exact text; "
            "changing it later creates a new version of the brief."
        ),
    )
    ethics_reference = StringField(
        _l("Ethics approval reference (optional)"),
        validators=[Optional(), Length(max=120, message=_l("Keep it under 120 characters."))],
        render_kw={"maxlength": 120},
    )
    ethics_expires_on = DateField(
        _l("Ethics approval expires on (optional)"),
        validators=[Optional(), _future],
        description=_l("The project closes by itself on this date."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kwargs.get("formdata", True) is None and not self.people_policy.data:
            # Shown for the first time: offer the safe choice, blurring bystanders.
            self.people_policy.data = PeoplePolicy.BLUR.value

    def validate_people_policy(self, field: RadioField) -> None:
        """Refuse a value that is not one of the choices (none sent keeps the saved one)."""
        if field.data not in (None, "") and field.data not in set(PeoplePolicy):
            raise ValidationError(_("Choose one of the options."))

    def brief_data(self) -> dict[str, Any]:
        """Return the brief fields; the people policy only when one was chosen."""
        data = super().brief_data()
        if not data.get("people_policy"):
            data.pop("people_policy", None)
        return data


class ExampleForm(Form):
    """Step 3: one example photo, good or bad, with a caption."""

    image = FileField(_l("Example photo"))
    caption = StringField(
        _l("Caption"),
        validators=[
            DataRequired(message=_l("Say what the example shows.")),
            Length(max=200, message=_l("Keep it under 200 characters.")),
        ],
        render_kw={"maxlength": 200},
    )
    kind = SelectField(
        _l("This is an example of"),
        choices=[
            SelectChoice("good", _l("a good photo")),
            SelectChoice("bad", _l("a photo we cannot use")),
        ],
    )

    def photo(self) -> BinaryIO | None:
        """Return the chosen photo's stream, or None when no file was chosen."""
        image = self.image.data
        return image.stream if image and image.filename else None


class QuantityPayForm(BriefForm):
    """Step 4: how many photos, what each pays, limits and deadline."""

    target_count = IntegerField(
        _l("Target number of photos"),
        validators=[
            InputRequired(message=_l("How many photos do you need?")),
            NumberRange(min=1, max=1_000_000, message=_l("Between 1 and 1,000,000 photos.")),
        ],
    )
    currency = SelectField(
        _l("Currency"), choices=[SelectChoice(code, code) for code in CURRENCIES], default="USD"
    )
    pay = StringField(
        _l("Pay per approved photo"),
        validators=[DataRequired(message=_l("Say what each approved photo pays."))],
        description=_l("Paid through PayPal for every approved photo, e.g. 1.50."),
        render_kw={"inputmode": "decimal", "maxlength": 16},
    )
    per_contributor_limit = IntegerField(
        _l("Most photos from one contributor (optional)"),
        validators=[Optional(), NumberRange(min=1, max=1_000_000, message=_l("At least 1."))],
    )
    deadline = DateField(
        _l("Deadline"), validators=[InputRequired(message=_l("Choose a deadline.")), _future]
    )
    min_width = IntegerField(
        _l("Minimum width in pixels (optional)"),
        validators=[Optional(), NumberRange(min=0, max=20000, message=_l("Between 0 and 20,000."))],
    )
    min_height = IntegerField(
        _l("Minimum height in pixels (optional)"),
        validators=[Optional(), NumberRange(min=0, max=20000, message=_l("Between 0 and 20,000."))],
    )

    max_long_edge = IntegerField(
        _l("Resize photos on the phone to at most this many pixels on the long side (optional)"),
        validators=[
            Optional(),
            NumberRange(
                min=MIN_LONG_EDGE,
                max=MAX_LONG_EDGE,
                message=LazyString(
                    lambda: _(
                        "Between %(low)s and %(high)s pixels.",
                        low=format_number(MIN_LONG_EDGE),
                        high=format_number(MAX_LONG_EDGE),
                    )
                ),
            ),
        ],
        description=_l(
            "Smaller uploads for contributors; photos are re-encoded (lossy). "
            "Leave empty to receive photos as taken."
        ),
    )

    pay_minor: int | None = None

    def validate_pay(self, field: StringField) -> None:
        """Parse the pay exactly into minor units of the chosen currency."""
        try:
            minor = parse_money(field.data or "", self.currency.data)
        except MoneyError as error:
            raise ValidationError(str(error)) from None
        if minor <= 0:
            raise ValidationError(_("Every approved photo must pay something."))
        if minor > 100_000_00:
            raise ValidationError(_("That is more than Trove pays for one photo."))
        self.pay_minor = minor

    def validate_per_contributor_limit(self, field: IntegerField) -> None:
        """Keep the per-contributor limit within the target."""
        if field.data and self.target_count.data and field.data > self.target_count.data:
            raise ValidationError(_("It cannot be more than the target."))

    def validate_max_long_edge(self, field: IntegerField) -> None:
        """Keep the resize limit at or above the minimum size the brief asks for."""
        smallest = max(self.min_width.data or 0, self.min_height.data or 0)
        if field.data and field.data < smallest:
            raise ValidationError(
                _(
                    "It cannot be below the minimum size (%(size)s px).",
                    size=format_number(smallest),
                )
            )

    def brief_data(self) -> dict[str, Any]:
        """Return the validated values as brief fields."""
        return {
            "target_count": self.target_count.data,
            "currency": self.currency.data,
            "pay_minor": self.pay_minor,
            "per_contributor_limit": self.per_contributor_limit.data or None,
            "deadline": self.deadline.data,
            "min_width": self.min_width.data or 0,
            "min_height": self.min_height.data or 0,
            "max_long_edge": self.max_long_edge.data or None,
        }

    def budget_text(self) -> str | None:
        """Return the total budget the current values commit (in the page's language), if valid."""
        if self.pay_minor and self.target_count.data:
            return format_money(self.pay_minor * self.target_count.data, self.currency.data)
        return None


class RulesForm(Form):
    """Step 5: confirm the guide to collecting data from the public."""

    confirm = BooleanField(
        _l("I have read the guide and this project follows it"),
        validators=[DataRequired(message=_l("Confirm the guide to submit the project."))],
    )


class SendBackForm(Form):
    """Vetting: send a brief back with comments."""

    comment = _text(_l("What needs to change"), 4000, rows=5)


class TeamMemberForm(Form):
    """Add a lab member to the team."""

    email = StringField(
        _l("Lab member's e-mail address"),
        validators=[
            DataRequired(message=_l("Enter their e-mail address.")),
            Length(max=254),
            Email(
                message=_l("Enter an e-mail address like name@example.org."),
                check_deliverability=False,
            ),
        ],
    )
    role = SelectField(
        _l("Role"), choices=[SelectChoice(r.value, _lazy_label(r)) for r in TeamRole]
    )


class RoleChangeForm(Form):
    """Change a team member's role."""

    role = SelectField(
        _l("Role"), choices=[SelectChoice(r.value, _lazy_label(r)) for r in TeamRole]
    )


class CloseForm(Form):
    """Close a project early."""

    reason = StringField(
        _l("Why close it? (shown to contributors)"),
        validators=[Optional(), Length(max=200, message=_l("Keep it under 200 characters."))],
    )
