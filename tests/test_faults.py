"""Production faults with real processes: Redis down or restarted, a worker killed -9,
PostgreSQL restarted. Waits are for conditions, bounded generously; nothing asserts how
long anything took."""

from __future__ import annotations

import io
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import BACKEND, RedisServer, login
from tests.factories import make_project, make_user
from tests.faultjobs import fail_once, finished_count, wait_for_release
from tests.hosts import QUICK_TIMINGS, Worker, app_env
from tests.images import photo
from trove.accounts.models import Role
from trove.extensions import db
from trove.submissions.models import Submission, SubmissionStatus
from trove.tasks import JobRecord, JobStatus, enqueue, last_beat


def wait_until(
    condition: Callable[[], bool],
    *,
    within: float,
    what: str,
    context: Callable[[], str] | None = None,
) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` and ``context()`` if it never does."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    told = f"\n{context()}" if context is not None else ""
    raise AssertionError(f"timed out waiting for {what}{told}")


@pytest.fixture(autouse=True)
def _limiter_back_on_its_storage():
    """Flask-Limiter's extension object is shared by every app in this process, and so is
    its note that Redis is down: start and end each test with the storage taken as up."""
    from trove.extensions import limiter

    limiter._storage_dead = False
    yield
    limiter._storage_dead = False


@pytest.fixture
def redis(tmp_path):
    """A private redis-server this test may stop and start (same port, empty again)."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def _job_status(app, record_id: int) -> JobStatus:
    with app.app_context():
        status = db.session.get(JobRecord, record_id).status
        db.session.remove()
        return status


def _beaten(app, name: str) -> bool:
    with app.app_context():
        at = last_beat(name)
        db.session.remove()
    return at is not None


@pytest.mark.redis
def test_redis_down_during_20_uploads_no_5xx_and_all_processed_once_after(
    make_app, redis, tmp_path
):
    app = make_app(TASKS_MODE="rq", REDIS_URL=redis.url, RATELIMIT_ENABLED=True, **QUICK_TIMINGS)
    with app.app_context():
        project = make_project(target_count=50, per_contributor_limit=None)
        project_id, version_id = project.id, project.current_version_id
        make_user(email="sam@example.org")
        make_user(Role.ADMIN, email="admin@example.org")
    sam, admin = app.test_client(), app.test_client()
    login(sam, "sam@example.org")
    redis.stop()

    statuses = [
        sam.post(
            f"/projects/{project_id}/submissions",
            data={
                "photos": (io.BytesIO(photo(320, 240, seed=seed)), f"{seed}.jpg"),
                "consent": str(version_id),
            },
            content_type="multipart/form-data",
            headers={"HX-Request": "true"},
        ).status_code
        for seed in range(20)
    ]
    assert statuses == [201] * 20
    # Signing in is rate-limited too: with Redis down it is limited in memory, not a 500.
    assert login(admin, "admin@example.org").status_code == 303
    assert b"Redis is unreachable" in admin.get("/admin/").data

    redis.start()  # back on the same port, empty
    with app.app_context():
        # The hand-off failed a while ago (rows younger than half a minute may still be
        # on their way to Redis, so the sweep leaves them alone).
        for record in db.session.scalars(select(JobRecord)):
            record.created_at = record.created_at.replace(year=2000)
        db.session.commit()
    worker = Worker(app_env(app, redis.url), tmp_path / "worker.log")

    def all_processed() -> bool:
        with app.app_context():
            done = db.session.scalar(
                select(func.count())
                .select_from(Submission)
                .where(Submission.status == SubmissionStatus.PENDING_REVIEW)
            )
            db.session.remove()
            return done == 20

    try:
        wait_until(all_processed, within=240, what="the 20 uploads to be processed")
    finally:
        code = worker.stop()
    assert code == 0, worker.output()
    with app.app_context():
        jobs = db.session.scalars(select(JobRecord)).all()
        media = [j for j in jobs if j.queue == "media"]
        assert len(media) == 20
        assert {(j.status, j.attempts) for j in media} == {(JobStatus.DONE, 1)}


@pytest.mark.redis
def test_worker_killed_mid_job_is_done_once_after_a_new_worker_starts(make_app, redis, tmp_path):
    app = make_app(TASKS_MODE="rq", REDIS_URL=redis.url, **QUICK_TIMINGS)
    folder = tmp_path / "job"
    folder.mkdir()
    with app.app_context():
        record_id = enqueue(wait_for_release, str(folder)).id
        db.session.commit()
    first = Worker(app_env(app, redis.url), tmp_path / "first.log")
    try:
        wait_until(lambda: any(folder.glob("started-*")), within=120, what="the job to start")
        assert _job_status(app, record_id) is JobStatus.RUNNING
    finally:
        # RQ runs each job in a work-horse of its own process group: kill it too.
        first.kill(*(int(p.name.split("-")[1]) for p in folder.glob("started-*")))
    (folder / "release").touch()
    assert finished_count(folder) == 0

    second = Worker(app_env(app, redis.url), tmp_path / "second.log")
    try:
        wait_until(
            lambda: _job_status(app, record_id) is JobStatus.DONE,
            within=300,
            what="the job to be handed to the new worker and finish",
        )
    finally:
        code = second.stop()
    assert code == 0, second.output()
    assert finished_count(folder) == 1
    with app.app_context():
        assert db.session.get(JobRecord, record_id).attempts == 2


@pytest.mark.redis
def test_after_a_redis_restart_the_scheduler_runs_retries_and_health_shows_it(
    make_app, redis, tmp_path
):

    app = make_app(TASKS_MODE="rq", REDIS_URL=redis.url, **QUICK_TIMINGS)
    with app.app_context():
        make_user(Role.ADMIN, email="admin@example.org")
    admin = app.test_client()
    login(admin, "admin@example.org")
    health = admin.get("/admin/").get_data(as_text=True)
    assert "Sweep last ran: never — late" in health
    assert "Scheduler last seen: never — late" in health

    worker = Worker(app_env(app, redis.url), tmp_path / "worker.log")
    try:
        wait_until(
            lambda: _beaten(app, "scheduler") and _beaten(app, "sweep"), within=120, what="beats"
        )
        health = admin.get("/admin/").get_data(as_text=True)
        assert "— late" not in health, health

        redis.stop()
        redis.start()  # a restart: empty, the scheduler's child process loses its link
        folder = tmp_path / "retry"
        folder.mkdir()
        with app.app_context():
            record_id = enqueue(fail_once, str(folder)).id
            db.session.commit()
        # The first attempt fails; only RQ's scheduler puts the retry back on the queue.
        wait_until(
            lambda: _job_status(app, record_id) is JobStatus.DONE,
            within=300,
            what="the retry to run after the Redis restart",
        )
        assert worker.process.poll() is None, worker.output()
    finally:
        code = worker.stop()
    assert code == 0, worker.output()
    assert finished_count(folder) == 1
    with app.app_context():
        assert db.session.get(JobRecord, record_id).attempts == 2


@pytest.mark.redis
def test_a_worker_that_loses_redis_midway_exits_non_zero_and_the_job_counts_once(
    make_app, redis, tmp_path
):
    app = make_app(TASKS_MODE="rq", REDIS_URL=redis.url, **QUICK_TIMINGS)
    folder = tmp_path / "job"
    folder.mkdir()
    with app.app_context():
        record_id = enqueue(wait_for_release, str(folder)).id
        db.session.commit()
    worker = Worker(app_env(app, redis.url), tmp_path / "worker.log")
    try:
        wait_until(lambda: any(folder.glob("started-*")), within=120, what="the job to start")
        redis.stop()  # for good, while the job runs
        (folder / "release").touch()
        wait_until(
            lambda: worker.process.poll() is not None, within=300, what="the worker to give up"
        )
    finally:
        if worker.process.poll() is None:
            worker.kill()
    assert worker.process.returncode not in (0, None), worker.output()
    # The work itself was recorded in the database, which did not go away.
    assert finished_count(folder) == 1
    assert _job_status(app, record_id) is JobStatus.DONE


@pytest.mark.skipif(
    BACKEND != "postgresql", reason="runs in the PostgreSQL pass (it starts its own cluster)"
)
def test_postgresql_restart_mid_run_is_recovered_without_restarting_the_app(tmp_path):
    import tempfile

    from flask_migrate import upgrade

    from tests import pg
    from tests.conftest import base_config
    from trove import create_app

    if pg.server_bindir() is None:
        pytest.skip("PostgreSQL server binaries are not installed")
    with tempfile.TemporaryDirectory(prefix="trove-test-pg-") as folder:
        workdir = Path(folder)
        with pg.cluster(workdir) as base:
            pg.create_database(base, "trove")
            app = create_app(base_config(tmp_path, f"{base}/trove"))
            try:
                with app.app_context():
                    upgrade()
                    make_user(email="ada@example.org")
                    db.session.remove()
                client = app.test_client()
                login(client, "ada@example.org")
                assert client.get("/me/photos").status_code == 200

                pg.restart(workdir)  # every pooled connection is now dead

                assert client.get("/me/photos").status_code == 200
                assert client.post("/logout").status_code == 303
                login(client, "ada@example.org")
                with app.app_context():
                    make_user(email="bo@example.org")
                    db.session.remove()
            finally:
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()


@pytest.mark.redis
def test_a_worker_whose_redis_hangs_quits_with_a_non_zero_status(make_app, redis, tmp_path):
    app = make_app(TASKS_MODE="rq", REDIS_URL=redis.url, **QUICK_TIMINGS)
    worker = Worker(app_env(app, redis.url), tmp_path / "worker.log")
    try:
        # In its loop: the scheduler it started is running.
        wait_until(lambda: _beaten(app, "scheduler"), within=120, what="the worker's loop")
        redis.process.send_signal(signal.SIGSTOP)  # Redis hangs: the worker's wait times out
        try:
            wait_until(
                lambda: "Redis connection timeout, quitting" in worker.output(),
                within=180,
                what="RQ to give up on Redis",
                context=lambda: worker.output()[-4000:],
            )
        finally:
            redis.process.send_signal(signal.SIGCONT)  # back before the worker says goodbye
        wait_until(lambda: worker.process.poll() is not None, within=120, what="the exit")
    finally:
        if worker.process.poll() is None:
            worker.kill()
    # Not 0: systemd (Restart=always) starts it again, and the failure shows in its status.
    assert worker.process.returncode == 1, worker.output()


@pytest.mark.redis
def test_with_redis_down_sign_in_is_limited_in_memory_with_a_warning(make_app, redis, caplog):
    app = make_app(
        TASKS_MODE="rq",
        REDIS_URL=redis.url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_LOGIN="3 per minute",
    )
    redis.stop()
    client = app.test_client()
    wrong = {"email": "nobody@example.org", "password": "not the password"}
    statuses = [client.post("/login", data=wrong).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]
    assert "falling back to in-memory storage" in caplog.text


QUEUES = ("media", "payouts", "default")


def _lock(name: str) -> str:
    from rq.scheduler import RQScheduler

    return RQScheduler.get_locking_key(name)


@pytest.mark.redis
def test_a_scheduler_lock_left_unrenewed_is_released_and_a_renewed_one_kept(redis_url):
    from redis import Redis

    from trove.worker import release_stale_scheduler_locks

    with Redis.from_url(redis_url) as conn:
        # RQ's scheduler renews its locks every second to 61 s. TTLs as Redis would show them:
        conn.set(_lock("media"), "killed", ex=61 - 15 - 1)
        conn.set(_lock("payouts"), "alive", ex=60)
        conn.set(_lock("default"), "not-rq")  # no TTL: not a lock RQ wrote, left alone
        released = release_stale_scheduler_locks(
            conn, [*QUEUES, "absent"], lock_ttl=61, stale_after=15
        )
        assert released == ["media"]
        assert conn.get(_lock("media")) is None
        assert conn.get(_lock("payouts")) == b"alive" and conn.get(_lock("default")) == b"not-rq"


@pytest.mark.redis
def test_a_restarted_worker_takes_a_killed_schedulers_locks_at_its_next_maintenance(
    make_app, redis_url
):
    from datetime import datetime

    from redis import Redis
    from rq import Queue

    from trove.tasks import Timings
    from trove.worker import TroveWorker

    app = make_app(TASKS_MODE="rq", REDIS_URL=redis_url)
    stale = Timings.of(app).lock_stale
    conn = Redis.from_url(redis_url)
    for name in QUEUES:  # what a scheduler killed with -9 left, last renewed 16 s ago
        conn.set(_lock(name), "killed", ex=61 - stale - 1)
    worker = TroveWorker([Queue(n, connection=conn) for n in QUEUES], connection=conn, app=app)
    try:
        worker._start_scheduler()  # what work(with_scheduler=True) does first: no lock to take
        assert worker.scheduler.acquired_locks == set()
        worker.last_cleaned_at = datetime.now()  # RQ restarts schedulers from its second run
        worker.run_maintenance_tasks()
        # Before, it waited for the dead locks to expire: up to a minute more.
        owner = worker.scheduler.name.encode()
        assert [conn.get(_lock(name)) for name in QUEUES] == [owner] * 3
        assert worker.scheduler._process is not None and worker.scheduler._process.is_alive()
    finally:
        if worker.scheduler is not None and worker.scheduler._process is not None:
            worker.stop_scheduler()
        conn.close()
