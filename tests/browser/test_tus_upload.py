"""In Chromium: uploads resume after a dropped connection or a killed server, and photos
queued while offline survive a reload and arrive once when the connection is back.

Bytes are counted where the server reads them (a wrapper around ``wsgi.input``), so every
byte Chromium had to send again would show; every wait is on an event or a condition.
"""

from __future__ import annotations

import hashlib
import io
import json
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests import spawn
from tests.browser.helpers import sign_in
from tests.conftest import BROWSER_TIMEOUT, PHONE, LiveServer, _free_port, _wait_for_port
from tests.factories import make_project, make_user
from tests.images import photo
from tests.submissions.live import server_config
from trove.extensions import db
from trove.submissions.models import Submission

pytestmark = pytest.mark.browser

LIMIT = 1.15  # total bytes read by the server, as a multiple of the photo's size
WAIT = 60_000  # ms: a ceiling for a busy machine, not a timing the test depends on


def big_photo(seed: int) -> bytes:
    """Return a ~2 MB JPEG (noise compresses badly), large enough to be sent in pieces."""
    noise = Image.effect_noise((1800, 1350), 60 + seed).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


class CountingApp:
    """WSGI wrapper counting PATCH body bytes; it can hold the reader once ``hold_at`` is hit."""

    def __init__(self, app: Any, hold_at: int | None = None) -> None:
        self.app = app
        self.hold_at = hold_at
        self.read = 0
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.holding = threading.Event()
        self.release = threading.Event()

    def __call__(self, environ: dict, start_response: Any) -> Any:
        if environ["PATH_INFO"].startswith("/uploads/"):
            self.requests.append((environ["REQUEST_METHOD"], environ.get("HTTP_UPLOAD_OFFSET", "")))
        if environ["REQUEST_METHOD"] == "PATCH":
            environ["wsgi.input"] = _Counted(environ["wsgi.input"], self)
        return self.app(environ, start_response)

    def count(self, n: int) -> None:
        with self.lock:
            self.read += n
            hold = self.hold_at is not None and self.read >= self.hold_at
            if hold:
                self.hold_at = None
        if hold:
            self.holding.set()
            self.release.wait(120)


class _Counted:
    def __init__(self, inner: Any, counter: CountingApp) -> None:
        self.inner = inner
        self.counter = counter

    def read(self, *args: Any) -> bytes:
        data = self.inner.read(*args)
        self.counter.count(len(data))
        return data


def _prepare(app: Any) -> int:
    with app.app_context():
        make_user(email="sam@example.org")
        return make_project(title="Door handles", target_count=10, per_contributor_limit=5).id


def _open_brief(page: Any, base: str, project_id: int) -> None:
    sign_in(page, base, "sam@example.org")
    page.goto(f"{base}/projects/{project_id}#contribute")
    page.get_by_label("I took these photos myself").check()


def _choose(page: Any, *photos: tuple[str, bytes]) -> None:
    page.set_input_files(
        "#photo-input",
        files=[{"name": name, "mimeType": "image/jpeg", "buffer": data} for name, data in photos],
    )


def _stored(app: Any) -> list[Submission]:
    with app.app_context():
        return list(db.session.scalars(select(Submission).order_by(Submission.id)))


