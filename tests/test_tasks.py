"""Background jobs: after-commit dispatch, a real RQ worker on a real Redis, the sweep."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import login
from tests.factories import make_user
from trove import mail
from trove.accounts.models import Role
from trove.extensions import db
from trove.tasks import JobRecord, JobStatus, enqueue, queue_health, retry_job, sweep

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("settings", "refused"),
    [
        ({"WORKER_HEARTBEAT_SECONDS": 20}, "at least three heartbeats"),  # 45 s < 3 × 20 s
        ({"WORKER_DEAD_AFTER_SECONDS": 14}, "at least three heartbeats"),
        ({"WORKER_MAINTENANCE_SECONDS": 0}, "must be positive"),
        ({"JOB_RETRY_DELAYS": []}, "TROVE_JOB_RETRY_DELAYS"),
        ({"JOB_RETRY_DELAYS": "ten,60"}, "TROVE_JOB_RETRY_DELAYS"),
        ({"SWEEP_INTERVAL_SECONDS": 1}, "TROVE_SWEEP_INTERVAL_SECONDS"),
    ],
)
def test_worker_timings_under_which_a_job_could_run_twice_are_refused_at_start(
    make_app, settings, refused
):
    with pytest.raises(ValueError, match=refused):
        make_app(**settings)


def test_worker_timings_come_from_the_settings(make_app):
    from datetime import timedelta

    from trove.tasks import Timings

    assert Timings.of(make_app()) == Timings(
        heartbeat=5,
        dead_after=timedelta(seconds=45),
        maintenance=10,
        dequeue=15,
        retry_delays=(10, 60, 300),
        lock_stale=15,
        sweep_interval=timedelta(seconds=60),
    )
    quick = Timings.of(make_app(WORKER_HEARTBEAT_SECONDS=1, WORKER_DEAD_AFTER_SECONDS=3))
    assert (quick.heartbeat, quick.dead_after) == (1, timedelta(seconds=3))
    assert Timings.of(make_app(JOB_RETRY_DELAYS="5, 30")).retry_delays == (5, 30)


def test_sync_job_runs_only_after_commit(app_ctx, outbox):
    mail.send_mail("a@example.org", "Hi", "Body")
    assert outbox == []  # not before the commit
    db.session.commit()
    assert [m["To"] for m in outbox] == ["a@example.org"]
    record = db.session.scalar(select(JobRecord))
    assert record.status is JobStatus.DONE and record.attempts == 1


def test_rolled_back_job_never_runs(app_ctx, outbox):
    mail.send_mail("a@example.org", "Hi", "Body")
    db.session.rollback()
    db.session.commit()
    assert outbox == []
    assert db.session.scalar(select(JobRecord)) is None


def test_enqueue_refuses_undeclared_functions(app_ctx):
    with pytest.raises(ValueError, match="not declared"):
        enqueue(print, 1)


def test_failing_job_records_error_and_can_be_retried(make_app, outbox):
    app = make_app(MAIL_BACKEND="nonsense")
    with app.app_context():
        mail.send_mail("a@example.org", "Hi", "Body")
        db.session.commit()
        record = db.session.scalar(select(JobRecord))
        # Sync mode runs one attempt per hand-off; the row stays queued while attempts remain.
        assert record.status is JobStatus.QUEUED and "unknown MAIL_BACKEND" in record.error
        record.attempts = record.spec.max_attempts
        record.status = JobStatus.FAILED
        db.session.commit()
        app.config["MAIL_BACKEND"] = "memory"
        retry_job(record)
        db.session.commit()
        assert db.session.get(JobRecord, record.id).status is JobStatus.DONE
    assert len(outbox) == 1


def test_sweep_runs_jobs_left_queued_by_a_crash(make_app, outbox):
    app = make_app(JOB_STUCK_AFTER_SECONDS=0)
    with app.app_context():
        # A row committed without its hand-off, as after a crash between commit and dispatch.
        db.session.add(
            JobRecord(name=mail.deliver_mail.job_name, queue="default", args=["a@x.org", "S", "B"])
        )
        db.session.commit()
        assert outbox == []
        assert sweep() == 1
        assert db.session.scalar(select(JobRecord.status)) is JobStatus.DONE
    assert len(outbox) == 1


def test_thread_mode_runs_jobs_in_the_background(make_app, outbox):
    app = make_app(TASKS_MODE="thread")
    with app.app_context():
        mail.send_mail("a@example.org", "Hi", "Body")
        db.session.commit()
    app.extensions["trove_executor"].shutdown(wait=True)
    with app.app_context():
        assert db.session.scalar(select(JobRecord.status)) is JobStatus.DONE
    assert len(outbox) == 1
    app.extensions.pop("trove_executor")
    app.extensions["trove_sweeper_stop"].set()


def _worker_env(app, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TROVE_")}
    env.update(
        {
            "FLASK_APP": "trove",
            "TROVE_DATABASE_URL": app.config["DATABASE_URL"],
            "REDIS_URL": redis_url,
            "TROVE_SECRET_KEY": "test-secret-key",
            "TROVE_MAIL_BACKEND": "log",
            "TROVE_STORAGE_DIR": app.config["STORAGE_DIR"],
        }
    )
    return env


@pytest.mark.redis
def test_real_rq_worker_runs_a_job_from_real_redis(make_app, redis_url):
    app = make_app(TASKS_MODE="rq", REDIS_URL=redis_url)
    with app.app_context():
        mail.send_mail("worker@example.org", "From the worker", "Sent by RQ")
        db.session.commit()
        record_id = db.session.scalar(select(JobRecord.id))
        health = queue_health()
        assert health.queue_depths["default"] == 1
        assert not health.worker_alive  # no worker yet
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "flask", "trove", "worker", "--burst"],
        cwd=ROOT,
        env=_worker_env(app, redis_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "To: worker@example.org" in result.stderr
    with app.app_context():
        record = db.session.get(JobRecord, record_id)
        assert record.status is JobStatus.DONE and record.attempts == 1


def _redis_transactions(conn) -> int:
    return int(conn.info("commandstats").get("cmdstat_exec", {}).get("calls", 0))


@pytest.mark.redis
def test_a_commits_jobs_go_to_redis_in_one_transaction(make_app, redis_url):
    """Each commit's jobs reach their queues in one MULTI/EXEC (one round trip), not in two
    pipelines for each job."""
    from rq import Queue
    from rq.job import Job

    from trove.tasks import redis_connection

    app = make_app(TASKS_MODE="rq", REDIS_URL=redis_url)
    with app.app_context():
        conn = redis_connection()
        mail.send_mail("first@example.org", "One", "Body")
        db.session.commit()  # the first hand-off makes the queue
        before = _redis_transactions(conn)
        for n in range(3):
            mail.send_mail(f"a{n}@example.org", "Hi", "Body")
            mail.send_mail(f"b{n}@example.org", "Hi", "Body")
            db.session.commit()
        assert _redis_transactions(conn) - before == 3
        ids = list(db.session.scalars(select(JobRecord.id).order_by(JobRecord.id)))
        assert Queue("default", connection=conn).count == len(ids) == 7
        job = Job.fetch(f"trove-job-{ids[-1]}", connection=conn)
        # As deliver_mail is declared: 60 s, 5 attempts (4 retries).
        assert (job.args, job.timeout, job.retries_left) == ((ids[-1],), 60, 4)


@pytest.mark.redis
def test_redis_outage_keeps_jobs_and_admin_page_shows_it(make_app, redis_server, tmp_path):
    from tests.conftest import RedisServer

    outage = RedisServer(tmp_path)
    outage.start()
    app = make_app(TASKS_MODE="rq", REDIS_URL=outage.url)
    with app.app_context():
        make_user(Role.ADMIN, email="admin@example.org")
    client = app.test_client()
    login(client, "admin@example.org")
    outage.stop()
    # The change commits even though Redis is down; the job row waits for the sweep.
    with app.app_context():
        mail.send_mail("a@example.org", "Hi", "Body")
        db.session.commit()
        assert db.session.scalar(select(JobRecord.status)) is JobStatus.QUEUED
    page = client.get("/admin/").data
    assert b"Redis is unreachable" in page
    # Redis comes back on the same port: the sweep hands the job over.
    outage.start()
    with app.app_context():
        record = db.session.scalar(select(JobRecord))
        record.created_at = record.created_at.replace(year=2000)
        db.session.commit()
        assert sweep() == 1
        from rq import Queue

        from trove.tasks import redis_connection

        assert Queue("default", connection=redis_connection()).count == 1
    outage.stop()


@pytest.mark.redis
def test_uploads_succeed_through_a_redis_restart_and_are_processed_after(make_app, tmp_path):
    import io

    from tests.conftest import RedisServer
    from tests.factories import make_project
    from tests.images import photo
    from trove.submissions.models import Submission, SubmissionStatus

    redis = RedisServer(tmp_path)
    redis.start()
    app = make_app(TASKS_MODE="rq", REDIS_URL=redis.url)
    with app.app_context():
        project = make_project(target_count=10, per_contributor_limit=None)
        project_id, version_id = project.id, project.current_version_id
        make_user(email="sam@example.org")
        make_user(Role.ADMIN, email="admin@example.org")
    sam, admin = app.test_client(), app.test_client()
    login(sam, "sam@example.org")
    login(admin, "admin@example.org")

    def upload(seed: int) -> int:
        return sam.post(
            f"/projects/{project_id}/submissions",
            data={
                "photos": (io.BytesIO(photo(320, 240, seed=seed)), "a.jpg"),
                "consent": str(version_id),
            },
            content_type="multipart/form-data",
            headers={"HX-Request": "true"},
        ).status_code

    assert upload(1) == 201
    redis.stop()  # Redis goes away while the app runs
    assert upload(2) == 201  # the upload is kept; its job row waits for the sweep
    assert b"Redis is unreachable" in admin.get("/admin/").data
    redis.start()  # back on the same port, empty (as after a restart without persistence)
    with app.app_context():
        # The photos' jobs (publishing the brief also queued an e-mail, left as it is).
        photo_jobs = select(JobRecord).where(JobRecord.name.endswith("process_submission"))
        for record in db.session.scalars(photo_jobs):
            record.created_at = record.created_at.replace(year=2000)
        db.session.commit()
        assert sweep() == 2  # both jobs handed over again (the first was lost with Redis)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "flask", "trove", "worker", "--burst"],
        cwd=ROOT,
        env=_worker_env(app, redis.url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with app.app_context():
        statuses = db.session.scalars(select(Submission.status)).all()
        assert statuses == [SubmissionStatus.PENDING_REVIEW] * 2
        assert {r.status for r in db.session.scalars(photo_jobs)} == {JobStatus.DONE}
    redis.stop()


@pytest.mark.redis
def test_a_killed_workers_job_goes_back_at_the_next_maintenance_once_not_at_the_sweep(
    make_app, redis_url
):
    from datetime import timedelta

    from redis import Redis
    from rq import Queue

    from trove.tasks import Heartbeat, Timings
    from trove.tasks.sweep import SWEEP_LOCK
    from trove.timeutil import utcnow
    from trove.worker import TroveWorker

    app = make_app(TASKS_MODE="rq", REDIS_URL=redis_url)
    dead_after = Timings.of(app).dead_after
    conn = Redis.from_url(redis_url)
    queue = Queue("default", connection=conn)
    with app.app_context():
        for to in ("dead@example.org", "alive@example.org"):
            mail.send_mail(to, "Hi", "Body")
        db.session.commit()
        queue.empty()  # both taken by workers:
        now = utcnow()
        dead, alive = db.session.scalars(select(JobRecord).order_by(JobRecord.id)).all()
        for record, worker, beat_at in (
            (dead, "killed", now - dead_after - timedelta(seconds=1)),
            (alive, "working", now),
        ):
            record.status, record.attempts, record.started_at = JobStatus.RUNNING, 1, now
            record.worker = worker
            db.session.add(Heartbeat(name=f"worker:{worker}", beat_at=beat_at))
        db.session.commit()
        dead_id, alive_id = dead.id, alive.id
    conn.set(SWEEP_LOCK, "1", ex=600)  # another worker swept a moment ago
    worker = TroveWorker([queue], connection=conn, app=app)
    worker.beats_in_a_row = 2  # its database is up
    try:
        with app.app_context():  # as under `flask trove worker`
            worker.run_maintenance_tasks()
            worker.run_maintenance_tasks()  # and again, or by another worker: not twice
            assert db.session.get(JobRecord, dead_id).status is JobStatus.QUEUED
            assert db.session.get(JobRecord, alive_id).status is JobStatus.RUNNING
            assert sweep() == 0  # nothing left for the full sweep either
        assert queue.count == 1
    finally:
        conn.close()


@pytest.mark.redis
def test_a_stop_asked_for_during_the_sweep_ends_the_worker_loop(make_app, redis_url):
    """SIGTERM mid-sweep raises RQ's StopRequested inside the sweep's own error handler:
    the worker used to log it as a failed sweep and run on until killed."""
    import signal

    from redis import Redis
    from rq import Queue
    from rq.exceptions import StopRequested
    from sqlalchemy import event

    from trove.worker import TroveWorker

    app = make_app(TASKS_MODE="rq", REDIS_URL=redis_url)
    conn = Redis.from_url(redis_url)
    worker = TroveWorker([Queue("default", connection=conn)], connection=conn, app=app)
    worker.beats_in_a_row = 2  # its database is up: maintenance sweeps
    previous = signal.signal(signal.SIGTERM, worker.request_stop)  # as RQ installs it
    signalled = []

    def stop_once(*_args):  # the service manager stops the worker while it sweeps
        if not signalled:
            signalled.append(True)
            os.kill(os.getpid(), signal.SIGTERM)

    try:
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", stop_once)
            try:
                with pytest.raises(StopRequested):
                    worker.run_maintenance_tasks()
            finally:
                event.remove(db.engine, "before_cursor_execute", stop_once)
        assert signalled and worker.stop_was_requested
    finally:
        signal.signal(signal.SIGTERM, previous)
        conn.close()
