"""Contest forms."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, IntegerField, StringField, TextAreaField
from wtforms.validators import Optional

from trove.contests.service import MAX_BONUS, MAX_WINNERS, ContestTerms, contest_problems
from trove.forms import RuleCheckedForm

#: How a datetime-local input sends a time (with seconds when the browser adds them).
MINUTES = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]


def _when(label: LazyString) -> DateTimeLocalField:
    invalid = _l("Enter a date and time.")
    return DateTimeLocalField(
        label, format=MINUTES, invalid_value_message=invalid, validators=[Optional()]
    )


class ContestForm(RuleCheckedForm):
    """Start a contest: what it promises, its window and how many win.

    The fields only parse; what makes terms acceptable is the service's rule
    (:func:`trove.contests.service.contest_problems`), shown here on each field.
    """

    title = StringField(_l("Name"), render_kw={"maxlength": 120})
    prize = StringField(
        _l("Prize"),
        description=_l("For example: a $500 gift card."),
        render_kw={"maxlength": 200},
    )
    rules = TextAreaField(
        _l("Rules"),
        description=_l("Who can take part, how entries count, how and when winners are told."),
        render_kw={"rows": 4},
    )
    starts_at = _when(_l("Starts (UTC)"))
    ends_at = _when(_l("Ends (UTC)"))
    winner_count = IntegerField(
        _l("Winners"), default=1, validators=[Optional()], render_kw={"min": 1, "max": MAX_WINNERS}
    )
    referral_bonus = IntegerField(
        _l("Bonus entries per referral"),
        default=0,
        validators=[Optional()],
        description=_l(
            "Entries for each new contributor someone brings whose photo is approved (0 for none)."
        ),
        render_kw={"min": 0, "max": MAX_BONUS},
    )

    def problems(self) -> dict[str, str]:
        """Return what the contest rule objects to in these terms."""
        return contest_problems(self.terms())

    def terms(self) -> ContestTerms:
        """Return the values as the contest's terms (what did not parse is left out)."""
        return ContestTerms(
            title=self.title.data or "",
            prize=self.prize.data or "",
            rules=self.rules.data or "",
            starts_at=self.starts_at.data and self.starts_at.data.replace(second=0),
            ends_at=self.ends_at.data and self.ends_at.data.replace(second=0),
            winner_count=1 if self.winner_count.data is None else self.winner_count.data,
            referral_bonus=self.referral_bonus.data or 0,
        )
