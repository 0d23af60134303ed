"""The message catalogues: they compile, keep every placeholder and tag, and ship compiled."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from trove.i18n import DEFAULT_LOCALE, LANGUAGES

TRANSLATIONS = Path(__file__).resolve().parent.parent / "trove" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
TAG = re.compile(r"</?\w+[^>]*>")
LOCALES = [code for code in LANGUAGES if code != DEFAULT_LOCALE]


def _catalogue(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def _shape(text: str) -> tuple[list[str], list[str]]:
    return sorted(PLACEHOLDER.findall(text)), sorted(TAG.findall(text))


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_placeholders_and_markup(locale):
    wrong = []
    for message in _catalogue(locale):
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for index, text in enumerate(strings):
            if not text:
                continue
            source = sources[min(index, len(sources) - 1)]
            placeholders, tags = _shape(source)
            got_placeholders, got_tags = _shape(text)
            # A plural form may leave the number out ("one photo"), never add or rename one.
            if not set(got_placeholders) <= set(placeholders) or got_tags != tags:
                wrong.append((source, text))
    assert wrong == []


@pytest.mark.parametrize("locale", LOCALES)
def test_no_translation_is_left_fuzzy(locale):
    assert [m.id for m in _catalogue(locale) if m.id and m.fuzzy] == []


@pytest.mark.parametrize("locale", LOCALES)
def test_the_shipped_compiled_catalogue_matches_its_source(locale):
    compiled = io.BytesIO()
    write_mo(compiled, _catalogue(locale))
    shipped = (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert shipped == compiled.getvalue(), "run scripts/translations.sh and commit the .mo"
