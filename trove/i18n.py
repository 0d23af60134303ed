"""Languages, time zones and per-locale formatting (Flask-Babel).

The page's language is the account's setting, else the language cookie the footer's
switcher sets, else the best match of ``Accept-Language``, else English. Times are shown
in the viewer's time zone: the account's setting, else the one the browser reports
(``app.js`` stores it in a cookie), else UTC. Messages live in gettext catalogues under
``trove/translations/``; the README's "Translating Trove" section says how to add one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.numbers import format_currency
from flask import Flask, current_app, has_request_context, request
from flask.globals import _cv_app
from flask_babel import Babel, Domain, force_locale, get_domain, get_locale, gettext, ngettext
from flask_babel import format_date as babel_format_date
from flask_babel import format_time as babel_format_time
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

from trove.errors import DomainError
from trove.money import exponent

#: The languages Trove ships, in the switcher's order: code → the language's own name.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "pt_BR": "Português (Brasil)",
    "hi": "हिन्दी",
    "ar": "العربية",
}
DEFAULT_LOCALE = "en"
LOCALE_COOKIE = "trove_lang"
TIMEZONE_COOKIE = "trove_tz"
COOKIE_MAX_AGE = 365 * 24 * 3600

babel = Babel()


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark, translate later"
    """Mark ``message`` for the catalogue without translating it here."""
    return message


#: What static/app.js may say, by its English text; each page carries their translations
#: (``js_messages``) and the script looks them up with ``t()``. ``{name}`` is a placeholder.
JS_MESSAGES = (
    N_("Reload the page"),
    N_("Something went wrong. Please try again."),
    N_("The connection failed. Check your network and try again."),
    N_("Copied"),
    N_("Press Ctrl+C"),
    N_("Waiting…"),
    N_("Cancel"),
    N_("Sending…"),
    N_("Sending… {percent}%"),
    N_("Checking the photo…"),
    N_("Cancelled."),
    N_("You were signed out. Sign in again to send this photo."),
    N_("Sign in"),
    N_("The photo could not be sent (error {status})."),
    N_("This file is larger than {size}."),
    N_("This file is empty."),
    N_("Waiting for a connection"),
    N_("Remove"),
    N_("Received."),
    N_("Removing location…"),
    N_("Location removed on your phone"),
    N_("Location will be removed on our server"),
    N_("resized to {width} × {height} px"),
)


def own_text(text: str | None, known: frozenset[str]) -> str | None:
    """Return a stored English ``text`` in the page's language if it is one of the app's
    own fixed texts (``known``, each marked with :func:`N_`); other stored texts (a
    person's own words) stay as written."""
    return gettext(text) if text in known else text


def Np_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 - like N_, with a plural
    """Mark a message with a plural for the catalogue without translating it here."""
    return singular, plural


#: What static/app.js says with a number, by its English singular: ``tn()`` picks the form
#: for the count with the browser's ``Intl.PluralRules`` (CLDR, as the catalogues are).
JS_PLURALS = (
    Np_("{num} more photo", "{num} more photos"),
    Np_("Waiting for a connection — {num} photo", "Waiting for a connection — {num} photos"),
)


def _plural_forms(singular: str, plural: str) -> dict[str, str]:
    """Return the translation of a plural message per CLDR category (one, few, other…)."""
    rule = Locale.parse(str(get_locale())).plural_form
    forms: dict[str, str] = {}
    for n in range(0, 200):  # a sample number for each category the language has
        category = rule(n)
        if category not in forms:
            forms[category] = ngettext(singular, plural, n)  # "{num}" stays for the script
    return forms


def js_messages() -> dict[str, Any]:
    """Return the script's messages in the page's language (English text → translation;
    a plural message → its forms per plural category)."""
    messages: dict[str, Any] = {message: gettext(message) for message in JS_MESSAGES}
    for singular, plural in JS_PLURALS:
        messages[singular] = _plural_forms(singular, plural)
    return messages


def supported(code: str | None) -> str | None:
    """Return ``code`` as one of :data:`LANGUAGES` (``pt-br`` → ``pt_BR``), or None."""
    if not code:
        return None
    wanted = code.replace("-", "_").lower()
    for known in LANGUAGES:
        if known.lower() == wanted:
            return known
    return None


def select_locale() -> str:
    """Return the language for this request (account, cookie, Accept-Language, English)."""
    if not has_request_context():
        return DEFAULT_LOCALE
    if current_user and current_user.is_authenticated and supported(current_user.locale):
        return supported(current_user.locale)  # type: ignore[return-value]
    cookie = supported(request.cookies.get(LOCALE_COOKIE))
    if cookie:
        return cookie
    best = request.accept_languages.best_match(
        [code.replace("_", "-") for code in LANGUAGES] + ["pt"]
    )
    if best == "pt":
        return "pt_BR"
    return supported(best) or DEFAULT_LOCALE


def valid_timezone(name: str | None) -> str | None:
    """Return ``name`` if it is an IANA time zone this machine knows, else None."""
    if name and len(name) <= 64 and name in _timezones():
        return name
    return None


def _timezones() -> frozenset[str]:
    cached = current_app.extensions.get("trove_timezones")
    if cached is None:
        cached = frozenset(available_timezones()) | {"UTC"}
        current_app.extensions["trove_timezones"] = cached
    return cached  # type: ignore[no-any-return]


def select_timezone() -> str:
    """Return the viewer's time zone (account, the browser's cookie, UTC)."""
    if not has_request_context():
        return "UTC"
    if current_user and current_user.is_authenticated and valid_timezone(current_user.timezone):
        return current_user.timezone  # type: ignore[no-any-return]
    return browser_timezone()


def browser_timezone() -> str:
    """Return the time zone the viewer's browser reports (UTC when it says nothing)."""
    return valid_timezone(unquote(request.cookies.get(TIMEZONE_COOKIE, ""))) or "UTC"


def is_rtl() -> bool:
    """Return True when the page's language is written right to left."""
    return Locale.parse(str(get_locale())).character_order == "right-to-left"


def html_lang() -> str:
    """Return the page's language as an HTML ``lang`` value (``pt-BR``)."""
    return str(get_locale()).replace("_", "-")


def format_datetime(value: datetime | None) -> str:
    """Format a UTC timestamp in the viewer's language and time zone."""
    if not value:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    # The locale's medium date with its short time ("Mar 12, 2026, 10:00"), then the zone.
    pattern = get_locale().datetime_formats["medium"]
    text = pattern.format(babel_format_time(value, "short"), babel_format_date(value, "medium"))
    return f"{text} {_zone_label(value)}"


def _zone_label(value: datetime) -> str:
    zone = select_timezone()
    return "UTC" if zone == "UTC" else value.astimezone(ZoneInfo(zone)).strftime("%Z")


def format_date(value: date | None) -> str:
    """Format a date in the viewer's language."""
    return babel_format_date(value, "medium") if value else ""


def format_money(minor: int | None, currency: str) -> str:
    """Format integer minor units of ``currency`` in the viewer's language."""
    if minor is None:
        return ""
    places = exponent(currency)
    amount = minor / (10**places) if places else minor
    text = format_currency(
        amount,
        currency,
        locale=str(get_locale()) if has_request_context() else DEFAULT_LOCALE,
        currency_digits=True,
    )
    # Right to left, "1.50 US$" would show its "$" before "US"; a left-to-right mark after
    # the amount keeps the currency's letters and sign together.
    return text + "\u200e" if has_request_context() and is_rtl() else text


@contextmanager
def in_locale(code: str | None) -> Iterator[None]:
    """Render text in the language ``code`` (English when it is none Trove offers)."""
    with force_locale(supported(code) or DEFAULT_LOCALE):
        yield


@contextmanager
def in_locale_of(user: Any) -> Iterator[None]:
    """Render text (an e-mail, a notice) in ``user``'s language, whoever is acting."""
    with in_locale(getattr(user, "locale", None)):
        yield


def translations() -> Any:
    """Return the catalogue of the current language, found once per request and language.

    Flask-Babel finds it again on every message (its context, domain and locale looked up
    three times over: ~10 µs, against 0.2 µs for the lookup itself; a review page shows ~240
    messages). It is kept beside Flask-Babel's own note of the request's locale, with that
    locale: ``force_locale`` and ``refresh`` replace the note, and so the catalogue.
    """
    app_ctx = _cv_app.get(None)
    notes = getattr(app_ctx.g, "_flask_babel", None) if app_ctx is not None else None
    kept = getattr(notes, "trove_translations", None)
    if kept is not None and kept[0] is getattr(notes, "babel_locale", None):
        return kept[1]
    found = Domain.get_translations(get_domain())  # Flask-Babel's own lookup (notes made)
    notes = getattr(app_ctx.g, "_flask_babel", None) if app_ctx is not None else None
    locale = getattr(notes, "babel_locale", None)
    if locale is not None:
        notes.trove_translations = (locale, found)
    return found


class _KeptDomain(Domain):
    """Flask-Babel's message domain, finding its catalogue through ``translations()``: the
    code's own ``gettext``/``ngettext``/``lazy_gettext`` messages, like the templates'."""

    def get_translations(self) -> Any:
        """Return the catalogue of the current language (kept per request)."""
        return translations()


def _fill(context: Any, text: str, variables: dict[str, Any]) -> str:
    """Fill a translated message as jinja's newstyle i18n does: escaped in HTML, always a
    %-format (``%%`` is ``%``)."""
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - our own catalogue, as jinja's i18n does
    return text % variables


@pass_context
def _template_gettext(context: Any, string: str, /, **variables: Any) -> str:
    """Jinja's newstyle gettext, reading the kept catalogue."""
    return _fill(context, translations().ugettext(string), variables)


@pass_context
def _template_ngettext(
    context: Any, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    """Jinja's newstyle ngettext: as ``_template_gettext``, with ``num`` among the values."""
    variables.setdefault("num", num)
    return _fill(context, translations().ungettext(singular, plural, num), variables)


def init_app(app: Flask) -> None:
    """Set up Flask-Babel and the template globals pages use for language and direction."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    if not isinstance(babel.__dict__.get("domain_instance"), _KeptDomain):
        babel.domain_instance = _KeptDomain()  # the default domain, "messages"
    # Flask-Babel's template callables now find the kept catalogue (through the domain);
    # _(), gettext() and ngettext() (what {% trans %} compiles to) are also called directly,
    # not through jinja's three nested Context.call layers (12 of their 14 µs a message).
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext)
    app.jinja_env.globals["ngettext"] = _template_ngettext

    app.add_template_global(is_rtl)
    app.add_template_global(html_lang)
    app.add_template_global(LANGUAGES, "LANGUAGES")
    app.add_template_global(get_locale, "current_locale")
    app.add_template_global(js_messages)
    app.add_template_global(browser_timezone)


def save_preferences(user: Any, locale: str | None, timezone: str | None) -> None:
    """Store a signed-in person's language and time zone (None: follow the browser)."""
    if locale and not supported(locale):
        raise DomainError(
            str(_l("Choose one of the languages Trove offers.")), field="locale", status=422
        )
    if timezone and not valid_timezone(timezone):
        raise DomainError(
            str(_l("Choose a time zone from the list.")), field="timezone", status=422
        )
    user.locale = supported(locale)
    user.timezone = timezone or None
