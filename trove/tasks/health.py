"""Queue health for the admin page: depths, worker liveness, job counts, late sweeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from trove.extensions import count_each, db
from trove.tasks.core import QUEUES, JobRecord, JobStatus, Timings, last_beat, redis_connection
from trove.timeutil import utcnow


@dataclass
class QueueHealth:
    """What the admin page shows about background jobs."""

    mode: str
    redis_ok: bool
    redis_error: str | None
    queue_depths: dict[str, int]
    workers: list[dict[str, Any]]
    counts: dict[str, int]
    sweep_at: datetime | None = None
    scheduler_at: datetime | None = None
    now: datetime | None = None
    sweep_interval: timedelta = timedelta(seconds=60)

    @property
    def sweep_late(self) -> bool:
        """Return whether the periodic sweep has not run when it should have (RQ mode)."""
        return self.mode == "rq" and _late(self.sweep_at, self.now, self.sweep_interval * 3)

    @property
    def scheduler_late(self) -> bool:
        """Return whether RQ's scheduler (retries, delayed jobs) has gone silent."""
        return self.mode == "rq" and _late(self.scheduler_at, self.now, SCHEDULER_LATE_AFTER)

    @property
    def worker_alive(self) -> bool:
        """Return whether jobs will run: a live RQ worker, or in-process mode."""
        if self.mode != "rq":
            return True
        return self.redis_ok and any(w["alive"] for w in self.workers)


#: The worker running RQ's scheduler notes it every few seconds; silent this long is late.
SCHEDULER_LATE_AFTER = timedelta(seconds=120)


def _late(at: datetime | None, now: datetime | None, allowed: timedelta) -> bool:
    return at is None or now is None or now - at > allowed


def queue_health() -> QueueHealth:
    """Collect queue depth, worker liveness and job counts."""
    mode = current_app.config["TASKS_MODE"]
    counts = count_each(JobRecord.status, JobStatus)
    depths = {name: 0 for name in QUEUES}
    workers: list[dict[str, Any]] = []
    redis_ok, redis_error = True, None
    if mode == "rq":
        # Loaded only in RQ mode: importing redis/rq costs ~0.5 s of start-up otherwise.
        from rq import Queue, Worker

        conn = redis_connection()
        try:
            conn.ping()
            for name in QUEUES:
                depths[name] = Queue(name, connection=conn).count
            now = utcnow()
            for worker in Worker.all(connection=conn):
                beat = worker.last_heartbeat
                beat = beat.replace(tzinfo=None) if beat else None
                workers.append(
                    {
                        "name": worker.name,
                        "state": worker.get_state(),
                        "queues": ", ".join(worker.queue_names()),
                        "last_heartbeat": beat,
                        "alive": beat is not None and now - beat < timedelta(seconds=120),
                    }
                )
        except Exception as exc:  # shown on the admin page, not raised
            redis_ok, redis_error = False, str(exc) or type(exc).__name__
    else:
        depths = {name: 0 for name in QUEUES}
        for queue, n in db.session.execute(
            select(JobRecord.queue, func.count())
            .where(JobRecord.status == JobStatus.QUEUED)
            .group_by(JobRecord.queue)
        ):
            depths[queue] = n
    return QueueHealth(
        mode,
        redis_ok,
        redis_error,
        depths,
        workers,
        counts,
        sweep_at=last_beat("sweep"),
        scheduler_at=last_beat("scheduler"),
        now=utcnow(),
        sweep_interval=Timings.of().sweep_interval,
    )
