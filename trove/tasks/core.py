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


#: A worker beats every HEARTBEAT_SECONDS; one silent for WORKER_DEAD_AFTER is gone.
HEARTBEAT_SECONDS = 5
WORKER_DEAD_AFTER = timedelta(seconds=45)


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
