"""Upload integrity over real sockets: cut-off bodies, and limits under concurrent uploads.

A real server process (Werkzeug's, and gunicorn as in production) receives raw HTTP from
sockets: a body shorter than announced, or chunked without its last chunk, is refused and
leaves nothing. Thirty uploads at the same moment meet the per-person limit, the target and
the duplicate check exactly as they would one at a time. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import make_project, make_user, recounted_statuses
from tests.images import photo
from tests.submissions.live import (
    post_raw,
    running_server,
    server_config,
    session_cookie,
    upload_path,
)
from trove.extensions import db
from trove.projects.models import Project
from trove.submissions.models import ProjectContributor, Submission
from trove.submissions.spots import status_counts

BOUNDARY = "----troveintegrity"


def _multipart(data: bytes, version_id: int) -> bytes:
    return (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"consent\"\r\n\r\n{version_id}\r\n"
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"photos\"; "
        'filename="IMG_0001.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()


def _cut_off_request(port: int, cookie: str, project, encoding: str, framing: str) -> bytes:
    """Send a request whose body stops at a quarter, half-close, and return the raw answer."""
    data = photo(1600, 1200, seed=21)
    if encoding == "raw body":
        path = f"/projects/{project.id}/submissions?consent={project.current_version_id}"
        body, kind = data, "application/octet-stream"
    else:
        path = f"/projects/{project.id}/submissions"
        body = _multipart(data, project.current_version_id)
        kind = f"multipart/form-data; boundary={BOUNDARY}"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
        f"Content-Type: {kind}\r\nX-Trove-Filename: IMG_0001.jpg\r\nHX-Request: true\r\n"
    )
    sent = body[: len(body) // 4]  # what a Cancel at 25 % leaves
    if framing == "content-length":
        wire = f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + sent
    else:  # chunked, the last (empty) chunk never sent
        wire = f"{head}Transfer-Encoding: chunked\r\n\r\n".encode()
        for start in range(0, len(sent), 8192):
            piece = sent[start : start + 8192]
            wire += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(wire)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while chunk := sock.recv(65536):  # the server answers or closes once it is done
                answer += chunk
        except ConnectionResetError:
            pass
    return answer


def _quarantine(app) -> list[Path]:
    root = Path(app.config["STORAGE_DIR"]) / "quarantine"
    return [p for p in root.iterdir() if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("server", ["werkzeug", "gunicorn"])
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
@pytest.mark.parametrize("encoding", ["raw body", "multipart form"])
def test_a_cut_off_body_is_refused_and_nothing_is_kept(app_ctx, server, framing, encoding):
    project = make_project(target_count=10, per_contributor_limit=None)
    make_user(email="sam@example.org")
    db.session.commit()
    with running_server(server, server_config(app_ctx)) as port:
        cookie = session_cookie(port, "sam@example.org")
        answer = _cut_off_request(port, cookie, project, encoding, framing)
    if answer:  # the server may also just close the connection
        status = int(answer.split(b" ", 2)[1])
        assert 400 <= status < 500, answer[:300]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    assert _quarantine(app_ctx) == []


def _at_once(port: int, cookie: str, project, bodies: list[bytes]) -> list[tuple[int, str]]:
    """POST every body at the same moment (one thread each) and return the answers."""
    path = upload_path(project)
    results: list[tuple[int, str] | None] = [None] * len(bodies)
    start = threading.Barrier(len(bodies))

    def send(index: int) -> None:
        start.wait()
        results[index] = post_raw(port, cookie, path, bodies[index])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


def _counters(project_id: int, user_id: int) -> tuple[int, int, int]:
    db.session.expire_all()
    rows = db.session.scalar(
        select(func.count()).select_from(Submission).where(Submission.project_id == project_id)
    )
    active = db.session.get(Project, project_id).active_count
    mine = db.session.scalar(
        select(ProjectContributor.photo_count).where(
            ProjectContributor.project_id == project_id,
            ProjectContributor.contributor_id == user_id,
        )
    )
    assert status_counts(project_id) == recounted_statuses(project_id)
    return rows, active, mine


PHOTOS = 30


@pytest.fixture(scope="module")
def distinct_photos() -> list[bytes]:
    return [photo(64, 48, seed=500 + i) for i in range(PHOTOS)]


@pytest.mark.parametrize(
    ("limits", "refusal"),
    [
        ({"target_count": 100, "per_contributor_limit": 25}, "most photos one person can send"),
        ({"target_count": 25, "per_contributor_limit": None}, "has all the photos it needs"),
    ],
    ids=["per-contributor limit", "project target"],
)
def test_simultaneous_uploads_stop_exactly_at_the_limit(
    app_ctx, distinct_photos, limits, refusal
):
    project = make_project(**limits)
    user = make_user(email="sam@example.org")
    db.session.commit()
    with running_server("werkzeug", server_config(app_ctx)) as port:
        cookie = session_cookie(port, "sam@example.org")
        results = _at_once(port, cookie, project, distinct_photos)
        statuses = sorted(status for status, _ in results)
        assert statuses == [201] * 25 + [409] * 5, results
        assert all(refusal in body for status, body in results if status == 409)
        # One more, alone, gets the same answer.
        alone = post_raw(port, cookie, upload_path(project), photo(64, 48, seed=999))
        assert alone[0] == 409 and refusal in alone[1]
    assert _counters(project.id, user.id) == (25, 25, 25)


def test_the_same_bytes_sent_at_once_are_accepted_once(app_ctx):
    project = make_project(target_count=100, per_contributor_limit=None)
    user = make_user(email="sam@example.org")
    db.session.commit()
    same = photo(64, 48, seed=77)
    with running_server("werkzeug", server_config(app_ctx)) as port:
        cookie = session_cookie(port, "sam@example.org")
        results = _at_once(port, cookie, project, [same] * PHOTOS)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (PHOTOS - 1), results
    assert all(
        "already sent this exact photo" in body for status, body in results if status == 409
    )
    assert _counters(project.id, user.id) == (1, 1, 1)
