"""A real Trove server process for upload tests over real sockets (Werkzeug or gunicorn)."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

from tests import spawn
from tests.conftest import TEST_PASSWORD, _free_port, _wait_for_port

WERKZEUG = (
    "import json, sys\n"
    "from werkzeug.serving import run_simple\n"
    "from trove import create_app\n"
    "app = create_app(json.loads(sys.argv[1]))\n"
    "run_simple('127.0.0.1', int(sys.argv[2]), app, threaded=True)\n"
)
#: gunicorn as its command line runs it (``gunicorn ARGS...``).
GUNICORN = (
    "import sys\n"
    "from gunicorn.app.wsgiapp import run\n"
    "sys.argv = ['gunicorn', *sys.argv[1:]]\n"
    "run()\n"
)


def server_config(app: Flask, **overrides: Any) -> dict[str, Any]:
    """Return the config of a server process sharing ``app``'s database and storage.

    Jobs go to a Redis nobody serves, so photos stay ``processing`` (holding their spots)
    and the server does nothing but receive.
    """
    return {
        "TESTING": True,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "DATABASE_URL": app.config["DATABASE_URL"],
        "STORAGE_DIR": app.config["STORAGE_DIR"],
        "MAIL_BACKEND": "memory",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 64,
        "TASKS_MODE": "rq",
        "REDIS_URL": f"redis://127.0.0.1:{_free_port()}/0",
        **overrides,
    }


@contextmanager
def running_server(kind: str, config: dict[str, Any]) -> Iterator[int]:
    """Run Trove under ``kind`` ("werkzeug" or "gunicorn") and yield its port."""
    port = _free_port()
    if kind == "werkzeug":
        process = spawn.python(WERKZEUG, json.dumps(config), str(port))
    else:
        process = spawn.python(
            GUNICORN,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            "40",
            "--log-level",
            "warning",
            f"trove:create_app({config!r})",
        )
    try:
        _wait_for_port(port, timeout=30)
        yield port
    finally:
        process.send_signal(signal.SIGTERM if kind == "gunicorn" else signal.SIGKILL)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def session_cookie(port: int, email: str) -> str:
    """Sign in over HTTP and return the session cookie ("name=value")."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = f"email={email.replace('@', '%40')}&password={TEST_PASSWORD.replace(' ', '+')}"
    conn.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 303
    return response.getheader("Set-Cookie").split(";", 1)[0]


def upload_path(project: Any) -> str:
    """Return the URL the upload script posts a photo to, consent included."""
    return f"/projects/{project.id}/submissions?consent={project.current_version_id}"


def post_raw(port: int, cookie: str, path: str, data: bytes) -> tuple[int, str]:
    """Send one photo to ``path`` as the upload script does; return (status, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request(
        "POST",
        path,
        data,
        {
            "Cookie": cookie,
            "Content-Type": "application/octet-stream",
            "X-Trove-Filename": "IMG_0001.jpg",
            "HX-Request": "true",
        },
    )
    response = conn.getresponse()
    body = response.read().decode(errors="replace")
    conn.close()
    return response.status, body
