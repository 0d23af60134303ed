"""What forms share: WTForms' own messages in the person's language, loaded once per
language; fields that only parse, judged by the service's own rule."""

from __future__ import annotations

import functools
from typing import Any

from babel import support
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path


@functools.cache
def _wtforms_messages(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):
    """Every Trove form: Flask-WTF's, with WTForms' built-in messages ("This field is
    required.", …) in the person's language from a catalogue read once per language (Flask-WTF
    reads and parses it from disk again on every request that shows a message)."""

    class Meta:
        def get_translations(self, form: Any) -> Any:
            """Return WTForms' messages in the request's language."""
            return _wtforms_messages(str(get_locale() or "en"))


class RuleCheckedForm(Form):
    """A form whose fields only parse; the service's rule judges the values they make.

    So the rule has one home (the service, which enforces it again on every call) and the
    form still shows each objection on its own field, all at once.
    """

    def problems(self) -> dict[str, str]:
        """Return the service's objection per field name (empty: none)."""
        raise NotImplementedError

    def validate(self, extra_validators: Any = None) -> bool:
        """Parse the fields, then put the service's objections on the fields they concern."""
        super().validate(extra_validators)
        for name, message in self.problems().items():
            field = getattr(self, name)
            if not field.errors:  # what did not parse says so already
                field.errors = [message]
        return not any(field.errors for field in self)
