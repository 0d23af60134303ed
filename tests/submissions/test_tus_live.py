"""tus over real sockets: a dropped connection, a killed server, two hosts sharing the work."""

from __future__ import annotations

import base64
import http.client
import socket

import pytest
from sqlalchemy import select

from tests.factories import make_project, make_user
from tests.images import photo
from tests.submissions.live import running_server, server_config, session_cookie
from trove.extensions import db
from trove.submissions.models import Submission

TUS = {"Tus-Resumable": "1.0.0"}


class _Project:
    """The ids a client needs, read while the project is still in its session."""

    def __init__(self, project) -> None:
        self.id = project.id
        self.current_version_id = project.current_version_id


@pytest.fixture
def project(app):
    with app.app_context():
        make_user(email="sam@example.org")
        return _Project(make_project(target_count=5, per_contributor_limit=3))


def _call(port: int, method: str, path: str, cookie: str, body: bytes = b"", **headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(method, path, body=body, headers={**TUS, "Cookie": cookie, **headers})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def _create(port: int, cookie: str, project, length: int) -> str:
    metadata = "filename {},consent {}".format(
        base64.b64encode(b"IMG_1.jpg").decode(),
        base64.b64encode(str(project.current_version_id).encode()).decode(),
    )
    response = _call(
        port,
        "POST",
        f"/projects/{project.id}/uploads",
        cookie,
        **{"Upload-Length": str(length), "Upload-Metadata": metadata},
    )
    assert response.status == 201
    return response.getheader("Location")


def _offset(port: int, cookie: str, location: str) -> int:
    response = _call(port, "HEAD", location, cookie)
    assert response.status == 200
    return int(response.getheader("Upload-Offset"))


def _send_half_and_drop(port: int, cookie: str, location: str, data: bytes, half: int) -> None:
    """Announce the whole body, send half of it, and vanish (a phone losing its signal)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        f"PATCH {location} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
        "Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n"
        f"Upload-Offset: 0\r\nContent-Length: {len(data)}\r\n\r\n"
    ).encode()
    sock.sendall(head + data[:half])
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def _patch(port: int, cookie: str, location: str, offset: int, body: bytes):
    return _call(
        port,
        "PATCH",
        location,
        cookie,
        body,
        **{"Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset)},
    )


def _wait_for_offset(port: int, cookie: str, location: str, at_least: int) -> int:
    # The server notices the dropped connection when its read fails; the HEAD answers
    # once it has recorded what arrived (polled on the event, with no clock involved).
    for _attempt in range(10_000):
        offset = _offset(port, cookie, location)
        if offset >= at_least:
            return offset
    raise AssertionError("the server never recorded the bytes that arrived")


def test_a_dropped_connection_keeps_what_arrived(app, project):
    data = photo(1600, 1200, seed=11)
    half = len(data) // 2
    with running_server("werkzeug", server_config(app)) as port:
        cookie = session_cookie(port, "sam@example.org")
        location = _create(port, cookie, project, len(data))
        _send_half_and_drop(port, cookie, location, data, half)
        offset = _wait_for_offset(port, cookie, location, half)
        assert offset == half
        assert _patch(port, cookie, location, offset, data[offset:]).status == 204
    with app.app_context():
        [sub] = db.session.scalars(select(Submission)).all()
        assert sub.upload_size == len(data)


def test_an_upload_survives_a_server_restart_and_moves_between_hosts(app, project):
    data = photo(1600, 1200, seed=12)
    third = len(data) // 3
    config = server_config(app)
    with running_server("werkzeug", config) as port:
        cookie = session_cookie(port, "sam@example.org")
        location = _create(port, cookie, project, len(data))
        assert _patch(port, cookie, location, 0, data[:third]).status == 204
    # That server was killed (SIGKILL). A new one, and a second host beside it, carry on.
    with running_server("werkzeug", config) as one, running_server("gunicorn", config) as two:
        assert _offset(one, cookie, location) == third
        assert _patch(one, cookie, location, third, data[third : 2 * third]).status == 204
        assert _offset(two, cookie, location) == 2 * third
        last = _patch(two, cookie, location, 2 * third, data[2 * third :])
        assert last.status == 204
        assert last.getheader("X-Trove-Submission")
    with app.app_context():
        assert len(db.session.scalars(select(Submission)).all()) == 1
