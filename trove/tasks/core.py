"""Job rows, the job registry, heartbeats and the hand-off queue of committed jobs."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import JSON, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from trove.extensions import db, enum_column
from trove.timeutil import utcnow

QUEUES = ("media", "payouts", "default")
PENDING_KEY = "trove_pending_jobs"


class JobStatus(enum.StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class JobSpec:
    """A job function with its queue, timeout and retry policy."""

    name: str
    func: Callable[..., Any]
    queue: str
    timeout: int
    max_attempts: int


_REGISTRY: dict[str, JobSpec] = {}
_SWEEPS: list[Callable[[], int]] = []


def job(
    *, queue: str = "default", timeout: int = 300, max_attempts: int = 3
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a job function with its queue, timeout (seconds) and attempts."""
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        name = f"{func.__module__}.{func.__qualname__}"
        _REGISTRY[name] = JobSpec(name, func, queue, timeout, max_attempts)
        func.job_name = name  # type: ignore[attr-defined]
        return func

    return register


def register_sweep(func: Callable[[], int]) -> Callable[[], int]:
    """Register a feature's sweep (returns how many items it re-enqueued)."""
    _SWEEPS.append(func)
    return func


class JobRecord(db.Model):
    """One background job and its outcome."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    queue: Mapped[str] = mapped_column(String(20))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[JobStatus] = enum_column(
        JobStatus, length=12, default=JobStatus.QUEUED, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # The RQ worker running it (None in-process): when that worker's heartbeat stops, the
    # sweep hands the job over at once instead of waiting for its timeout.
    worker: Mapped[str | None] = mapped_column(String(200))

    @property
    def spec(self) -> JobSpec | None:
        """Return the registered job this row runs, if known."""
        return _REGISTRY.get(self.name)

    @property
    def short_name(self) -> str:
        """Return the job's name without its package prefix."""
        return self.name.removeprefix("trove.")


