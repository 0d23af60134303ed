"""The change step in trove/htmx.py: commit or roll back, flash only for a redirect."""

from __future__ import annotations

from flask import Flask, get_flashed_messages
from sqlalchemy import select

from trove.accounts.models import User
from trove.errors import DomainError
from trove.extensions import db
from trove.htmx import apply_change, redirect_after_change, refuse_change

HTMX = {"HX-Request": "true"}


def _add_user(email: str) -> User:
    user = User(email=email, display_name="Someone", password_hash="x")
    db.session.add(user)
    db.session.flush()
    return user


def _emails() -> list[str]:
    return list(db.session.scalars(select(User.email)))


def test_a_change_is_committed_and_a_plain_form_gets_a_303_with_the_message(app: Flask):
    with app.test_request_context("/", method="POST"):
        response = apply_change(
            lambda: _add_user("kept@example.org"),
            done=lambda user: redirect_after_change("/next", flash=f"{user.email} added."),
            on_error="/back",
        )
        assert response.status_code == 303 and response.location == "/next"
        assert get_flashed_messages(with_categories=True) == [
            ("success", "kept@example.org added.")
        ]
        db.session.rollback()  # nothing left to undo: it was committed
        assert "kept@example.org" in _emails()


def test_a_refused_change_is_rolled_back_and_its_message_flashed_where_it_returns(app: Flask):
    def refused() -> None:
        _add_user("dropped@example.org")
        raise DomainError("Not now.")

    with app.test_request_context("/", method="POST"):
        response = apply_change(
            refused, done=lambda _: redirect_after_change("/next"), on_error="/back"
        )
        assert response.status_code == 303 and response.location == "/back"
        assert get_flashed_messages(with_categories=True) == [("error", "Not now.")]
        assert "dropped@example.org" not in _emails()


def test_htmx_gets_the_fragment_and_no_flash_for_a_change_or_a_refusal(app: Flask):
    with app.test_request_context("/", method="POST", headers=HTMX):
        page = {"template": "errors/error.html", "block": "error", "code": 200, "title": "t"}
        done = redirect_after_change("/next", flash="Saved.", message="Saved.", **page)
        refused = refuse_change("/back", DomainError("No.", status=422), message="No.", **page)
        assert done.status_code == 200 and "HX-Request" in done.vary
        assert refused.status_code == 422 and b"No." in refused.data
        assert get_flashed_messages() == []
