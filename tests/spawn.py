"""Python processes for tests, forked from one that has imported Trove already.

The suite starts dozens of real processes: servers it sends raw HTTP to or kills mid-upload,
job workers it kills mid-job. A fresh interpreter pays ~2.5 s of CPU importing Trove and
its libraries before it does anything; here each one is forked instead from a server
process (``multiprocessing``'s forkserver, one per pytest process) that imported them once,
so it starts in a few milliseconds. What runs is unchanged: a real process with its own pid,
sockets and database connections, that a signal kills like any other, running the same
code (``python -c CODE ARGS...``) it would have been started with.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
from typing import Any

#: Imported once by the forkserver (see tests/spawn_preload.py).
PRELOAD = ["tests.spawn_preload"]

_context: dict[str, Any] = {}


def _forkserver() -> Any:
    context = _context.get("mp")
    if context is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        _context["mp"] = context
    return context


def _run(code: str, argv: list[str]) -> None:
    """In the child: quiet stdout/stderr, then run ``code`` as ``python -c`` would."""
    import sys

    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    os.close(quiet)
    sys.argv = ["-c", *argv]
    # The parent's default handlers, not the forkserver's: SIGINT/SIGTERM end the process.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    exec(compile(code, "<test process>", "exec"), {"__name__": "__main__"})  # noqa: S102


class Child:
    """A forked ``python -c CODE ARGS...`` with the parts of ``subprocess.Popen`` tests use."""

    def __init__(self, code: str, *argv: str) -> None:
        self.process = _forkserver().Process(target=_run, args=(code, list(argv)))
        self.process.start()
        self.pid: int = self.process.pid

    @property
    def returncode(self) -> int | None:
        """The exit status once ended (negative: the signal that ended it), else None."""
        return self.process.exitcode  # type: ignore[no-any-return]

    def poll(self) -> int | None:
        """Return the exit status if the process has ended, else None."""
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the end (``subprocess.TimeoutExpired`` after ``timeout`` seconds)."""
        self.process.join(timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired(f"test process {self.pid}", timeout or 0)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """Send ``signum`` unless the process has ended."""
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # it ended just now
                os.kill(self.pid, signum)

    def kill(self) -> None:
        """SIGKILL the process."""
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        """SIGTERM the process."""
        self.send_signal(signal.SIGTERM)


def python(code: str, *argv: str) -> Child:
    """Start ``python -c code argv...``, forked from the preloaded server; return it."""
    return Child(code, *argv)
