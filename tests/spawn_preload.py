"""What the test processes' forkserver imports once (tests/spawn.py): Trove and everything a
server or job worker loads when it starts, by building one app and letting it go."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import gunicorn.app.wsgiapp  # noqa: F401 - the gunicorn a test process may run
import werkzeug.serving  # noqa: F401 - run_simple

from trove import create_app
from trove.extensions import db


def _warm_up() -> None:
    folder = Path(tempfile.mkdtemp(prefix="trove-spawn-"))
    try:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "warm-up",
                "DATABASE_URL": f"sqlite:///{folder / 'warm.sqlite3'}",
                "STORAGE_DIR": str(folder / "storage"),
                "TASKS_MODE": "rq",
                "REDIS_URL": "redis://127.0.0.1:9/0",
                "MAIL_BACKEND": "memory",
                "RATELIMIT_ENABLED": False,
            }
        )
        with app.app_context():
            db.engine.dispose()  # no connection may be shared with the forked processes
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_warm_up()
