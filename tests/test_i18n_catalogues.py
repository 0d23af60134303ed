"""The message catalogues: complete, compiled, every placeholder and tag kept; pages use them."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext

from tests.factories import make_project
from trove.extensions import db
from trove.i18n import DEFAULT_LOCALE, LANGUAGES

TRANSLATIONS = Path(__file__).resolve().parent.parent / "trove" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
TAG = re.compile(r"</?\w+[^>]*>")
LOCALES = [code for code in LANGUAGES if code != DEFAULT_LOCALE]


def _catalogue(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def _messages(locale: str):
    """Yield each message of ``locale``'s catalogue as (source forms, translated forms)."""
    for message in _catalogue(locale):
        if message.id:
            sources = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            yield sources, strings


def _shape(text: str) -> tuple[list[str], list[str]]:
    return sorted(PLACEHOLDER.findall(text)), sorted(TAG.findall(text))


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_placeholders_and_markup(locale):
    wrong = []
    for sources, strings in _messages(locale):
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


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(locale):
    missing = [sources[0] for sources, strings in _messages(locale) if not all(strings)]
    assert missing == [], "translate these, then run scripts/translations.sh"


#: Letters of each script, to tell a translated page from one that fell back to English.
SCRIPT = {"ar": re.compile(r"[\u0600-\u06ff]"), "hi": re.compile(r"[\u0900-\u097f]")}
#: A phrase of the interface each page shows, by URL pattern.
SENTINELS = {"/": "How it works", "/projects": "Sort by", "/projects/{id}": "Who benefits"}


def _visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", page)
    for name in LANGUAGES.values():  # the switcher names every language in its own script
        text = text.replace(name, " ")
    return text


@pytest.mark.parametrize(
    ("locale", "lang", "direction"),
    [
        ("ar", "ar", ' dir="rtl"'),
        ("hi", "hi", ""),
        ("es", "es", ""),
    ],
)
def test_pages_render_in_the_browser_language(app, client, locale, lang, direction):
    with app.app_context():
        project_id = make_project().id
        db.session.commit()
    for pattern, sentinel in SENTINELS.items():
        page = client.get(pattern.format(id=project_id), headers={"Accept-Language": locale}).text
        assert f'<html lang="{lang}"{direction}>' in page
        with app.test_request_context(), force_locale(locale):
            translated = gettext(sentinel)
        assert translated != sentinel and translated in page and sentinel not in page
        if locale in SCRIPT:
            assert len(SCRIPT[locale].findall(_visible_text(page))) > 100, pattern


def test_the_catalogues_hold_every_message_the_code_marks():
    """A string marked in code or a template but missing from the catalogues (someone
    forgot scripts/translations.sh) would show in English to everyone: CI says so."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    root = TRANSLATIONS.parent.parent
    with (root / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "N_": None}
    keywords["Np_"] = keywords["lazy_ngettext"] = (1, 2)
    marked = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(root), method_map, options_map, keywords=keywords
        )
        if message
    }
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue("es") if m.id}
    assert sorted(marked - known) == [], "run scripts/translations.sh and translate"
