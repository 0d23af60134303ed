"""The RQ worker behind ``flask trove worker``: heartbeats, the sweep, a scheduler kept alive.

RQ alone leaves three holes this closes:

* A worker killed mid-job (``kill -9``, a lost host) leaves its job ``running``. Each worker
  writes a heartbeat row every few seconds; every maintenance run of any worker hands a
  running job whose worker has stopped beating over at once, instead of after the job's
  timeout or at the next full sweep.
* RQ's scheduler (retries, delayed jobs) runs in a child process that dies on a Redis blip
  and was only restarted every ten minutes. Maintenance here runs every few seconds, so it
  is restarted (under the same lock) soon after; the worker notes while it is alive, and
  the Health page goes red when that note is late.
* RQ's scheduler holds a lock per queue for 61 s and renews it every second, so a worker
  killed with its scheduler left the lock to a dead holder for a minute, and its restarted
  worker waited that long (plus a maintenance interval) to schedule again. A lock not
  renewed for ``Timings.lock_stale`` seconds is released (as Redis's own clock measures it)
  and taken by the next maintenance run instead.
* The periodic sweep no longer depends on that scheduler: it runs in the worker's own loop,
  once per interval across all workers (a Redis lock), and notes its last run.

A worker that loses Redis for good (RQ gives up) exits with status 1, so systemd restarts
it and the failure is visible; a requested stop (SIGINT/SIGTERM) or an emptied burst exits 0.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

from flask import Flask
from redis import Redis
from rq import Worker
from rq.exceptions import StopRequested
from rq.scheduler import RQScheduler

from trove.extensions import db
from trove.tasks import (
    CURRENT_WORKER,
    Heartbeat,
    Timings,
    beat,
    hand_over_orphans,
    sweep_if_due,
)

log = logging.getLogger(__name__)

# The intervals (maintenance, blocking wait, heartbeat, stale scheduler locks) are the
# app's ``Timings``. RQ's blocking wait for jobs lasts its worker TTL minus 15 s, so the
# TTL is set from the wait, and maintenance runs at least once per wait. A scheduler renews
# its locks every second (to a TTL of its interval + 60 s); one not renewed for
# ``lock_stale`` seconds belongs to a dead scheduler (a live one starved that long by a busy
# machine only loses its lock: RQ then drops the queue from it, and the taker schedules).

#: Delete a lock whose TTL shows it went unrenewed (atomic: a renewal cannot slip between).
_RELEASE_STALE = """
local ttl = redis.call('ttl', KEYS[1])
if ttl >= 0 and ttl <= tonumber(ARGV[1]) then return redis.call('del', KEYS[1]) end
return 0
"""


def release_stale_scheduler_locks(
    connection: Redis, queue_names: Iterable[str], lock_ttl: int, stale_after: int
) -> list[str]:
    """Release the scheduler locks of ``queue_names`` unrenewed for ``stale_after`` seconds
    (a renewal sets a lock's TTL to ``lock_ttl``); return those."""
    script = connection.register_script(_RELEASE_STALE)
    longest = lock_ttl - stale_after
    return [
        name
        for name in queue_names
        if script(keys=[RQScheduler.get_locking_key(name)], args=[longest])
    ]


class TroveWorker(Worker):
    """An RQ worker that beats, sweeps and keeps its scheduler running."""

    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        self.timings = Timings.of(app)
        kwargs.setdefault("worker_ttl", self.timings.dequeue + 15)
        kwargs.setdefault("maintenance_interval", self.timings.maintenance)
        super().__init__(*args, **kwargs)
        self.app = app
        self.failed_fatally = False
        self.stop_was_requested = False
        self.beats_in_a_row = 0
        self._stop_beating = threading.Event()
        CURRENT_WORKER["name"] = self.name  # inherited by the forked work-horses

    # --- heartbeats (a thread, so they go on while a job runs) --------------------------

    def start_heartbeats(self) -> None:
        """Beat now and then every ``timings.heartbeat`` seconds in a background thread."""
        self._beat_once()
        threading.Thread(target=self._beat_loop, name="trove-heartbeat", daemon=True).start()

    def _beat_loop(self) -> None:
        while not self._stop_beating.wait(self.timings.heartbeat):
            self._beat_once()

    def _beat_once(self) -> None:
        with self.app.app_context():
            try:
                beat(f"worker:{self.name}")
                process = getattr(self.scheduler, "_process", None) if self.scheduler else None
                if process is not None and process.is_alive():
                    beat("scheduler")
                self.beats_in_a_row += 1
            except Exception as exc:  # the database is down: nothing to record it in
                self.beats_in_a_row = 0
                log.warning("worker %s: could not record its heartbeat: %s", self.name, exc)
            finally:
                db.session.remove()

    # --- the loop -----------------------------------------------------------------------

    def run_maintenance_tasks(self) -> None:
        """Free a dead scheduler's locks, restart ours, clean RQ's registries, sweep when due."""
        scheduler = self.scheduler
        process = getattr(scheduler, "_process", None) if scheduler else None
        if scheduler is not None and (process is None or not process.is_alive()):
            released = release_stale_scheduler_locks(
                self.connection,
                scheduler._queue_names,
                scheduler.interval + 60,
                self.timings.lock_stale,
            )
            if released:
                log.warning(
                    "worker %s: released the scheduler locks of %s (their holder stopped)",
                    self.name,
                    ", ".join(sorted(released)),
                )
        super().run_maintenance_tasks()
        if self.beats_in_a_row < 2:
            # Just after a database outage other workers may not have beaten again yet:
            # sweeping now would take their running jobs for orphans.
            return
        try:
            # A killed worker's job is handed over as soon as its death shows, at any
            # worker's next maintenance run, not at the next full sweep (once a minute).
            hand_over_orphans()
            if sweep_if_due(self.connection):
                log.info("worker %s: swept", self.name)
        except Exception:
            # The database may be restarting: log it and sweep at the next chance.
            log.exception("worker %s: the sweep failed", self.name)
        finally:
            db.session.remove()
        if self.stop_was_requested:
            # A SIGTERM during the sweep raises RQ's StopRequested inside it, which the
            # handler above took for a database error: the loop must still end.
            raise StopRequested()

    def request_stop(self, signum: Any, frame: Any) -> None:
        """Stop after the current job (SIGINT/SIGTERM); remember it was asked for."""
        self.stop_was_requested = True
        super().request_stop(signum, frame)

    def work(self, *args: Any, burst: bool = False, **kwargs: Any) -> bool:
        """Run the work loop; note whether it ended without being asked to (fatal)."""
        worked = super().work(*args, burst=burst, **kwargs)
        # RQ leaves its loop on its own only when Redis times out or something broke.
        self.failed_fatally = not burst and not self.stop_was_requested
        return worked

    def teardown(self) -> None:
        """Stop beating and forget this worker's heartbeat (a clean exit runs nothing)."""
        self._stop_beating.set()
        super().teardown()
        with self.app.app_context():
            try:
                row = db.session.get(Heartbeat, f"worker:{self.name}")
                if row is not None:
                    db.session.delete(row)
                    db.session.commit()
            except Exception as exc:
                log.warning("worker %s: could not remove its heartbeat: %s", self.name, exc)
            finally:
                db.session.remove()
