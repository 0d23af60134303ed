"""Two (or more) service calls racing each other, each in its own thread and session."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

from trove.errors import DomainError
from trove.extensions import db

#: An attempt loads what it needs, calls ``ready()`` (all attempts are released together),
#: acts, and returns what it did; the race commits it.
Attempt = Callable[[Callable[[], None]], str]


def race(app: Flask, *attempts: Attempt) -> list[str]:
    """Run ``attempts`` at once; return each outcome: its label, "refused" or an error name."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list[str] = []

    def run(attempt: Attempt) -> None:
        with app.test_request_context("/"):
            try:
                label = attempt(barrier.wait)
                db.session.commit()
                outcomes.append(label)
            except DomainError:
                db.session.rollback()
                outcomes.append("refused")
            except Exception as error:  # SQLite's writer lock can refuse the loser too
                db.session.rollback()
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(attempt,)) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
