"""The signed-in person's notifications: the list, and marking them read.

With htmx, marking read re-renders the list in place and sends the
``notifications-changed`` event for any counter on the page to listen to.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from trove.extensions import db
from trove.htmx import redirect_after_change, render
from trove.ids import parse_page
from trove.notifications import service

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

PER_PAGE = 30
CHANGED = "notifications-changed"


def _page() -> int:
    return parse_page(request.values.get("page"))


def _context(page: int) -> dict[str, Any]:
    return {
        "page": service.notifications_for(current_user, page, PER_PAGE),
        "unread": service.unread_count(current_user),
    }


def _list_url(page: int) -> str:
    return url_for("notifications.index", page=page if page > 1 else None)


@bp.app_template_global("unread_notifications")
def unread_notifications() -> int:
    """Return how many of the signed-in person's notifications are unread (0 if nobody)."""
    return service.unread_count(current_user) if current_user.is_authenticated else 0


@bp.get("/count")
def nav_count() -> Response:
    """The navigation's unread count, for the page to poll; 286 (stop polling) if signed out."""
    if not current_user.is_authenticated:
        return Response("", status=286)
    response = render("notifications/_nav_count.html")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("")
@login_required
def index() -> Response:
    """List the current user's notifications, newest first."""
    return render("notifications/index.html", block="list", **_context(_page()))


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id: int) -> Response:
    """Mark one notification read; with ``open=1``, go on to what it is about."""
    notification = service.find_notification(current_user, notification_id)
    if notification is None:
        abort(404)
    service.mark_read(current_user, notification)
    db.session.commit()
    if request.form.get("open") == "1":
        # A plain form (not boosted), so the browser keeps the URL's #post-… fragment.
        return redirect(notification.url, code=303)
    page = _page()
    return redirect_after_change(
        _list_url(page),
        template="notifications/index.html",
        block="list",
        trigger=CHANGED,
        **_context(page),
    )


@bp.post("/read-all")
@login_required
def read_all() -> Response:
    """Mark every notification read."""
    service.mark_all_read(current_user)
    db.session.commit()
    page = _page()
    return redirect_after_change(
        _list_url(page),
        flash=_("All notifications are marked read."),
        template="notifications/index.html",
        block="list",
        trigger=CHANGED,
        **_context(page),
    )
