"""The server killed (SIGKILL) during an upload, or before its photo is processed.

A real server process receives a real upload over a socket and is killed: midway through
the body, and again after the upload was accepted but before the media job ran. Either
way no row points at a missing file, and after the sweep no file is left without a row;
an accepted photo is processed once the sweep hands its job over again.
"""

from __future__ import annotations

import http.client
import json
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests import spawn
from tests.conftest import _free_port, _wait_for_port
from tests.factories import make_project, make_user
from tests.images import photo
from tests.jobproc import wait_until
from tests.submissions.live import WERKZEUG, server_config, session_cookie
from trove.extensions import db
from trove.submissions.jobs import sweep_quarantine
from trove.submissions.models import Submission, SubmissionStatus
from trove.tasks import JobRecord, JobStatus, sweep

BOUNDARY = "----trovecrash"


def _body(data: bytes, version_id: int) -> tuple[bytes, bytes]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="consent"\r\n\r\n{version_id}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photos"; '
        'filename="IMG_0001.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode()
    return head + data, f"\r\n--{BOUNDARY}--\r\n".encode()


@pytest.fixture
def server(app_ctx, tmp_path):
    """Start the app in its own process; yield (port, process, config, project)."""
    project = make_project(target_count=10, per_contributor_limit=None)
    make_user(email="sam@example.org")
    db.session.commit()
    # Jobs go to a queue nobody serves: the process dies before any job runs.
    config = server_config(app_ctx)
    port = _free_port()
    process = spawn.python(WERKZEUG, json.dumps(config), str(port))
    _wait_for_port(port)
    yield port, process, project
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(10)


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _kill(process: spawn.Child) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(10)


@pytest.mark.parametrize("encoding", ["multipart form", "raw body"])
def test_killed_midway_through_the_body_leaves_no_row_and_no_file(app_ctx, server, encoding):
    port, process, project = server
    cookie = session_cookie(port, "sam@example.org")
    data = photo(1600, 1200, seed=3) * 3  # a few MB of body
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    if encoding == "raw body":  # as the upload script sends it: straight into quarantine
        head, tail = data, b""
        conn.putrequest(
            "POST", f"/projects/{project.id}/submissions?consent={project.current_version_id}"
        )
        conn.putheader("Content-Type", "application/octet-stream")
    else:
        head, tail = _body(data, project.current_version_id)
        conn.putrequest("POST", f"/projects/{project.id}/submissions")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
    conn.putheader("Cookie", cookie)
    conn.putheader("Content-Length", str(len(head) + len(tail)))
    conn.endheaders()
    conn.send(head[: len(head) // 2])  # half the photo, then the server dies
    quarantine = Path(app_ctx.config["STORAGE_DIR"]) / "quarantine"
    if encoding == "raw body":  # kill it once it is midway through writing the file
        assert wait_until(lambda: bool(list(quarantine.glob(".*.tmp"))), alive=process)
    else:  # nothing on disk to watch while the form is parsed: give it a moment
        time.sleep(0.5)
    _kill(process)
    conn.close()
    db.session.expire_all()
    assert db.session.scalars(select(Submission)).all() == []
    storage = Path(app_ctx.config["STORAGE_DIR"])
    assert [p for p in _files(storage) if not p.name.startswith(".")] == []
    sweep_quarantine()
    from trove.files import get_storage

    get_storage().sweep_temp_files(older_than_seconds=0)
    assert _files(storage) == []


def test_killed_after_accepting_the_upload_loses_nothing(app_ctx, server):
    port, process, project = server
    cookie = session_cookie(port, "sam@example.org")
    head, tail = _body(photo(640, 480, seed=4, gps=True), project.current_version_id)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(
        "POST",
        f"/projects/{project.id}/submissions",
        head + tail,
        {
            "Cookie": cookie,
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "HX-Request": "true",
        },
    )
    response = conn.getresponse()
    response.read()
    assert response.status == 201
    _kill(process)  # before any worker picked the job up
    db.session.expire_all()
    [submission] = db.session.scalars(select(Submission)).all()
    assert submission.status is SubmissionStatus.PROCESSING
    quarantined = Path(app_ctx.config["STORAGE_DIR"]) / "quarantine" / submission.quarantine_name
    assert quarantined.is_file()  # the row points at a whole file
    # The sweep (here with in-process jobs, as after a restart without Redis) hands the
    # job over again; the photo is processed exactly once.
    app_ctx.config["TASKS_MODE"] = "sync"
    app_ctx.config["JOB_STUCK_AFTER_SECONDS"] = 0
    sweep()
    db.session.expire_all()
    submission = db.session.get(Submission, submission.id)
    assert submission.status is SubmissionStatus.PENDING_REVIEW
    assert not quarantined.exists() and submission.storage_key
    jobs = db.session.scalars(select(JobRecord)).all()
    # (Signing up queued a welcome e-mail too; only the photo's jobs count here.)
    photo_jobs = [j for j in jobs if j.name.endswith("process_submission")]
    assert [j.status for j in photo_jobs] == [JobStatus.DONE]
