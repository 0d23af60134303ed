"""Two hosts, each a gunicorn web server and an RQ worker with its own instance folder, over
one PostgreSQL, one Redis and one S3 bucket (SeaweedFS): a photo sent to one host is
reviewed on the other, and a dataset version built by a worker downloads the same through
either. Everything a host needs comes from its environment."""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import zipfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import BACKEND, TEST_PASSWORD
from tests.factories import add_team_member, make_project, make_user
from tests.hosts import Worker, trove_env, web_server
from tests.images import photo
from tests.jobproc import wait_until
from trove.exports.models import DatasetVersion, DatasetVersionStatus
from trove.extensions import db
from trove.files import get_storage
from trove.submissions.models import Submission, SubmissionStatus
from trove.tasks import Heartbeat

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        BACKEND != "postgresql",
        reason="several hosts share one PostgreSQL server; a SQLite file belongs to one host",
    ),
]

_TOKEN = re.compile(r'"X-CSRFToken": "([^"]+)"')


def _token(client: httpx.Client, url: str) -> str:
    """Return the CSRF token of the page at ``url`` (as the browser's htmx would send it)."""
    page = client.get(url)
    assert page.status_code == 200, page.text[:500]
    match = _TOKEN.search(page.text)
    assert match is not None
    return match.group(1)


def _sign_in(client: httpx.Client, base: str, email: str) -> None:
    token = _token(client, f"{base}/login")
    answer = client.post(
        f"{base}/login", data={"email": email, "password": TEST_PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 303, answer.text[:500]


def _read(app: Any, read: Callable[[], Any]) -> Any:
    with app.app_context():
        try:
            return read()
        finally:
            db.session.remove()


def test_upload_on_one_host_review_on_the_other_and_download_a_version_from_either(
    make_app: Any, database_url: str, redis_url: str, s3_server: Any, tmp_path: Path
) -> None:
    storage = s3_server.settings()
    app = make_app(**storage)  # the test's own look at the shared database and bucket
    with app.app_context():
        project = make_project(target_count=5, per_contributor_limit=3)
        project_id, version_id = project.id, project.current_version_id
        contributor = make_user(email="sam@example.org").email
        reviewer = add_team_member(project, "reviewer").email
        steward = add_team_member(project, "steward").email
    shared = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_hex(32),
        "MAIL_BACKEND": "log",
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 64,
        **storage,
    }
    instances = {name: tmp_path / f"host-{name}" / "instance" for name in "ab"}
    envs = {
        name: trove_env(shared, TROVE_INSTANCE_PATH=str(folder))
        for name, folder in instances.items()
    }
    with ExitStack() as stack:
        a = stack.enter_context(web_server(envs["a"], tmp_path / "web-a.log"))
        b = stack.enter_context(web_server(envs["b"], tmp_path / "web-b.log"))
        workers = [
            Worker(envs[name], tmp_path / f"worker-{name}.log", flask_app="wsgi")
            for name in "ab"
        ]
        for worker in workers:
            stack.callback(worker.stop)
        http = [stack.enter_context(httpx.Client(timeout=60)) for _ in range(3)]
        sam, rita, stef = http

        def both_workers_beat() -> bool:
            return _read(
                app,
                lambda: db.session.scalar(
                    select(func.count())
                    .select_from(Heartbeat)
                    .where(Heartbeat.name.like("worker:%"))
                )
                == 2,
            )

        assert wait_until(both_workers_beat, within=120), [w.output() for w in workers]

        # Signed in on A, a page (and its CSRF token) from B, the photo sent to A.
        _sign_in(sam, a, contributor)
        token = _token(sam, f"{b}/projects/{project_id}")
        sent = photo(gps=True)
        answer = sam.post(
            f"{a}/projects/{project_id}/submissions?consent={version_id}",
            content=sent,
            headers={
                "Content-Type": "application/octet-stream",
                "X-Trove-Filename": "IMG_0001.jpg",
                "X-CSRFToken": token,
                "HX-Request": "true",
            },
        )
        assert answer.status_code == 201, answer.text[:500]
        submission_id = _read(app, lambda: db.session.scalar(select(Submission.id)))

        def processed() -> bool:
            status = _read(app, lambda: db.session.get(Submission, submission_id).status)
            return status is SubmissionStatus.PENDING_REVIEW

        assert wait_until(processed, within=120), [w.output() for w in workers]

        # Reviewed on B: the thumbnail a worker made, then the approval.
        _sign_in(rita, b, reviewer)
        thumb = rita.get(f"{b}/submissions/{submission_id}/image/320")
        assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"
        assert rita.get(f"{a}/submissions/{submission_id}/image/320").content == thumb.content
        approved = rita.post(
            f"{b}/submissions/{submission_id}/approve",
            headers={"X-CSRFToken": _token(rita, f"{b}/projects/{project_id}/review")},
        )
        assert approved.status_code == 303, approved.text[:500]
        status = _read(app, lambda: db.session.get(Submission, submission_id).status)
        assert status is SubmissionStatus.APPROVED

        # A version cut on A, built by a worker, downloaded from both.
        _sign_in(stef, a, steward)
        cut = stef.post(
            f"{a}/projects/{project_id}/datasets",
            data={
                "csrf_token": _token(stef, f"{b}/projects/{project_id}/datasets"),
                "seed": "multihost",
            },
        )
        assert cut.status_code == 303, cut.text[:500]
        version_id = _read(app, lambda: db.session.scalar(select(DatasetVersion.id)))

        def built() -> bool:
            version = _read(app, lambda: db.session.get(DatasetVersion, version_id))
            assert version.status is not DatasetVersionStatus.FAILED, version.error
            return version.status is DatasetVersionStatus.READY

        assert wait_until(built, within=120), [w.output() for w in workers]
        archives = [stef.get(f"{host}/datasets/{version_id}/download") for host in (a, b)]
        assert [r.status_code for r in archives] == [200, 200]
        assert archives[0].content == archives[1].content

    key = _read(app, lambda: db.session.get(Submission, submission_id).storage_key)
    with app.app_context(), get_storage().open_original(key) as handle:
        stored = handle.read()
    assert b"GPS" not in stored and b"PhoneCo" not in stored
    zf = zipfile.ZipFile(io.BytesIO(archives[0].content))
    [image] = [n for n in zf.namelist() if n.endswith(".jpg")]
    assert hashlib.sha256(zf.read(image)).digest() == hashlib.sha256(stored).digest()
    # Nothing of the shared state lives on a host: its instance folder stays empty.
    for folder in instances.values():
        assert sorted(p.name for p in folder.iterdir()) == []
