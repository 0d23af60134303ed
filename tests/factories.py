"""Small factories for test data (call inside an app context)."""

from __future__ import annotations

import itertools
from typing import Any

from tests.conftest import TEST_PASSWORD
from trove.accounts import service as accounts
from trove.accounts.models import Role, User
from trove.extensions import db

_seq = itertools.count(1)


def make_user(
    role: Role = Role.CONTRIBUTOR,
    *,
    email: str | None = None,
    name: str | None = None,
    password: str = TEST_PASSWORD,
    commit: bool = True,
    **fields: Any,
) -> User:
    """Create a user with ``role``."""
    n = next(_seq)
    user = accounts.create_user(
        email or f"user{n}@example.org", password, name or f"User {n}", role=role
    )
    for key, value in fields.items():
        setattr(user, key, value)
    if commit:
        db.session.commit()
    return user
