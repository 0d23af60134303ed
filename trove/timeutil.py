"""Aware UTC timestamps, stored naive-in-UTC so SQLite and PostgreSQL agree."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Return the current UTC time without tzinfo (the database convention)."""
    return datetime.now(UTC).replace(tzinfo=None)


def iso_utc(moment: datetime | None) -> str | None:
    """Return a stored UTC timestamp as ISO 8601 with a ``Z``, to the second (None stays)."""
    return moment.replace(microsecond=0).isoformat() + "Z" if moment else None
