"""What a request costs, apart from the machine's load: server time, server CPU, Python CPU.

On a shared machine the wall time of a request mostly measures the other users. This
helper measures, around one piece of work:

- ``wall_ms``: elapsed time (load-bound);
- ``python_ms``: CPU time of this process (``time.process_time``);
- ``server_cpu_ms``: CPU time of the PostgreSQL backends serving the engine's connections
  (``/proc/<pid>/schedstat``, nanoseconds on the CPU);
- ``server_logged_ms``: the sum of the durations the server logs for each statement
  (``log_min_duration_statement = 0``; time from receiving a message to answering it,
  so it includes waiting for a CPU on a loaded machine);
- ``statements``: how many statements the engine sent, with each one's logged duration.

``python_ms + server_cpu_ms`` is the load-independent cost of the request.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import event

DURATION = re.compile(
    r"\[(\d+)\] LOG:  duration: ([\d.]+) ms  (?:(parse|bind|execute) [^:]*|statement): (.*)"
)


class Cost:
    """Measure requests against a PostgreSQL engine whose server logs to ``log_path``."""

    def __init__(self, engine: Any, log_path: Path | None) -> None:
        self.engine = engine
        self.log_path = log_path
        self.pids: set[int] = set()
        self.sent: list[str] = []
        if engine.dialect.name == "postgresql":
            event.listen(engine, "connect", self._on_connect)
            engine.dispose()  # connections made from now on report their backend pid
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        self.pids.add(cursor.fetchone()[0])
        cursor.close()
        dbapi_connection.commit()

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.sent.append(statement)

    def _server_ns(self) -> int:
        total = 0
        for pid in self.pids:
            with suppress(OSError, ValueError):
                total += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        return total

    def set_logging(self, on: bool) -> None:
        """Turn the server's statement log on or off (ALTER SYSTEM, then reload)."""
        if self.log_path is None:
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            value = "0" if on else "-1"
            conn.exec_driver_sql(f"ALTER SYSTEM SET log_min_duration_statement = {value}")
            conn.exec_driver_sql("SELECT pg_reload_conf()")
        time.sleep(0.3)  # backends read the new setting before their next command

    @contextmanager
    def measure(self) -> Iterator[dict[str, Any]]:
        """Measure the work in the ``with`` block; the dict is filled when it ends."""
        found: dict[str, Any] = {}
        offset = self.log_path.stat().st_size if self.log_path else 0
        sent_before = len(self.sent)
        server_before = self._server_ns()
        cpu_before = time.process_time()
        start = time.perf_counter()
        yield found
        found["wall_ms"] = (time.perf_counter() - start) * 1000
        found["python_ms"] = (time.process_time() - cpu_before) * 1000
        found["server_cpu_ms"] = (self._server_ns() - server_before) / 1e6
        found["statements"] = len(self.sent) - sent_before
        found["log"] = self._logged(offset)
        found["server_logged_ms"] = sum(ms for ms, _ in found["log"])
        found["cost_ms"] = found["python_ms"] + found["server_cpu_ms"]

    def _logged(self, offset: int) -> list[tuple[float, str]]:
        """Return (ms, statement) per statement logged since ``offset`` (phases summed)."""
        if self.log_path is None:
            return []
        with self.log_path.open("rb") as log:
            log.seek(offset)
            text = log.read().decode("utf-8", "replace")
        pids = {str(pid) for pid in self.pids}
        rows: list[tuple[float, str]] = []
        # Extended protocol: parse, bind, execute are logged apart (a prepared statement
        # skips parse); one statement's phases come in that order.
        order = {"parse": 0, "bind": 1, "execute": 2}
        last = 2
        for match in DURATION.finditer(text):
            pid, ms, phase, statement = match.groups()
            if pid not in pids:
                continue
            step = order.get(phase or "", 2)
            if phase and rows and step > last:
                rows[-1] = (rows[-1][0] + float(ms), rows[-1][1])
            else:
                rows.append((float(ms), statement))
            last = step if phase else 2
        return rows


def summary(runs: list[dict[str, Any]], key: str) -> str:
    """Return 'min/median' of ``key`` over ``runs``, in ms."""
    values = [run[key] for run in runs]
    return f"{min(values):6.1f} / {statistics.median(values):6.1f}"


def report(label: str, runs: list[dict[str, Any]], goal_ms: float) -> dict[str, float]:
    """Print the min/median of each figure over ``runs``; return the medians."""
    print(f"  {label}  (min / median of {len(runs)}; goal < {goal_ms:g} ms)")
    for key, name in (
        ("wall_ms", "wall time (load-bound)"),
        ("server_logged_ms", "server-side statement time"),
        ("server_cpu_ms", "server CPU"),
        ("python_ms", "Python CPU"),
        ("cost_ms", "Python CPU + server CPU"),
    ):
        print(f"    {name:30} {summary(runs, key)} ms")
    statements = max(run["statements"] for run in runs)
    print(f"    statements                     {statements:6d}")
    return {key: statistics.median(run[key] for run in runs) for key in runs[0] if key != "log"}


def print_statements(found: dict[str, Any], width: int = 110) -> None:
    """Print each logged statement of one run with its server-side duration."""
    for ms, statement in found["log"]:
        print(f"      {ms:7.3f} ms  {' '.join(statement.split())[:width]}")


def repeat(run: Callable[[], dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """Return ``n`` measurements of ``run``."""
    return [run() for _ in range(n)]
