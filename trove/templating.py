"""Template globals and filters shared by every page."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from markupsafe import Markup, escape

from trove.money import format_money

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


def format_datetime(value: datetime | None, fmt: str = "%d %b %Y, %H:%M") -> str:
    """Format a UTC timestamp for display."""
    return value.strftime(fmt) + " UTC" if value else ""


def format_date(value: object) -> str:
    """Format a date for display."""
    return value.strftime("%d %b %Y") if value else ""  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    """Register filters and globals."""
    app.jinja_env.filters["linkify"] = linkify
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.globals["lab_name"] = lambda: current_app.config["LAB_NAME"]
    app.jinja_env.globals["nav_links"] = nav_links
    _register_statuses(app)
    from trove import identity  # imports the models, so only once the app is being built

    identity.init_app(app)
    # Form macros are globals, not per-template imports, so that htmx fragments rendered
    # from a single block (jinja2-fragments) can use them too.
    env = app.jinja_env
    for name in ("field", "form_errors", "csrf"):
        env.globals[name] = _macro(env, "_macros/forms.html", name)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def _macro(env: Any, template: str, name: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(env.get_template(template).module, name)(*args, **kwargs)

    return call


def nav_links() -> list[tuple[str, str]]:
    """Return the main navigation entries for the current user."""
    from flask_login import current_user

    links: list[tuple[str, str]] = [("projects.index", "Projects")]
    if current_user.is_authenticated:
        links.append(("submissions.mine", "My photos"))
    if current_user.is_authenticated and current_user.is_lab_member:
        links.append(("projects.lab", "Your projects"))
    if current_user.is_authenticated and current_user.is_admin:
        links.append(("admin.dashboard", "Admin"))
    if current_user.is_authenticated:
        # The unread count follows the label (templates/notifications/_nav_count.html).
        links.append(("notifications.index", "Notifications"))
    return links


def _register_statuses(app: Flask) -> None:
    """Make the state enums template globals, so templates ask ``x.status == XStatus.Y``
    instead of comparing strings (tests/test_templates.py checks every state named exists)."""
    from trove.contests.models import ContestStatus
    from trove.exports.models import DatasetVersionStatus
    from trove.payouts.models import EarningStatus, PayoutBatchStatus, PayoutItemStatus
    from trove.projects.models import ProjectStatus
    from trove.submissions.models import SubmissionStatus

    for status in (
        ContestStatus,
        DatasetVersionStatus,
        EarningStatus,
        PayoutBatchStatus,
        PayoutItemStatus,
        ProjectStatus,
        SubmissionStatus,
    ):
        app.jinja_env.globals[status.__name__] = status