class Heartbeat(db.Model):
    """When a worker, the scheduler or the sweep was last seen alive."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    beat_at: Mapped[datetime]


@dataclass(frozen=True)
class Timings:
    """How often workers beat, sweep and retry, from the app's ``WORKER_*`` settings.

    One home for every interval of the job machinery: a deployment keeps the defaults, the
    fault tests shorten them (so they wait seconds, not minutes, for a death to show or a
    retry to come due). The ratios that keep jobs from running twice are checked here.
    """

    heartbeat: float  #: seconds between a worker's beats (and a running job's)
    dead_after: timedelta  #: a worker silent this long is gone: its running job is handed over
    maintenance: int  #: seconds between an idle worker's maintenance runs
    dequeue: int  #: seconds one blocking wait for jobs lasts (RQ's worker TTL is this + 15)
    retry_delays: tuple[int, ...]  #: seconds before the 2nd, 3rd, … attempt of a failed job
    lock_stale: int  #: a scheduler lock unrenewed this long belongs to a dead scheduler
    sweep_interval: timedelta  #: how often the full sweep runs (once across all workers)

    @classmethod
    def of(cls, app: Flask | None = None) -> Timings:
        """Return the timings of ``app`` (default: the current app), read and checked once
        (at start, by ``trove.tasks.init_app``); every hand-off and sweep asks again."""
        app = app or current_app._get_current_object()  # type: ignore[attr-defined]
        found = app.extensions.get("trove_timings")
        if found is None:
            found = app.extensions["trove_timings"] = cls.read(app.config)
        return found  # type: ignore[no-any-return]

    @classmethod
    def read(cls, config: Any) -> Timings:
        """Read the timings from ``config`` and check them."""
        delays = config["JOB_RETRY_DELAYS"]
        if isinstance(delays, str):  # "10,60,300" from the environment, as well as [10, 60, 300]
            delays = [part for part in delays.replace(" ", "").split(",") if part]
        try:
            retry_delays = tuple(int(s) for s in delays)
        except (TypeError, ValueError):
            raise ValueError(
                f"TROVE_JOB_RETRY_DELAYS must list whole seconds, e.g. [10, 60], not {delays!r}"
            ) from None
        found = cls(
            heartbeat=float(config["WORKER_HEARTBEAT_SECONDS"]),
            dead_after=timedelta(seconds=int(config["WORKER_DEAD_AFTER_SECONDS"])),
            maintenance=int(config["WORKER_MAINTENANCE_SECONDS"]),
            dequeue=int(config["WORKER_DEQUEUE_SECONDS"]),
            retry_delays=retry_delays,
            lock_stale=int(config["SCHEDULER_LOCK_STALE_SECONDS"]),
            sweep_interval=timedelta(seconds=int(config["SWEEP_INTERVAL_SECONDS"])),
        )
        found.check()
        return found

    def check(self) -> None:
        """Refuse timings under which a live worker could be taken for a dead one."""
        if self.heartbeat <= 0 or min(self.maintenance, self.dequeue, self.lock_stale) < 1:
            raise ValueError("TROVE_WORKER_* intervals must be positive (whole seconds)")
        if self.dead_after.total_seconds() < 3 * self.heartbeat:
            raise ValueError(
                "TROVE_WORKER_DEAD_AFTER_SECONDS must be at least three heartbeats "
                "(TROVE_WORKER_HEARTBEAT_SECONDS): a worker slowed down for a moment "
                "would lose its job to another one"
            )
        if not self.retry_delays or min(self.retry_delays) < 1:
            raise ValueError("TROVE_JOB_RETRY_DELAYS must list whole seconds, e.g. [10, 60]")
        if self.sweep_interval.total_seconds() < 2:
            raise ValueError("TROVE_SWEEP_INTERVAL_SECONDS must be at least 2")


def beat(name: str) -> None:
    """Record that ``name`` is alive now (commits)."""
    for _attempt in range(2):
        row = db.session.get(Heartbeat, name)
        if row is None:
            db.session.add(Heartbeat(name=name, beat_at=utcnow()))
        else:
            row.beat_at = utcnow()
        try:
            db.session.commit()
            return
        except IntegrityError:  # another process made the row first: update it instead
            db.session.rollback()


def last_beat(name: str) -> datetime | None:
    """Return when ``name`` last beat, if ever."""
    return db.session.scalar(select(Heartbeat.beat_at).where(Heartbeat.name == name))


#: Set in an RQ worker process (and inherited by its work-horses): the worker's name.
CURRENT_WORKER: dict[str, str | None] = {"name": None}


def enqueue(func: Callable[..., Any], *ids: Any) -> JobRecord:
    """Record a job to run ``func(*ids)`` once the current transaction commits."""
    name = getattr(func, "job_name", None)
    if name is None or name not in _REGISTRY:
        raise ValueError(f"{func!r} is not declared with @job")
    spec = _REGISTRY[name]
    record = JobRecord(name=name, queue=spec.queue, args=list(ids))
    db.session.add(record)
    db.session.flush()
    hand_over_after_commit([(record.id, name)])
    return record


def hand_over_after_commit(rows: list[tuple[int, str]]) -> None:
    """Mark job rows, given as (id, job name), for dispatch when the session commits."""
    db.session.info.setdefault(PENDING_KEY, []).extend(rows)


def retry_job(record: JobRecord) -> None:
    """Queue a failed job again from a fresh set of attempts (flushes; dispatch on commit)."""
    record.status = JobStatus.QUEUED
    record.attempts = 0
    record.error = None
    record.created_at = utcnow()
    db.session.flush()
    hand_over_after_commit([(record.id, record.name)])


def redis_connection(app: Flask | None = None) -> Any:
    """Return the app's shared Redis connection (RQ mode)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    conn = app.extensions.get("trove_redis")
    if conn is None:
        # Loaded only in RQ mode: importing redis/rq costs ~0.5 s of start-up otherwise.
        from redis import Redis

        conn = Redis.from_url(app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=5)
        app.extensions["trove_redis"] = conn
    return conn


def rq_job_id(record_id: int) -> str:
    """Return the RQ job id used for job row ``record_id``."""
    return f"trove-job-{record_id}"
