"""Aware UTC timestamps, stored naive-in-UTC so SQLite and PostgreSQL agree."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Return the current UTC time without tzinfo (the database convention)."""
    return datetime.now(UTC).replace(tzinfo=None)
