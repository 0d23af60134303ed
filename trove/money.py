"""Exact money: integer minor units plus an ISO 4217 currency code."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import ngettext

#: Currencies a project may pay in, with their minor-unit exponent and symbol.
CURRENCIES: dict[str, tuple[int, str]] = {
    "USD": (2, "$"),
    "GBP": (2, "£"),
    "EUR": (2, "€"),
    "CAD": (2, "CA$"),
    "AUD": (2, "A$"),
    "JPY": (0, "¥"),
}

_AMOUNT = re.compile(r"^\d{1,12}(\.\d{1,4})?$")


class MoneyError(ValueError):
    """An amount that cannot be understood as money in the given currency."""


def exponent(currency: str) -> int:
    """Return how many decimal places ``currency`` uses."""
    try:
        return CURRENCIES[currency][0]
    except KeyError:
        raise MoneyError(
            _("%(currency)s is not a supported currency.", currency=currency)
        ) from None


def parse_money(text: str, currency: str) -> int:
    """Parse ``"2.50"`` in ``currency`` into minor units (250); raise MoneyError."""
    cleaned = text.strip().replace(",", "")
    for _code, (_exp, symbol) in CURRENCIES.items():
        cleaned = cleaned.removeprefix(symbol)
    cleaned = cleaned.strip()
    if cleaned.startswith("-"):
        raise MoneyError(_("Enter an amount of zero or more."))
    if not _AMOUNT.match(cleaned):
        raise MoneyError(_("Enter an amount like 2.50."))
    places = exponent(currency)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise MoneyError(_("Enter an amount like 2.50.")) from None
    minor = value.scaleb(places)
    if minor != minor.to_integral_value():
        if places == 0:
            raise MoneyError(_("%(currency)s amounts use whole units.", currency=currency))
        raise MoneyError(
            ngettext(
                "%(currency)s amounts use at most %(num)d decimal place.",
                "%(currency)s amounts use at most %(num)d decimal places.",
                places,
                currency=currency,
            )
        )
    return int(minor)


def to_decimal_string(minor: int, currency: str) -> str:
    """Return ``minor`` units as a plain decimal string (``250`` USD → ``"2.50"``)."""
    places = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**places) if places else (abs(minor), 0)
    return f"{sign}{whole}.{frac:0{places}d}" if places else f"{sign}{whole}"


def format_money(minor: int | None, currency: str) -> str:
    """Return ``minor`` units for display, e.g. ``£2.50`` or ``¥300``."""
    if minor is None:
        return ""
    symbol = CURRENCIES.get(currency, (2, currency + " "))[1]
    text = to_decimal_string(abs(minor), currency)
    whole, _, frac = text.partition(".")
    whole = f"{int(whole):,}"
    return f"{'-' if minor < 0 else ''}{symbol}{whole}{'.' + frac if frac else ''}"
