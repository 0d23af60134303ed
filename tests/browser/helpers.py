"""Steps the browser tests share."""

from __future__ import annotations

from typing import Any

from tests.conftest import TEST_PASSWORD


def sign_in(page: Any, base: str, email: str, password: str = TEST_PASSWORD) -> None:
    """Sign in through the form and wait for the signed-in header."""
    page.goto(base + "/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def sign_out(page: Any) -> None:
    """Sign out and wait for the confirmation."""
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You are signed out.").wait_for()
