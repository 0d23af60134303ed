"""Dataset forms."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import Optional

from trove.exports.service import NOTE_MAX, VersionRequest, version_problems
from trove.forms import RuleCheckedForm


def _share(label: LazyString, default: int) -> IntegerField:
    return IntegerField(
        label,
        default=default,
        validators=[Optional()],
        render_kw={"min": 0, "max": 100, "inputmode": "numeric"},
    )


def _day(label: LazyString) -> DateField:
    invalid = _l("Enter a date as YYYY-MM-DD.")
    return DateField(label, invalid_value_message=invalid, validators=[Optional()])


class VersionForm(RuleCheckedForm):
    """Cut a dataset version: the split, its seed, which approvals, a changelog note.

    The fields only parse; what makes a request acceptable is the service's rule
    (:func:`trove.exports.service.version_problems`), shown here on each field.
    """

    train_percent = _share(_l("Training"), 80)
    validation_percent = _share(_l("Validation"), 10)
    test_percent = _share(_l("Test"), 10)
    seed = StringField(_l("Seed"), render_kw={"maxlength": 64})
    approved_from = _day(_l("Approved from (optional)"))
    approved_until = _day(_l("Approved until (optional)"))
    exclude_near_duplicates = BooleanField(_l("Leave out photos flagged as near-duplicates"))
    note = TextAreaField(
        _l("Changelog note (optional)"), render_kw={"rows": 2, "maxlength": NOTE_MAX}
    )

    def problems(self) -> dict[str, str]:
        """Return what the version rule objects to in this request."""
        return version_problems(self.version_request())

    def version_request(self) -> VersionRequest:
        """Return the values as a request to cut a version (what did not parse is left out)."""
        return VersionRequest(
            train_percent=_or(self.train_percent.data, 80),
            validation_percent=_or(self.validation_percent.data, 10),
            test_percent=_or(self.test_percent.data, 10),
            seed=(self.seed.data or "").strip(),
            approved_from=self.approved_from.data,
            approved_until=self.approved_until.data,
            exclude_near_duplicates=bool(self.exclude_near_duplicates.data),
            note=self.note.data or "",
        )


def _or(value: int | None, default: int) -> int:
    return default if value is None else value
