"""Background jobs: enqueue after commit; RQ on Redis when configured, in-process otherwise.

Every job is a row in ``jobs`` written in the same transaction as the work that asked for
it, and handed to a runner only after that transaction commits. If the hand-off fails
(Redis down, process killed), the row stays ``queued`` and :func:`sweep` hands it over
again. Jobs are module-level functions taking ids, declared with :func:`job`, and must be
idempotent: running one twice, or again after a crash midway, is harmless.

Modes (``TASKS_MODE``): ``rq`` (a worker started by ``flask trove worker`` runs them),
``thread`` (a small in-process pool; the embedded default), ``sync`` (run at commit, in
the committing thread, for tests).
"""

from __future__ import annotations

import enum
import logging
import os
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import JSON, Enum, String, Text, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from trove.extensions import db
from trove.timeutil import utcnow

log = logging.getLogger(__name__)

QUEUES = ("media", "payouts", "default")
_PENDING_KEY = "trove_pending_jobs"


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
    status: Mapped[JobStatus] = mapped_column(
        Enum(
            JobStatus, native_enum=False, length=12, values_callable=lambda e: [m.value for m in e]
        ),
        default=JobStatus.QUEUED,
        index=True,
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
    db.session.info.setdefault(_PENDING_KEY, []).append((record.id, name))
    return record


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the jobs wait for the real commit
    pending = session.info.pop(_PENDING_KEY, None)
    if pending:
        dispatch(pending)


def _after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint rolled back; what the outer transaction queued still stands
    session.info.pop(_PENDING_KEY, None)


# --- runners -----------------------------------------------------------------------------


def _redis(app: Flask | None = None) -> Any:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    conn = app.extensions.get("trove_redis")
    if conn is None:
        from redis import Redis

        conn = Redis.from_url(app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=5)
        app.extensions["trove_redis"] = conn
    return conn


def rq_job_id(record_id: int) -> str:
    """Return the RQ job id used for job row ``record_id``."""
    return f"trove-job-{record_id}"


def dispatch(pending: list[tuple[int, str]]) -> None:
    """Hand committed job rows, given as (id, job name), to the configured runner."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    mode = app.config["TASKS_MODE"]
    if mode == "rq":
        _dispatch_rq(app, pending)
    elif mode == "sync":
        for record_id, _name in pending:
            with app.app_context():
                _run_logged(record_id)
    else:
        executor = _executor(app)
        for record_id, _name in pending:
            executor.submit(_run_in_thread, app, record_id)


def _dispatch_rq(app: Flask, pending: list[tuple[int, str]]) -> None:
    from rq import Queue, Retry

    conn = _redis(app)
    for record_id, name in pending:
        spec = _REGISTRY.get(name)
        try:
            Queue(spec.queue if spec else "default", connection=conn).enqueue(
                run_job,
                record_id,
                job_id=rq_job_id(record_id),
                job_timeout=spec.timeout if spec else 300,
                retry=Retry(max=max(spec.max_attempts - 1, 0), interval=[10, 60, 300])
                if spec and spec.max_attempts > 1
                else None,
                failure_ttl=30 * 86400,
                result_ttl=3600,
            )
        except Exception as exc:  # the rows stay queued; the sweep hands them over again
            log.warning(
                "could not hand job(s) %s to Redis (%s); the sweep will retry",
                ", ".join(str(r) for r, _n in pending),
                exc,
            )
            return


_EXECUTOR_LOCK = threading.Lock()


def _executor(app: Flask) -> ThreadPoolExecutor:
    with _EXECUTOR_LOCK:
        executor = app.extensions.get("trove_executor")
        if executor is None:
            executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="trove-job")
            app.extensions["trove_executor"] = executor
            _start_sweeper_thread(app)
        return executor


def _run_in_thread(app: Flask, record_id: int) -> None:
    with app.app_context():
        _run_logged(record_id)
        record = db.session.get(JobRecord, record_id)
        if record is not None and record.status is JobStatus.QUEUED:
            # A failed attempt with attempts left: try again after a short pause.
            threading.Timer(
                5.0, lambda: _executor(app).submit(_run_in_thread, app, record_id)
            ).start()
        db.session.remove()


def _run_logged(record_id: int) -> None:
    try:
        run_job(record_id)
    except Exception:
        log.exception("job %s failed", record_id)


# The process that imported this module; a job running in another one (a forked RQ
# work-horse) drops the inherited pool without closing the parent's connections.
_ENGINE_PID: dict[str, int] = {"pid": os.getpid()}


def run_job(record_id: int) -> None:
    """Run job row ``record_id`` once, recording its outcome (RQ's entry point)."""
    # A forked RQ work-horse must not reuse the parent's database connections.
    if _ENGINE_PID.get("pid") != os.getpid():
        db.engine.dispose(close=False)
        _ENGINE_PID["pid"] = os.getpid()
    record = db.session.get(JobRecord, record_id)
    if record is None or record.status is JobStatus.DONE:
        return
    spec = _REGISTRY.get(record.name)
    if spec is None:
        record.status = JobStatus.FAILED
        record.error = f"unknown job {record.name}"
        db.session.commit()
        raise LookupError(record.error)
    record.status = JobStatus.RUNNING
    record.attempts += 1
    record.started_at = utcnow()
    record.worker = CURRENT_WORKER["name"]
    args = list(record.args)
    db.session.commit()
    log.info("job %s (%s) started, attempt %s", record_id, spec.name, record.attempts)
    stop_beating = _beat_while_running()
    try:
        spec.func(*args)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        record = db.session.get(JobRecord, record_id)
        if record is not None:
            record.error = "".join(traceback.format_exception_only(exc)).strip()[:4000]
            record.status = (
                JobStatus.QUEUED if record.attempts < spec.max_attempts else JobStatus.FAILED
            )
            record.finished_at = utcnow()
            db.session.commit()
        log.warning("job %s (%s) failed: %s", record_id, spec.name, exc)
        raise
    finally:
        stop_beating.set()
    record = db.session.get(JobRecord, record_id)
    if record is not None:
        record.status = JobStatus.DONE
        record.finished_at = utcnow()
        record.error = None
        db.session.commit()
    log.info("job %s (%s) done", record_id, spec.name)


def _beat_while_running() -> threading.Event:
    """In an RQ work-horse, beat for its worker while the job runs; return the stop switch.

    A horse outlives a worker killed alone and finishes its job: its beats keep the sweep
    from handing that job to another worker meanwhile.
    """
    stop = threading.Event()
    name = CURRENT_WORKER["name"]
    if name is None:
        return stop
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def loop() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            with app.app_context():
                try:
                    beat(f"worker:{name}")
                except Exception as exc:
                    log.warning("job heartbeat failed: %s", exc)
                finally:
                    db.session.remove()

    threading.Thread(target=loop, name="trove-job-heartbeat", daemon=True).start()
    return stop


def retry_job(record: JobRecord) -> None:
    """Queue a failed job again from a fresh set of attempts (flushes; dispatch on commit)."""
    record.status = JobStatus.QUEUED
    record.attempts = 0
    record.error = None
    record.created_at = utcnow()
    db.session.flush()
    db.session.info.setdefault(_PENDING_KEY, []).append((record.id, record.name))


# --- sweep -------------------------------------------------------------------------------


def _rq_job_is_live(conn: Any, record_id: int) -> bool:
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from rq.job import JobStatus as RQStatus

    try:
        rq_job = Job.fetch(rq_job_id(record_id), connection=conn)
    except NoSuchJobError:
        return False
    status = rq_job.get_status(refresh=True)
    return status in (RQStatus.QUEUED, RQStatus.STARTED, RQStatus.SCHEDULED, RQStatus.DEFERRED)


def sweep() -> int:
    """Hand over job rows left behind by a crash or an outage; return how many."""
    now = utcnow()
    stuck_after = timedelta(seconds=int(current_app.config["JOB_STUCK_AFTER_SECONDS"]))
    mode = current_app.config["TASKS_MODE"]
    conn = _redis() if mode == "rq" else None
    redo: list[tuple[int, str]] = []
    rows = db.session.scalars(
        select(JobRecord).where(JobRecord.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
    ).all()
    beats = dict(
        db.session.execute(
            select(Heartbeat.name, Heartbeat.beat_at).where(Heartbeat.name.like("worker:%"))
        ).all()
    )
    for record in rows:
        spec = record.spec
        timeout = timedelta(seconds=(spec.timeout if spec else 300)) + stuck_after
        if record.status is JobStatus.QUEUED:
            if mode == "rq":
                if _rq_job_is_live(conn, record.id):
                    continue
                # A row younger than a few seconds may not be handed over yet.
                if now - record.created_at < timedelta(seconds=30):
                    continue
            elif now - record.created_at < stuck_after:
                continue
            redo.append((record.id, record.name))
        elif record.started_at is not None:
            beat_at = beats.get(f"worker:{record.worker}") if record.worker else None
            # Its worker stopped beating (killed, host gone): nobody is running it.
            orphaned = record.worker is not None and (
                beat_at is None or now - beat_at > WORKER_DEAD_AFTER
            )
            if not orphaned and (
                now - record.started_at <= timeout
                or (mode == "rq" and _rq_job_is_live(conn, record.id))
            ):
                continue
            if spec is not None and record.attempts >= spec.max_attempts:
                record.status = JobStatus.FAILED
                record.error = record.error or "The worker stopped while running this job."
            else:
                record.status = JobStatus.QUEUED
                redo.append((record.id, record.name))
    count = len(redo)
    for feature_sweep in _SWEEPS:
        count += feature_sweep()
    if redo:
        db.session.info.setdefault(_PENDING_KEY, []).extend(redo)
    db.session.commit()
    if count:
        log.info("sweep re-enqueued %s job(s)", count)
    return count


def _start_sweeper_thread(app: Flask) -> None:
    def loop() -> None:
        stop = app.extensions["trove_sweeper_stop"]
        while not stop.wait(60):
            with app.app_context():
                try:
                    sweep()
                    beat("sweep")
                except Exception:
                    log.exception("sweep failed")
                finally:
                    db.session.remove()

    app.extensions["trove_sweeper_stop"] = threading.Event()
    threading.Thread(target=loop, name="trove-sweeper", daemon=True).start()


SWEEP_INTERVAL = timedelta(seconds=60)
SWEEP_LOCK = "trove:sweep-lock"


def sweep_if_due(conn: Any) -> bool:
    """Sweep unless another worker did within SWEEP_INTERVAL (RQ mode); return if it did."""
    ttl = max(int(SWEEP_INTERVAL.total_seconds()) - 5, 1)
    if not conn.set(SWEEP_LOCK, "1", nx=True, ex=ttl):
        return False
    sweep()
    beat("sweep")
    return True


def scheduled_sweep() -> None:
    """Sweep once (kept for sweep jobs an older version put on RQ's schedule)."""
    sweep()


# --- health ------------------------------------------------------------------------------


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

    @property
    def sweep_late(self) -> bool:
        """Return whether the periodic sweep has not run when it should have (RQ mode)."""
        return self.mode == "rq" and _late(self.sweep_at, self.now, SWEEP_INTERVAL * 3)

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
    counts = {s.value: 0 for s in JobStatus}
    for status, n in db.session.execute(
        select(JobRecord.status, func.count()).group_by(JobRecord.status)
    ):
        counts[JobStatus(status).value] = n
    depths = {name: 0 for name in QUEUES}
    workers: list[dict[str, Any]] = []
    redis_ok, redis_error = True, None
    if mode == "rq":
        from rq import Queue, Worker

        conn = _redis()
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
    )


def init_app(app: Flask) -> None:
    """Hook job dispatch onto commits of the app's database session."""
    from flask_sqlalchemy.session import Session as FlaskSession

    if not event.contains(FlaskSession, "after_commit", _after_commit):
        event.listen(FlaskSession, "after_commit", _after_commit)
        event.listen(FlaskSession, "after_rollback", _after_rollback)
