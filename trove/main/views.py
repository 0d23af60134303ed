"""The home page and the health check."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from trove.extensions import db
from trove.htmx import render

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
