"""Shared fixtures: an app on a migrated database, a real redis-server, a live server."""

from __future__ import annotations

import copy
import os
import pickle
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from werkzeug.serving import make_server

from tests import compile_cache
from tests.chromium import launch as launch_chromium
from trove import create_app
from trove import mail as trove_mail
from trove.extensions import db

compile_cache.install()

TEST_PASSWORD = "correct horse battery"  # noqa: S105 - fixture password
T = TypeVar("T")

# Hypothesis fails an example slower than 200 ms by default: on a busy machine that is the
# clock, not the code. No property test here is about speed.
settings.register_profile("trove", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("trove")


def base_config(tmp_path: Path, database_url: str) -> dict[str, Any]:
    """Return the settings every test app starts from."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "STORAGE_DIR": str(tmp_path / "storage"),
        "TASKS_MODE": "sync",
        "MAIL_BACKEND": "memory",
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 64,
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
        "LAB_NAME": "Test Lab",
        "BASE_URL": "http://localhost",  # e-mailed links; never taken from the request
        "SERVER_NAME": None,
    }


#: ``TROVE_TEST_DATABASE=postgresql`` runs the suite on a throw-away PostgreSQL cluster.
BACKEND = os.environ.get("TROVE_TEST_DATABASE", "sqlite")

#: The modules with the longest tests, longest first: most wait on processes they start (RQ
#: workers through Redis restarts, kill -9 and retries; gunicorn and Werkzeug servers), the
#: browser ones run axe-core on every page or whole journeys. They run first, so that with
#: several pytest workers (``-n``, scripts/test.sh) they overlap the many short tests
#: instead of ending the run on one worker.
LONGEST_MODULES = (
    "tests/test_faults.py",
    "tests/browser/test_accessibility.py",
    "tests/submissions/test_jobs.py",
    "tests/submissions/test_tus_live.py",
    "tests/browser/test_tus_upload.py",
    "tests/browser/test_journey.py",
    "tests/test_tasks.py",
    "tests/submissions/test_integrity.py",
    "tests/submissions/test_crash.py",
    "tests/exports/test_crash.py",
    "tests/payouts/test_faults.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests of ``LONGEST_MODULES`` first, in its order (the rest keep theirs)."""
    rank = {module: i for i, module in enumerate(LONGEST_MODULES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Build the schema once by running every migration (SQLite: tests copy the file;
    PostgreSQL: tests share the database, emptied before each)."""
    from flask_migrate import upgrade

    workdir = tmp_path_factory.mktemp("schema")
    if BACKEND == "postgresql":
        from tests.pg import cluster, create_database

        # Outside pytest's temp root: another pytest run resets that root to 0700, which
        # would lock the server (running as the postgres user) out of its own files.
        with tempfile.TemporaryDirectory(prefix="trove-test-pg-") as pgdir, cluster(
            Path(pgdir)
        ) as base:
            create_database(base, "trove_test")
            url = f"{base}/trove_test"
            app = create_app(base_config(workdir, url))
            with app.app_context():
                upgrade()
                db.engine.dispose()
            yield url
            for engine in _cleaners.values():
                engine.dispose()
        return
    path = workdir / "template.sqlite3"
    app = create_app(base_config(workdir, f"sqlite:///{path}"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield str(path)


@pytest.fixture
def database_url(migrated_db: str, tmp_path: Path) -> str:
    """Return the URL of a database holding the migrated schema and no rows."""
    if BACKEND == "postgresql":
        _empty_tables(migrated_db)
        return migrated_db
    target = tmp_path / "trove.sqlite3"
    shutil.copyfile(migrated_db, target)
    return f"sqlite:///{target}"


def _empty_tables(url: str) -> None:
    """Delete every row (and restart every id) of the PostgreSQL test database.

    Only the tables holding rows are emptied, by DELETE with foreign-key triggers off (a
    test leaves a few rows in a few tables; TRUNCATE of every table took half a second on a
    busy machine), then every sequence that was used starts again.
    """
    from sqlalchemy import create_engine, text

    engine = _cleaners.get(url)
    if engine is None:  # one connection kept for the session: connecting is slow when busy
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        _cleaners[url] = engine
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '20s'"))
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        tables = conn.scalars(
            text(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ).all()
        if tables:
            probe = " UNION ALL ".join(
                f"SELECT '{table}' WHERE EXISTS (SELECT FROM {table})" for table in tables
            )
            for table in conn.scalars(text(probe)).all():
                conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(
            text(
                "SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false) "
                "FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
            )
        )


_cleaners: dict[str, Any] = {}


@pytest.fixture
def make_app(tmp_path: Path, database_url: str) -> Iterator[Any]:
    """Return a factory for apps on this test's database, with config overrides."""
    apps: list[Flask] = []

    def factory(**overrides: Any) -> Flask:
        app = create_app({**base_config(tmp_path, database_url), **overrides})
        with app.app_context():
            compile_cache.share_compiled_statements(db.engine)
        apps.append(app)
        return app

    trove_mail.outbox.clear()
    yield factory
    for app in apps:
        # Background threads first, so no connection is checked out when the pool goes.
        executor = app.extensions.get("trove_executor")
        if executor is not None:
            executor.shutdown(wait=True)
            app.extensions["trove_sweeper_stop"].set()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        conn = app.extensions.get("trove_redis")
        if conn is not None:
            conn.close()


@pytest.fixture
def app(make_app: Any) -> Flask:
    """Return the app under test."""
    return make_app()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """Run the test inside an application context (for service tests)."""
    with app.app_context():
        yield app
        db.session.rollback()
        db.session.remove()  # return the connection before the engine is disposed


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    """Return a CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def outbox() -> list[Any]:
    """Return the list of e-mails sent through the memory backend."""
    return trove_mail.outbox


# --- data built once per module ------------------------------------------------------------

#: Per build function: the SQLite file and storage folder it left, its value, the mail it sent.
_seeds: dict[Callable[..., Any], dict[str, Any]] = {}


def seed_once(app: Flask, build: Callable[[Flask], T]) -> T:
    """Return ``build(app)``, its rows and stored files in ``app``'s database and storage.

    On SQLite the first test to ask builds the data and a snapshot is kept (database file,
    storage folder, the mail the build sent); later tests get a copy of the snapshot and of
    the value instead of building again: the same rows, ids and files, made once per
    process. ``build`` must depend on nothing but ``app``'s default config. On PostgreSQL
    (one database, emptied per test) it simply builds each time.
    """
    url = app.config["DATABASE_URL"]
    folder = Path(app.config["STORAGE_DIR"])
    local = str(app.config.get("STORAGE_URL") or "file:").startswith("file:")
    if BACKEND != "sqlite" or not url.startswith("sqlite:///") or not local:
        return build(app)
    from tests import factories

    path = Path(url.removeprefix("sqlite:///"))
    seed = _seeds.get(build)
    if seed is not None:
        _release(app)
        _copy_database(seed["database"], path)
        shutil.rmtree(folder, ignore_errors=True)
        if seed["storage"].exists():
            shutil.copytree(seed["storage"], folder)
        factories.continue_processed_seeds(app.config["STORAGE_DIR"], seed["next_photo"])
        _replay_mail(seed["mail"])
        return _thaw(seed["value"])  # type: ignore[no-any-return]
    before = list(trove_mail.outbox)
    value = build(app)
    after = list(trove_mail.outbox)
    sent = ("added", after[len(before) :]) if after[: len(before)] == before else ("all", after)
    _release(app)
    snapshot = Path(tempfile.mkdtemp(prefix="seed-", dir=path.parent.parent))
    _copy_database(path, snapshot / "seed.sqlite3")
    if folder.exists():
        shutil.copytree(folder, snapshot / "storage")
    _seeds[build] = {
        "database": snapshot / "seed.sqlite3",
        "storage": snapshot / "storage",
        "next_photo": factories.continue_processed_seeds(app.config["STORAGE_DIR"]),
        "mail": (sent[0], _freeze(sent[1])),
        "value": _freeze(value),
    }
    return value


def _freeze(value: Any) -> tuple[str, Any]:
    """Keep a copy of ``value`` to hand out later (pickled: ~10 times quicker than deepcopy)."""
    try:
        return "pickle", pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return "copy", copy.deepcopy(value)


def _thaw(frozen: tuple[str, Any]) -> Any:
    """Return a fresh copy of what ``_freeze`` kept."""
    how, kept = frozen
    return pickle.loads(kept) if how == "pickle" else copy.deepcopy(kept)  # noqa: S301 - ours


def _release(app: Flask) -> None:
    """Close ``app``'s pooled connections, so its database file can be read or replaced."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite database page by page (SQLite's backup: consistent, WAL included)."""
    import sqlite3

    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _replay_mail(sent: tuple[str, tuple[str, Any]]) -> None:
    """Put the mail a seed's build sent in the outbox, as building it would have."""
    how, messages = sent
    if how == "all":
        trove_mail.outbox.clear()
    trove_mail.outbox.extend(_thaw(messages))


def login(client: FlaskClient, email: str, password: str = TEST_PASSWORD) -> Any:
    """Sign ``client`` in."""
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 303, response.data[:500]
    return response


# --- redis ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, timeout: float = 60.0) -> None:
    """Wait until something listens on ``port`` (a generous bound: starting is slow when busy)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing is listening on port {port}")


class RedisServer:
    """A private redis-server process on a loopback port."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed; run the README's test command")
        self.workdir = workdir
        self.binary = binary
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Return the redis:// URL of the server."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self.process = subprocess.Popen(  # noqa: S603
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port)

    def stop(self) -> None:
        """Stop the server."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def flush(self) -> None:
        """Empty every database of the server."""
        from redis import Redis

        with Redis.from_url(self.url) as conn:
            conn.flushall()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """Run one private redis-server for the test session."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """Return the URL of an emptied private Redis."""
    redis_server.flush()
    return redis_server.url


# --- live server ---------------------------------------------------------------------------


def _files_read_whole(app: Flask) -> Any:
    """Wrap ``app`` so the files it sends are read whole, and closed, before it returns.

    Werkzeug's development server closes a response (and the file it sends) in a ``finally``
    that itself reads the socket: when the browser has already reset the connection (it
    cancels a favicon or an image when the page moves on), that read raises and the file is
    left for the garbage collector, whose ResourceWarning then fails whichever test is
    running. Gunicorn, which serves Trove in production, does not have this gap.
    """

    def read_whole(file: Any, buffer_size: int = 8192) -> list[bytes]:
        with file:
            return [file.read()]

    def serve(environ: dict[str, Any], start_response: Any) -> Any:
        environ["wsgi.file_wrapper"] = read_whole
        return app(environ, start_response)

    return serve


class LiveServer:
    """The app served over HTTP on 127.0.0.1 in a background thread."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, _files_read_whole(app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        # E-mailed links come from BASE_URL only: a deployment sets it to its own address.
        app.config["BASE_URL"] = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(make_app: Any) -> Iterator[LiveServer]:
    """Serve a real-config app (CSRF and rate limits on) on a free loopback port."""
    app = make_app(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True, TASKS_MODE="sync")
    with LiveServer(app) as server:
        yield server


