"""Runners: hand committed job rows to RQ, a thread pool or the committing thread; run one."""

from __future__ import annotations

import logging
import os
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.orm import Session

from trove.extensions import db
from trove.tasks.core import (
    _REGISTRY,
    CURRENT_WORKER,
    PENDING_KEY,
    JobRecord,
    JobStatus,
    Timings,
    beat,
    redis_connection,
    rq_job_id,
)
from trove.tasks.sweep import start_sweeper_thread
from trove.timeutil import utcnow

log = logging.getLogger(__name__)


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the jobs wait for the real commit
    pending = session.info.pop(PENDING_KEY, None)
    if pending:
        dispatch(pending)


def _after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint rolled back; what the outer transaction queued still stands
    session.info.pop(PENDING_KEY, None)


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
    """Put the jobs on their RQ queues in one Redis round trip (one pipeline, one MULTI)."""
    # Loaded only in RQ mode: importing redis/rq costs ~0.5 s of start-up otherwise.
    from rq import Retry

    conn = redis_connection(app)
    delays = list(Timings.of(app).retry_delays)
    try:
        with conn.pipeline() as pipe:
            for record_id, name in pending:
                spec = _REGISTRY.get(name)
                _rq_queue(app, spec.queue if spec else "default").enqueue_call(
                    run_job,
                    args=(record_id,),
                    job_id=rq_job_id(record_id),
                    timeout=spec.timeout if spec else 300,
                    retry=Retry(max=max(spec.max_attempts - 1, 0), interval=delays)
                    if spec and spec.max_attempts > 1
                    else None,
                    failure_ttl=30 * 86400,
                    result_ttl=3600,
                    pipeline=pipe,
                )
            pipe.execute()
    except Exception as exc:  # the rows stay queued; the sweep hands them over again
        log.warning(
            "could not hand job(s) %s to Redis (%s); the sweep will retry",
            ", ".join(str(r) for r, _n in pending),
            exc,
        )


def _rq_queue(app: Flask, name: str) -> Any:
    """Return the app's RQ queue ``name``, made once per process (not once per job)."""
    from rq import Queue

    queues = app.extensions.setdefault("trove_rq_queues", {})
    queue = queues.get(name)
    if queue is None:
        queue = queues[name] = Queue(name, connection=redis_connection(app))
    return queue


_EXECUTOR_LOCK = threading.Lock()


def _executor(app: Flask) -> ThreadPoolExecutor:
    with _EXECUTOR_LOCK:
        executor = app.extensions.get("trove_executor")
        if executor is None:
            executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="trove-job")
            app.extensions["trove_executor"] = executor
            start_sweeper_thread(app)
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
    every = Timings.of(app).heartbeat

    def loop() -> None:
        while not stop.wait(every):
            with app.app_context():
                try:
                    beat(f"worker:{name}")
                except Exception as exc:
                    log.warning("job heartbeat failed: %s", exc)
                finally:
                    db.session.remove()

    threading.Thread(target=loop, name="trove-job-heartbeat", daemon=True).start()
    return stop


def init_app(app: Flask) -> None:
    """Hook job dispatch onto commits of the app's database session."""
    Timings.of(app)  # refuse worker timings that could run a job twice, at start
    if app.config["TASKS_MODE"] == "rq":
        # Imported now, not by a web worker's first job hand-off (rq and its job module
        # take ~0.2 s of CPU to import: that request would wait for it).
        import rq.job  # noqa: F401
    if not event.contains(FlaskSession, "after_commit", _after_commit):
        event.listen(FlaskSession, "after_commit", _after_commit)
        event.listen(FlaskSession, "after_rollback", _after_rollback)
