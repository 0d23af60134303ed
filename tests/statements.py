"""Record the SQL statements a request runs (in the test's own thread only)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event


@contextmanager
def statements_of_this_thread(engine: Engine) -> Iterator[list[str]]:
    """Yield a list that fills with the (shortened) statements this thread runs meanwhile.

    Background job threads are left out, so a test counts the request's own statements.
    """
    thread = threading.get_ident()
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if threading.get_ident() == thread:
            seen.append(" ".join(statement.split())[:100])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
