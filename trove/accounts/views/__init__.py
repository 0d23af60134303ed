"""The accounts blueprint: joining, signing in and out, and the account page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, url_for

from trove.accounts import sessions
from trove.accounts.models import User
from trove.extensions import limiter

bp = Blueprint("accounts", __name__)
bp.before_app_request(sessions.touch_current_session)
bp.after_app_request(sessions.reload_after_sign_in)


def limit_post(key: str):  # type: ignore[no-untyped-def]
    """Rate-limit a view's POSTs by the configured limit ``key`` (per client address)."""
    return limiter.limit(lambda: current_app.config[key], methods=["POST"])


def _failed(response: Response) -> bool:
    return response.status_code == 422


def limit_failures(key: str, **options: Any):  # type: ignore[no-untyped-def]
    """Rate-limit a password check's failed POSTs (422) only: a campus behind one address
    signs in freely, and a stranger guessing slows down only themselves."""
    return limiter.limit(
        lambda: current_app.config[key], methods=["POST"], deduct_when=_failed, **options
    )


def home_for(user: User) -> str:
    """Return where ``user`` starts after signing in: lab staff on their projects."""
    return url_for("projects.lab") if user.is_lab_member else url_for("main.index")


from trove.accounts.views import settings, signin, signup  # noqa: E402,F401
