"""Signing up through HTTP the way a person does: the form, then the e-mailed link."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from tests.conftest import TEST_PASSWORD
from trove import mail


def confirmation_path(email: str) -> str:
    """Return the path of the last sign-up confirmation link e-mailed to ``email``."""
    for message in reversed(mail.outbox):
        match = re.search(r"https?://[^/\s]+(/signup/confirm/\S+)", message.get_content())
        if message["To"] == email.lower() and match:
            return match.group(1)
    raise AssertionError(f"no confirmation link was sent to {email}")


def sign_up(
    client: FlaskClient,
    email: str,
    display_name: str = "New",
    password: str = TEST_PASSWORD,
    *,
    path: str = "/signup",
    **form: Any,
) -> Any:
    """Sign up with ``email``, follow the e-mailed link and return the confirmation's answer."""
    asked = client.post(
        path,
        data={"email": email, "display_name": display_name, "password": password, **form},
    )
    assert asked.status_code == 303, asked.data[:500]
    return client.post(confirmation_path(email), data={"password": password})
