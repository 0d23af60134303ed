"""The sweep: hand over job rows left behind by a crash or an outage."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select, update

from trove.extensions import db
from trove.tasks.core import (
    _SWEEPS,
    Heartbeat,
    JobRecord,
    JobStatus,
    Timings,
    beat,
    hand_over_after_commit,
    redis_connection,
    rq_job_id,
)
from trove.timeutil import utcnow

log = logging.getLogger(__name__)


def _rq_job_is_live(conn: Any, record_id: int) -> bool:
    # Loaded only in RQ mode: importing redis/rq costs ~0.5 s of start-up otherwise.
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from rq.job import JobStatus as RQStatus

    try:
        rq_job = Job.fetch(rq_job_id(record_id), connection=conn)
    except NoSuchJobError:
        return False
    status = rq_job.get_status(refresh=True)
    return status in (RQStatus.QUEUED, RQStatus.STARTED, RQStatus.SCHEDULED, RQStatus.DEFERRED)


def _orphaned(record: JobRecord, beats: dict[str, Any], dead_since: Any) -> bool:
    """Whether a running job's worker stopped beating (killed, host gone): its last beat
    came before ``dead_since`` (now minus the app's ``Timings.dead_after``)."""
    if record.worker is None:
        return False
    beat_at = beats.get(f"worker:{record.worker}")
    return beat_at is None or beat_at < dead_since


def _worker_beats() -> dict[str, Any]:
    return dict(
        db.session.execute(
            select(Heartbeat.name, Heartbeat.beat_at).where(Heartbeat.name.like("worker:%"))
        ).all()
    )


def _take_back(record: JobRecord) -> bool:
    """Queue a running job again (or fail it, out of attempts); False if another sweep did.

    One conditional UPDATE on the attempt that was seen running: two workers sweeping at
    once cannot both hand the same job over, so it never runs twice.
    """
    spec = record.spec
    exhausted = spec is not None and record.attempts >= spec.max_attempts
    values: dict[str, Any] = {"status": JobStatus.FAILED if exhausted else JobStatus.QUEUED}
    if exhausted:
        values["error"] = record.error or "The worker stopped while running this job."
    taken = db.session.execute(
        update(JobRecord)
        .where(
            JobRecord.id == record.id,
            JobRecord.status == JobStatus.RUNNING,
            JobRecord.attempts == record.attempts,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return False
    if not exhausted:
        hand_over_after_commit([(record.id, record.name)])
    return True


def hand_over_orphans() -> int:
    """Hand over running jobs whose worker stopped beating; return how many (commits).

    Cheap enough for every worker's maintenance run (every few seconds), so a killed
    worker's job waits for its death to be noticed, not for the next full sweep.
    """
    dead_since = utcnow() - Timings.of().dead_after
    rows = db.session.scalars(select(JobRecord).where(JobRecord.status == JobStatus.RUNNING))
    beats = _worker_beats()
    count = sum(
        _take_back(record) for record in rows.all() if _orphaned(record, beats, dead_since)
    )
    db.session.commit()
    if count:
        log.info("handed over %s job(s) of stopped workers", count)
    return count


def sweep() -> int:
    """Hand over job rows left behind by a crash or an outage; return how many."""
    now = utcnow()
    stuck_after = timedelta(seconds=int(current_app.config["JOB_STUCK_AFTER_SECONDS"]))
    mode = current_app.config["TASKS_MODE"]
    conn = redis_connection() if mode == "rq" else None
    redo: list[tuple[int, str]] = []
    taken_back = 0
    rows = db.session.scalars(
        select(JobRecord).where(JobRecord.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
    ).all()
    beats = _worker_beats()
    dead_since = now - Timings.of().dead_after
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
            # Its worker stopped beating (killed, host gone): nobody is running it.
            if not _orphaned(record, beats, dead_since) and (
                now - record.started_at <= timeout
                or (mode == "rq" and _rq_job_is_live(conn, record.id))
            ):
                continue
            taken_back += _take_back(record)
    count = len(redo) + taken_back
    for feature_sweep in _SWEEPS:
        count += feature_sweep()
    if redo:
        hand_over_after_commit(redo)
    db.session.commit()
    if count:
        log.info("sweep re-enqueued %s job(s)", count)
    return count


def start_sweeper_thread(app: Flask) -> None:
    """Sweep every ``Timings.sweep_interval`` in a daemon thread (in-process modes)."""
    every = Timings.of(app).sweep_interval.total_seconds()

    def loop() -> None:
        stop = app.extensions["trove_sweeper_stop"]
        while not stop.wait(every):
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


SWEEP_LOCK = "trove:sweep-lock"


def sweep_if_due(conn: Any) -> bool:
    """Sweep unless another worker did within the sweep interval (RQ mode); return if it did."""
    interval = int(Timings.of().sweep_interval.total_seconds())
    ttl = max(interval - max(interval // 12, 1), 1)  # a little early rather than late
    if not conn.set(SWEEP_LOCK, "1", nx=True, ex=ttl):
        return False
    sweep()
    beat("sweep")
    return True


def scheduled_sweep() -> None:
    """Sweep once (kept for sweep jobs an older version put on RQ's schedule)."""
    sweep()
