"""Run one job row in a separate worker process, so a test can SIGKILL it midway."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable, Iterable

from flask import Flask

from tests import spawn

_WORKER = (
    "import json, sys\n"
    "from trove import create_app\n"
    "from trove.tasks import run_job\n"
    "app = create_app(json.loads(sys.argv[1]))\n"
    "with app.app_context():\n"
    "    run_job(int(sys.argv[2]))\n"
)


def start_worker(app: Flask, record_id: int, extra_keys: Iterable[str] = ()) -> spawn.Child:
    """Start a process that runs job ``record_id`` against ``app``'s database and files."""
    keys = ("DATABASE_URL", "STORAGE_DIR", "SECRET_KEY", *extra_keys)
    config = {key: app.config[key] for key in keys}
    config.update(TESTING=True, TASKS_MODE="sync", MAIL_BACKEND="memory")
    return spawn.python(_WORKER, json.dumps(config), str(record_id))


def wait_until(
    ready: Callable[[], bool], *, within: float = 60, alive: spawn.Child | None = None
) -> bool:
    """Poll until ``ready()`` (True) or ``within`` seconds pass (False); a generous bound,
    never a measure of how fast something is. ``alive`` must not exit meanwhile."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and not ready():
        assert alive is None or alive.poll() is None, "the process finished too early"
        time.sleep(0.005)
    return ready()


def kill_when(worker: spawn.Child, ready: Callable[[], bool], *, within: float) -> None:
    """SIGKILL ``worker`` as soon as ``ready()`` is true; fail if it never becomes true."""
    try:
        assert wait_until(ready, within=within, alive=worker), (
            "the worker never reached the point to kill it at"
        )
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