# --- browser -------------------------------------------------------------------------------

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


#: How long a browser step may wait for what it waits for (ms): a bound that stops a broken
#: page, never a pace. Steps end as soon as their condition holds; on a busy 2-core machine
#: (two passes, each in two processes, beside Chromium and the servers) a page can take
#: tens of seconds, and Playwright's own defaults (30 s for actions, 5 s for expect) failed.
BROWSER_TIMEOUT = 120_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Launch the Debian Chromium through Playwright for the session."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=BROWSER_TIMEOUT)
    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        new_context = chromium.new_context

        def patient_context(**options: Any) -> Any:
            context = new_context(**options)
            context.set_default_timeout(BROWSER_TIMEOUT)
            return context

        chromium.new_context = patient_context  # every context the tests open
        yield chromium
        chromium.close()


class ConsoleWatcher:
    """Collect console errors (CSP violations among them) and page errors."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def attach(self, page: Any) -> None:
        """Listen to ``page``."""
        page.on(
            "console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None
        )
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def unexpected(self) -> list[str]:
        """Return errors other than the 422 answers our forms give on purpose."""
        return [e for e in self.errors if "status of 422" not in e]

    def csp_violations(self) -> list[str]:
        """Return the messages that report a Content-Security-Policy violation."""
        return [e for e in self.errors if "Content Security Policy" in e or "Refused to" in e]


@pytest.fixture
def phone(browser: Any) -> Iterator[tuple[Any, ConsoleWatcher]]:
    """Open a phone-sized page and watch its console."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    watcher = ConsoleWatcher()
    watcher.attach(page)
    yield page, watcher
    context.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ and return its path.

    Written whole and renamed into place: the two backends' runs may save the same name at
    the same time.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    partial = ARTIFACTS / f".{name}.{os.getpid()}.png"
    page.screenshot(path=str(partial), full_page=True)
    os.replace(partial, path)
    return path


# --- object storage ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Run one private SeaweedFS S3 server (``weed server -s3``) for the test session."""
    from tests.s3server import SeaweedS3

    server = SeaweedS3(tmp_path_factory.mktemp("seaweedfs"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["local", "s3"])
def storage_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """App settings for each storage backend: the local directory, then a SeaweedFS bucket."""
    if request.param == "local":
        return {}
    return request.getfixturevalue("s3_server").settings()  # type: ignore[no-any-return]
