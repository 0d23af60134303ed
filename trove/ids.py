"""Ids from URLs and query strings: digits within a signed 64-bit column, or nothing.

A value past 2**63 - 1 cannot be bound to an id column (SQLite and PostgreSQL raise), so
an id out of that range is treated as absent: a 404 in a path, ignored in a query string.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

#: The largest value an id (BIGINT / SQLite INTEGER) column can hold.
MAX_ID = 2**63 - 1
#: The deepest page number a list accepts (deeper pages are empty anyway).
MAX_PAGE = 10_000
_DIGITS = re.compile(r"[0-9]{1,19}")


class IdConverter(IntegerConverter):
    """The ``int`` URL converter, refusing values past ``MAX_ID`` (so they are a 404)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def parse_id(raw: str | None) -> int | None:
    """Return ``raw`` as an id (ASCII digits up to ``MAX_ID``), or None for anything else."""
    raw = (raw or "").strip()
    if not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if value <= MAX_ID else None


def parse_page(raw: str | None) -> int:
    """Return ``raw`` as a page number from 1 to ``MAX_PAGE`` (1 for nonsense)."""
    return max(1, min(parse_id(raw) or 1, MAX_PAGE))


def init_app(app: Flask) -> None:
    """Make ``<int:...>`` in every route refuse ids that no column can hold."""
    app.url_map.converters["int"] = IdConverter
