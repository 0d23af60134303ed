"""Template globals and filters shared by every page.

Globals and filters are registered one way, through Flask's API: app-wide ones here (and
identity's rules) with ``app.add_template_global``/``add_template_filter``, a feature's
own with ``@bp.app_template_global``/``app_template_filter`` or
``bp.add_app_template_global`` in its views module; never by writing ``jinja_env.globals``.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from trove import i18n, identity
from trove.contests.models import ContestStatus
from trove.exports.models import DatasetVersionStatus
from trove.payouts.models import EarningStatus, PayoutBatchStatus, PayoutItemStatus
from trove.projects.models import ProjectStatus
from trove.submissions.models import SubmissionStatus

_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def linkify(text: str | None) -> Markup:
    """Escape plain text and turn http(s) URLs into links; keep line breaks."""
    if not text:
        return Markup("")
    out: list[str] = []
    pos = 0
    for match in _URL.finditer(text):
        out.append(str(escape(text[pos : match.start()])))
        url = escape(match.group(0))
        out.append(f'<a href="{url}" rel="nofollow noopener noreferrer" target="_blank">{url}</a>')
        pos = match.end()
    out.append(str(escape(text[pos:])))
    # Every piece was escaped above; only our own <a> and <br> tags are markup.
    return Markup("".join(out).replace("\n", "<br>"))  # noqa: S704


def init_app(app: Flask) -> None:
    """Register filters and globals."""
    app.add_template_filter(linkify)
    # Dates, times and money in the viewer's language and time zone (trove/i18n.py).
    app.add_template_filter(i18n.format_datetime, "datetime")
    app.add_template_filter(i18n.format_date, "date")
    app.add_template_filter(i18n.format_money, "money")
    app.add_template_global(lab_name)
    app.add_template_global(nav_links)
    identity.init_app(app)
    # Form macros are globals, not per-template imports, so that htmx fragments rendered
    # from a single block (jinja2-fragments) can use them too.
    for name in ("field", "form_errors", "csrf"):
        app.add_template_global(_macro(app.jinja_env, "_macros/forms.html", name), name)
    # The state enums, so templates ask ``x.status == XStatus.Y`` instead of comparing
    # strings (tests/test_templates.py checks every state named exists).
    for status in (
        ContestStatus,
        DatasetVersionStatus,
        EarningStatus,
        PayoutBatchStatus,
        PayoutItemStatus,
        ProjectStatus,
        SubmissionStatus,
    ):
        app.add_template_global(status, status.__name__)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _macro(env: Any, template: str, name: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(env.get_template(template).module, name)(*args, **kwargs)

    return call


def lab_name() -> str:
    """Return the lab's name as configured."""
    return current_app.config["LAB_NAME"]


def nav_links() -> list[tuple[str, str]]:
    """Return the main navigation entries for the current user."""
    links: list[tuple[str, str]] = [("projects.index", _("Projects"))]
    if current_user.is_authenticated:
        links.append(("submissions.mine", _("My photos")))
    if current_user.is_authenticated and current_user.is_lab_member:
        links.append(("projects.lab", _("Your projects")))
    if current_user.is_authenticated and current_user.is_admin:
        links.append(("admin.dashboard", _("Admin")))
    if current_user.is_authenticated:
        # The unread count follows the label (templates/notifications/_nav_count.html).
        links.append(("notifications.index", _("Notifications")))
    return links
