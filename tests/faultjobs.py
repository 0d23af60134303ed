"""Jobs the fault tests steer through files, and the app their worker processes load.

``FLASK_APP=tests.faultjobs`` gives a worker the Trove app with these jobs registered, so a
test can hold a job midway (until it creates a file) and count how often it finished.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask import Flask

from trove import create_app as create_trove_app
from trove.tasks import job


@job(queue="default", timeout=600, max_attempts=3)
def wait_for_release(folder: str) -> None:
    """Note the start, wait until ``folder/release`` exists, then note the finish."""
    where = Path(folder)
    (where / f"started-{os.getpid()}").touch()
    while not (where / "release").exists():
        time.sleep(0.05)
    with (where / "finished").open("a") as log:
        log.write(f"{os.getpid()}\n")


@job(queue="default", timeout=60, max_attempts=3)
def fail_once(folder: str) -> None:
    """Fail on the first attempt (so RQ's scheduler must run the retry), then finish."""
    where = Path(folder)
    marker = where / "failed-once"
    if not marker.exists():
        marker.touch()
        raise RuntimeError("the first attempt fails on purpose")
    with (where / "finished").open("a") as log:
        log.write(f"{os.getpid()}\n")


def finished_count(folder: Path) -> int:
    """Return how many times a job above ran to its end in ``folder``."""
    path = folder / "finished"
    return len(path.read_text().splitlines()) if path.exists() else 0


def create_app() -> Flask:
    """Return the Trove app configured from the environment (for ``flask trove worker``)."""
    return create_trove_app()
