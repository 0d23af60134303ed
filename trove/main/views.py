"""The home page and the health check."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text

from trove import i18n
from trove.errors import DomainError
from trove.extensions import db
from trove.htmx import redirect_after_change, refuse_change, render
from trove.security import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
def index() -> Response:
    """Show the home page with the newest open projects."""
    from trove.projects.queries import newest_open

    return render("main/index.html", projects=newest_open(4))


@bp.get("/healthz")
def healthz() -> Response:
    """Answer 200 when the database answers (for load balancers)."""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")


@bp.get("/about/collecting-responsibly")
def guide() -> Response:
    """Show the guide to collecting data from the public."""
    return render("main/guide.html")


@bp.post("/language")
def choose_language() -> Response:
    """Switch the page language (the footer's switcher; the account page adds a time zone).

    Anyone may switch: a cookie remembers the choice, and a signed-in person's account
    keeps it too, so e-mails and notices arrive in that language.
    """
    locale = i18n.supported(request.form.get("locale")) or i18n.DEFAULT_LOCALE
    back = safe_next(request.form.get("next"), url_for("main.index"))
    if current_user.is_authenticated:
        timezone = request.form.get("timezone", current_user.timezone)
        try:
            i18n.save_preferences(current_user, locale, timezone)
        except DomainError as error:
            db.session.rollback()
            return refuse_change(back, error)
        db.session.commit()
    with force_locale(locale):
        response = redirect_after_change(back, flash=str(_("Language changed.")))
    response.set_cookie(
        i18n.LOCALE_COOKIE, locale, max_age=i18n.COOKIE_MAX_AGE, samesite="Lax", httponly=True
    )
    return response