def test_an_upload_cut_off_by_going_offline_resumes_from_the_servers_offset(
    make_app: Any, browser: Any
) -> None:
    app = make_app(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True, TASKS_MODE="sync")
    project_id = _prepare(app)
    data = big_photo(1)
    counter = CountingApp(app.wsgi_app, hold_at=len(data) * 4 // 10)
    app.wsgi_app = counter  # type: ignore[method-assign]
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    try:
        with LiveServer(app) as server:
            _open_brief(page, server.url, project_id)
            _choose(page, ("door.jpg", data))
            assert counter.holding.wait(60), "the upload never got under way"
            # Four tenths are in; the phone loses its connection mid-piece.
            context.set_offline(True)
            expect(page.locator("[data-upload-waiting]")).to_have_text(
                "Waiting for a connection — 1 photo", timeout=WAIT
            )
            counter.release.set()  # the server reads what arrived, then sees the drop
            context.set_offline(False)
            expect(page.locator("[data-upload-list] .badge-pending_review")).to_have_count(
                1, timeout=WAIT
            )
            expect(page.locator("[data-upload-waiting]")).to_be_hidden(timeout=WAIT)
    finally:
        context.close()
    [sub] = _stored(app)
    assert sub.upload_sha256 == hashlib.sha256(data).hexdigest()
    assert sub.upload_size == len(data)
    assert counter.read <= LIMIT * len(data), (counter.read, len(data))
    # Chromium's offline emulation may hold the cut request rather than fail it; then that
    # one PATCH finishes once the phone is back online and nothing is sent twice (checked
    # above). Otherwise the client asked the server where to go on from, and went on there.
    patches = [int(offset or 0) for method, offset in counter.requests if method == "PATCH"]
    if len(patches) > 1:
        assert ("HEAD", "") in counter.requests
        assert any(offset > 0 for offset in patches[1:]), patches


SERVER = """
import json, os, sys, threading
from werkzeug.serving import run_simple
from trove import create_app

config, port, counts, marker, hold_at = json.loads(sys.argv[1]), int(sys.argv[2]), *sys.argv[3:]
app = create_app(config)
hold_at = int(hold_at)
fd = os.open(counts, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
total = [0]
lock = threading.Lock()

class Counted:
    def __init__(self, inner):
        self.inner = inner

    def read(self, *args):
        data = self.inner.read(*args)
        os.write(fd, b"%d\\n" % len(data))
        with lock:
            total[0] += len(data)
            hold = hold_at and total[0] >= hold_at
        if hold:
            open(marker, "w").close()
            threading.Event().wait()  # until this process is killed
        return data

def counting(environ, start_response):
    if environ["REQUEST_METHOD"] == "PATCH":
        environ["wsgi.input"] = Counted(environ["wsgi.input"])
    return app(environ, start_response)

run_simple("127.0.0.1", port, counting, threaded=True)
"""


@contextmanager
def counting_server(
    config: dict, port: int, counts: Path, marker: Path, hold_at: int = 0
) -> Iterator[spawn.Child]:
    """Run Trove in its own process on ``port``, counting PATCH bytes into ``counts``."""
    process = spawn.python(
        SERVER, json.dumps(config), str(port), str(counts), str(marker), str(hold_at)
    )
    try:
        _wait_for_port(port, timeout=30)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(20)


def _wait_for_file(path: Path, process: spawn.Child) -> None:
    # A condition, not a clock: the server creates the file once it holds the upload.
    for _attempt in range(1_000_000):
        if path.exists():
            return
        assert process.poll() is None, "the server died before the upload was half in"
        threading.Event().wait(0.01)
    raise AssertionError("the upload never got under way")


def test_an_upload_resumes_after_the_server_is_killed_and_restarted(
    make_app: Any, browser: Any, tmp_path: Path
) -> None:
    app = make_app()
    project_id = _prepare(app)
    data = big_photo(2)
    config = server_config(app)
    port = _free_port()
    counts, marker = tmp_path / "counts", tmp_path / "holding"
    base = f"http://127.0.0.1:{port}"
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    try:
        with counting_server(config, port, counts, marker, hold_at=len(data) // 2) as first:
            _open_brief(page, base, project_id)
            _choose(page, ("door.jpg", data))
            _wait_for_file(marker, first)
            first.send_signal(signal.SIGKILL)  # half the photo in, the server dies
            first.wait(20)
        with counting_server(config, port, counts, marker):
            # The page retries on its own and resumes from what the server kept.
            expect(page.locator("[data-upload-list] .badge-processing")).to_have_count(
                1, timeout=WAIT
            )
    finally:
        context.close()
    with app.app_context():
        subs = list(db.session.scalars(select(Submission)))
    assert len(subs) == 1
    assert subs[0].upload_sha256 == hashlib.sha256(data).hexdigest()
    sent = sum(int(line) for line in counts.read_text().split())
    assert sent <= LIMIT * len(data), (sent, len(data))


def test_photos_queued_offline_survive_a_reload_and_arrive_once(
    make_app: Any, browser: Any
) -> None:
    app = make_app(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True, TASKS_MODE="sync")
    project_id = _prepare(app)
    photos = [(f"shelf-{n}.jpg", photo(1200, 900, seed=20 + n)) for n in range(3)]
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(BROWSER_TIMEOUT)
    waiting = page.locator("[data-upload-waiting]")
    try:
        with LiveServer(app) as server:
            _open_brief(page, server.url, project_id)
            context.set_offline(True)
            _choose(page, *photos)
            expect(waiting).to_have_text("Waiting for a connection — 3 photos", timeout=WAIT)
            # The page itself needs the network to reload; the uploads still find none.
            context.route("**/uploads**", lambda route: route.abort("internetdisconnected"))
            context.set_offline(False)
            page.reload()
            context.set_offline(True)
            expect(waiting).to_have_text("Waiting for a connection — 3 photos", timeout=WAIT)
            expect(page.locator("[data-upload-list] li")).to_have_count(3)
            assert _stored(app) == []
            context.unroute("**/uploads**")
            context.set_offline(False)
            expect(page.locator("[data-upload-list] .badge-pending_review")).to_have_count(
                3, timeout=WAIT
            )
            expect(waiting).to_be_hidden(timeout=WAIT)
            page.reload()  # nothing left in the queue: nothing is sent twice
            page.get_by_label("I took these photos myself").wait_for()
            expect(page.locator("[data-upload-list] li")).to_have_count(0)
            expect(waiting).to_be_hidden(timeout=WAIT)
    finally:
        context.close()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 3
    hashes = {sub.upload_sha256 for sub in _stored(app)}
    assert hashes == {hashlib.sha256(data).hexdigest() for _name, data in photos}
