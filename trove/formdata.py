"""Reading plain (non-WTForms) form fields in views."""

from __future__ import annotations

from flask import request


def form_int(name: str, default: int) -> int:
    """Return form field ``name`` as an int: ``default`` if blank, -1 if not a number.

    -1 is out of range for every field read this way, so the service's own range check
    reports it with its usual message.
    """
    raw = request.form.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        return -1
