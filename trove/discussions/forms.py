"""The one form of the Q&A: a plain-text post body."""

from __future__ import annotations

from typing import Any

from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Field, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from trove.discussions.models import BODY_MAX
from trove.forms import Form


def clean_text(value: str | None) -> str:
    """Return ``value`` with Windows line ends and NUL characters gone, trimmed."""
    if not value:
        return ""
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


def too_long(length: int) -> str:
    """Say that a post of ``length`` characters is over the limit."""
    return _(
        "Keep it to %(max)s characters or fewer; this has %(length)s.",
        max=format_number(BODY_MAX),
        length=format_number(length),
    )


def _at_most(form: Form, field: Field) -> None:
    if field.data and len(field.data) > BODY_MAX:
        raise ValidationError(too_long(len(field.data)))


def _body_field(label: Any, empty: Any) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[clean_text],
        validators=[DataRequired(message=empty), _at_most],
        render_kw={"rows": 4, "maxlength": BODY_MAX},
        description=_l(
            "Plain text; links become clickable. Everyone who can read the brief "
            "sees your display name next to it."
        ),
    )


class PostForm(Form):
    """Write a question."""

    body = _body_field(_l("Your question"), _l("Write your question first."))


class ReplyForm(PostForm):
    """Reply to a question."""

    body = _body_field(_l("Your reply"), _l("Write your reply first."))


class EditForm(PostForm):
    """Edit one's own post."""

    body = _body_field(_l("Edit your post"), _l("A post cannot be empty. Delete it instead."))


_FORMS: dict[str, type[PostForm]] = {"question": PostForm, "reply": ReplyForm, "edit": EditForm}


def post_form(kind: str, dom_id: str, *, fresh: bool = False, **kwargs: Any) -> PostForm:
    """Return the ``kind`` form (question, reply, edit) whose textarea has DOM id ``dom_id``.

    ``fresh`` builds an empty form even during a POST (a new reply box under a question
    that was just posted must not echo the question's text).
    """
    if fresh:
        kwargs["formdata"] = None
    form = _FORMS[kind](**kwargs)
    # Many reply boxes share a page; each textarea needs its own id for its label.
    form.body.id = dom_id
    form.body.label.field_id = dom_id
    return form
