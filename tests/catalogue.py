"""An app that speaks a little Spanish: a small test catalogue in place of the shipped ones.

The shipped catalogues may still be untranslated; these few lines tell which language a
text was composed in.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Flask

from trove.i18n import babel


def app_speaking_spanish(make_app: Any, folder: Path, spanish: dict[str, str]) -> Iterator[Flask]:
    """Yield an app whose only catalogue is ``spanish`` (English text → Spanish)."""
    catalogue = Catalog(locale="es")
    for english, translation in spanish.items():
        catalogue.add(english, translation, flags=["python-format"])
    messages = folder / "translations" / "es" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    with (messages / "messages.mo").open("wb") as handle:
        write_mo(handle, catalogue)
    app = make_app(BABEL_TRANSLATION_DIRECTORIES=str(folder / "translations"))
    # Flask-Babel caches loaded catalogues on its (process-wide) domain: start and end clean.
    with app.app_context():
        babel.domain_instance.cache.clear()
    yield app
    with app.app_context():
        babel.domain_instance.cache.clear()
