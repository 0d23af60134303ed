"""Demo data for ``flask trove seed-demo``."""

from __future__ import annotations

from collections.abc import Callable

from trove.accounts import service as accounts
from trove.accounts.models import Role


def seed(password_factory: Callable[[], str]) -> list[tuple[str, str, str]]:
    """Create demo accounts (and projects, where they exist); return their logins."""
    logins: list[tuple[str, str, str]] = []
    people = [
        ("Instance admin", "admin@demo.trove", "Ada Admin", Role.ADMIN),
        ("Lab member (owner)", "lab@demo.trove", "Lin Researcher", Role.LAB_MEMBER),
        ("Contributor", "sam@demo.trove", "Sam Snapper", Role.CONTRIBUTOR),
        ("Contributor", "kim@demo.trove", "Kim Lens", Role.CONTRIBUTOR),
    ]
    for label, email, name, role in people:
        password = password_factory()
        user = accounts.create_user(email, password, name, role=role)
        if role is Role.CONTRIBUTOR:
            user.paypal_email = email.replace("@demo.trove", "@paypal.demo.trove")
            user.country = "GB"
        logins.append((label, email, password))
    return logins
