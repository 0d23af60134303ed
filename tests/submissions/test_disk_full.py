"""A full disk while an upload is written: a clear 507, and nothing half-written kept."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import login
from tests.factories import make_project, make_user
from tests.images import photo
from trove.extensions import db
from trove.submissions.models import Submission


def _post(client, project_id: int, version_id: int, data: bytes):
    return client.post(
        f"/projects/{project_id}/submissions",
        data={"photos": (io.BytesIO(data), "big.jpg"), "consent": str(version_id)},
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def _world(app):
    with app.app_context():
        project = make_project(target_count=10, per_contributor_limit=None)
        make_user(email="sam@example.org")
        return project.id, project.current_version_id


def test_a_write_refused_for_lack_of_space_is_a_507_with_nothing_kept(
    app, client, monkeypatch
):
    project_id, version_id = _world(app)
    login(client, "sam@example.org")
    real_write = os.write

    written = 0

    def full_after_first_chunk(fd: int, data: bytes) -> int:
        # Counted over all writes: how the form parser cuts random bytes into chunks varies.
        nonlocal written
        if written + len(data) > 64 * 1024:
            raise OSError(errno.ENOSPC, "No space left on device")
        written += len(data)
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full_after_first_chunk)  # the operating system's edge
    response = _post(client, project_id, version_id, os.urandom(256 * 1024))
    monkeypatch.undo()
    assert response.status_code == 507
    assert b"no room" in response.data and b"Nothing was kept" in response.data
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    assert _files(Path(app.config["STORAGE_DIR"])) == []


@pytest.fixture
def tiny_disk(tmp_path):
    """Mount a 1 MiB tmpfs (needs root with mount rights, as on the CI machines)."""
    mountpoint = Path("/tmp") / f"trove-full-{uuid.uuid4().hex[:8]}"
    mountpoint.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mountpoint)],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        mountpoint.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    yield mountpoint
    subprocess.run(["umount", str(mountpoint)], check=False)
    mountpoint.rmdir()


def test_a_really_full_disk_is_a_507_and_the_next_upload_works_once_there_is_room(
    make_app, tiny_disk
):
    app = make_app(STORAGE_DIR=str(tiny_disk / "storage"))
    client = app.test_client()
    project_id, version_id = _world(app)
    login(client, "sam@example.org")
    (tiny_disk / "ballast").write_bytes(b"\0" * (1024 * 1024 - 100 * 1024))
    response = _post(client, project_id, version_id, os.urandom(300 * 1024))
    assert response.status_code == 507 and b"no room" in response.data
    assert _files(tiny_disk / "storage") == []
    (tiny_disk / "ballast").unlink()
    small = photo(320, 240, seed=8)
    assert _post(client, project_id, version_id, small).status_code == 201
