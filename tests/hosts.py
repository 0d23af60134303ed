"""Trove hosts as real processes: ``flask trove worker`` and gunicorn, configured from the
environment only (``TROVE_*`` variables, as systemd's ``/etc/trove.env`` gives them)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import _free_port, _wait_for_port

ROOT = Path(__file__).resolve().parent.parent
#: Bare names Trove also reads without the prefix.
_BARE = ("DATABASE_URL", "REDIS_URL")


def trove_env(settings: Mapping[str, Any], **extra: str) -> dict[str, str]:
    """Return this process's environment without its ``TROVE_*`` variables, plus
    ``settings`` as ``TROVE_*`` variables (``REDIS_URL`` bare) and ``extra`` as is."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TROVE_") and k not in _BARE}
    for name, value in settings.items():
        if value is None:
            continue
        text = str(value).lower() if isinstance(value, bool) else str(value)
        env["REDIS_URL" if name == "REDIS_URL" else f"TROVE_{name}"] = text
    env.update(extra)
    return env


#: Worker timings for tests that wait on real workers: a killed worker shows as dead after
#: 5 s (not 45), an idle worker's maintenance and blocking wait come every second (not 10
#: and 15), a failed job's retry is due after 1 s (not 10). Still three heartbeats before a
#: worker counts as dead (``Timings.check``); each such test has one live worker at a time.
QUICK_TIMINGS: dict[str, Any] = {
    "WORKER_HEARTBEAT_SECONDS": 1,
    "WORKER_DEAD_AFTER_SECONDS": 5,
    "WORKER_MAINTENANCE_SECONDS": 1,
    "WORKER_DEQUEUE_SECONDS": 1,
    "JOB_RETRY_DELAYS": [1, 2, 4],
    "SWEEP_INTERVAL_SECONDS": 5,
}
#: The settings a worker takes from the app it serves beside (timings the same on both
#: sides: the app hands jobs over with its retry delays, the worker beats and sweeps).
_SHARED = ("DATABASE_URL", "STORAGE_DIR", *QUICK_TIMINGS, "SCHEDULER_LOCK_STALE_SECONDS")


def app_env(app: Any, redis_url: str, **settings: Any) -> dict[str, str]:
    """Return the environment of a worker on ``app``'s database, storage and timings."""
    return trove_env(
        {
            **{name: app.config[name] for name in _SHARED},
            "REDIS_URL": redis_url,
            "SECRET_KEY": "test-secret-key",
            "MAIL_BACKEND": "log",
            **settings,
        }
    )


class Worker:
    """A ``flask trove worker`` process in its own process group (killed as a whole)."""

    def __init__(self, env: Mapping[str, str], log: Path, flask_app: str = "tests.faultjobs"):
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "flask", "trove", "worker"],
                cwd=ROOT,
                env={**env, "FLASK_APP": flask_app},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self, *horses: int) -> None:
        """SIGKILL the worker, its scheduler and work-horses (own session), as a lost host."""
        os.killpg(self.process.pid, signal.SIGKILL)
        for pid in horses:
            os.kill(pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> int:
        """Ask for a warm stop (SIGTERM) and return the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(120)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(30)

    def output(self) -> str:
        """Return the end of the worker's log, for failure messages."""
        return self.log.read_text(errors="replace")[-4000:]


@contextmanager
def web_server(env: Mapping[str, str], log: Path) -> Iterator[str]:
    """Serve ``wsgi:app`` (configured by ``env`` alone) under gunicorn; yield its base URL."""
    port = _free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--bind", f"127.0.0.1:{port}",
                "--workers", "1", "--worker-class", "gthread", "--threads", "4",
                "--log-level", "warning",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        try:
            _wait_for_port(port)
        except RuntimeError:
            raise RuntimeError(log.read_text(errors="replace")[-3000:]) from None
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
