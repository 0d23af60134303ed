"""Account e-mails speak the recipient's language, not the language of whoever caused them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.catalogue import app_speaking_spanish
from tests.conftest import TEST_PASSWORD
from tests.factories import make_user

#: A few Spanish lines, enough to tell which language a mail was composed in.
SPANISH = {
    "Hello %(name)s,": "Hola %(name)s,",
    "Reset your %(lab)s password": "Restablece tu contraseña de %(lab)s",
    "Someone tried to sign up to %(lab)s with your address": "Alguien intentó registrarse",
    "Confirm your %(lab)s account": "Confirma tu cuenta de %(lab)s",
}


@pytest.fixture
def app(make_app: Any, tmp_path: Path) -> Iterator[Flask]:
    """Return the app with a small Spanish catalogue in place of the shipped ones."""
    yield from app_speaking_spanish(make_app, tmp_path, SPANISH)


ENGLISH_BROWSER = {"Accept-Language": "en"}


def test_password_reset_mail_is_in_the_account_language_whoever_asks(app, client, outbox):
    with app.app_context():
        make_user(email="sofia@example.org", name="Sofía", locale="es")
        make_user(email="ed@example.org", name="Ed")  # no language: follows the browser
    client.post("/password/forgot", data={"email": "sofia@example.org"}, headers=ENGLISH_BROWSER)
    client.post("/password/forgot", data={"email": "ed@example.org"}, headers=ENGLISH_BROWSER)
    sofia, ed = outbox
    assert sofia["Subject"].startswith("Restablece tu contraseña de ")
    assert sofia.get_content().startswith("Hola Sofía,\n\n")
    assert ed["Subject"].startswith("Reset your ")
    assert ed.get_content().startswith("Hello Ed,\n\n")


def test_signing_up_with_a_taken_address_tells_the_owner_in_their_language(app, client, outbox):
    with app.app_context():
        make_user(email="sofia@example.org", name="Sofía", locale="es")
    client.post(
        "/signup",
        data={"email": "sofia@example.org", "display_name": "X", "password": TEST_PASSWORD},
        headers=ENGLISH_BROWSER,
    )
    (notice,) = outbox
    assert notice["Subject"] == "Alguien intentó registrarse"
    assert notice.get_content().startswith("Hola Sofía,\n\n")


def test_a_sign_up_confirmation_speaks_the_language_of_the_sign_up_page(app, client, outbox):
    client.post(
        "/signup",
        data={"email": "nuevo@example.org", "display_name": "Nuevo", "password": TEST_PASSWORD},
        headers={"Accept-Language": "es-ES,es;q=0.9"},
    )
    (confirmation,) = outbox
    assert confirmation["Subject"].startswith("Confirma tu cuenta de ")
    assert confirmation.get_content().startswith("Hola Nuevo,\n\n")
