"""What forms share: fields that only parse, judged by the service's own rule."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm


class RuleCheckedForm(FlaskForm):
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
