"""The whole photo path over both storage backends, presigned redirects, and migration."""

from __future__ import annotations

import base64
import hashlib
import io
import socket
import urllib.request
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import login
from tests.factories import add_team_member, make_project, make_user
from tests.images import photo
from trove.accounts.models import User
from trove.config import configure_storage
from trove.exports import service as exports
from trove.exports.models import DatasetVersion, DatasetVersionStatus
from trove.extensions import db
from trove.files import get_storage, storage_from_url
from trove.projects.models import Project
from trove.review.service import approve_submission
from trove.submissions.models import Submission, SubmissionStatus


def _world(app: Any) -> dict[str, Any]:
    with app.app_context():
        project = make_project(target_count=5, per_contributor_limit=3)
        world = {
            "project_id": project.id,
            "version_id": project.current_version_id,
            "contributor": make_user(email="sam@example.org").email,
            "reviewer_id": add_team_member(project, "reviewer").id,
            "steward": add_team_member(project, "steward").email,
        }
        return world


def _upload(client: Any, world: dict[str, Any]) -> Submission:
    login(client, world["contributor"])
    response = client.post(
        f"/projects/{world['project_id']}/submissions",
        data={"photos": (io.BytesIO(photo(gps=True)), "IMG_1.jpg"), "consent": world["version_id"]},
        content_type="multipart/form-data",
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 201, response.data
    with client.application.app_context():
        [submission] = db.session.scalars(select(Submission))
        db.session.expunge(submission)
    return submission


def _get(client: Any, url: str, **headers: str) -> Any:
    """GET ``url`` and close the response (a sent file stays open until then)."""
    with client.get(url, headers=headers) as response:
        response.get_data()
    return response


def test_upload_process_serve_and_export(make_app: Any, storage_settings: dict[str, Any]) -> None:
    app = make_app(**storage_settings)
    world = _world(app)
    client = app.test_client()
    submission = _upload(client, world)
    assert submission.status is SubmissionStatus.PENDING_REVIEW
    with app.app_context():
        storage = get_storage()
        assert storage.url.startswith("s3://" if storage_settings else "file://")
        assert list(storage.list_quarantine()) == []  # processed: the raw upload is gone
        with storage.open_original(submission.storage_key) as handle:
            stored = handle.read()
    assert b"GPS" not in stored and hashlib.sha256(stored).hexdigest() == submission.sha256

    # Served through the access check, whole, in ranges, and as "not modified".
    url = f"/submissions/{submission.id}/image/320"
    whole = _get(client, url)
    assert whole.status_code == 200 and whole.mimetype == "image/jpeg"
    assert whole.data[:2] == b"\xff\xd8" and whole.headers["Cache-Control"].startswith("private")
    part = _get(client, url, Range="bytes=2-9")
    assert part.status_code == 206 and part.data == whole.data[2:10]
    assert _get(client, url, **{"If-None-Match": whole.headers["ETag"]}).status_code == 304
    original = _get(client, f"/submissions/{submission.id}/original")
    assert original.status_code == 200 and original.data == stored
    assert _get(app.test_client(), url).status_code in (302, 303, 401, 404)  # signed out

    # Approved, exported (the archive streams into the storage), downloaded.
    with app.app_context():
        reviewer = db.session.get_one(User, world["reviewer_id"])
        approve_submission(db.session.get_one(Submission, submission.id), reviewer)
        db.session.commit()
        project = db.session.get_one(Project, world["project_id"])
        steward = db.session.scalar(select(User).where(User.email == world["steward"]))
        version = exports.cut_version(project, steward, exports.VersionRequest())
        db.session.commit()
        version = db.session.get(DatasetVersion, version.id)
        assert version.status is DatasetVersionStatus.READY, version.error
        version_id = version.id
    steward_client = app.test_client()
    login(steward_client, world["steward"])
    download = _get(steward_client, f"/datasets/{version_id}/download")
    assert download.status_code == 200
    zf = zipfile.ZipFile(io.BytesIO(download.data))
    [image] = [n for n in zf.namelist() if n.endswith(".jpg")]
    assert zf.read(image) == stored


def test_presigned_redirect_expires_soon_and_serves_the_image(
    make_app: Any, s3_server: Any
) -> None:
    app = make_app(**s3_server.settings(), S3_PRESIGN_SECONDS=30)
    world = _world(app)
    client = app.test_client()
    submission = _upload(client, world)
    response = _get(client, f"/submissions/{submission.id}/image/320")
    assert response.status_code == 302
    assert response.headers["Cache-Control"] == "private, no-store"
    location = response.headers["Location"]
    assert location.startswith(s3_server.endpoint) and "X-Amz-Expires=30" in location
    with urllib.request.urlopen(location, timeout=30) as answer:  # noqa: S310 - loopback
        assert answer.headers["Content-Type"] == "image/jpeg"
        assert answer.read()[:2] == b"\xff\xd8"
    assert _get(app.test_client(), f"/submissions/{submission.id}/image/320").status_code != 302


def test_migrate_to_s3_and_back(make_app: Any, s3_server: Any, tmp_path: Path) -> None:
    app = make_app()
    world = _world(app)
    submission = _upload(app.test_client(), world)
    app.instance_path = str(tmp_path / "instance")  # where the switch is written
    Path(app.instance_path).mkdir()
    settings = s3_server.settings()
    app.config.update({k: v for k, v in settings.items() if k != "STORAGE_URL"})
    runner = app.test_cli_runner()

    result = runner.invoke(args=["trove", "storage", "migrate", "--to", settings["STORAGE_URL"]])
    assert result.exit_code == 0, result.output
    assert "4 object(s) copied, 0 already there" in result.output  # original + 3 thumbnails
    switch = tmp_path / "instance" / "storage_url"
    assert switch.read_text().strip() == settings["STORAGE_URL"]
    again = runner.invoke(args=["trove", "storage", "migrate", "--to", settings["STORAGE_URL"]])
    assert "0 object(s) copied, 4 already there" in again.output  # idempotent

    # The app now reads from S3 (a fresh app would read the switch file the same way).
    s3_app = make_app(**settings)
    s3_client = s3_app.test_client()
    login(s3_client, world["contributor"])
    assert _get(s3_client, f"/submissions/{submission.id}/original").status_code == 200

    back = tmp_path / "back"
    s3_app.instance_path = str(tmp_path / "instance")
    result = s3_app.test_cli_runner().invoke(
        args=["trove", "storage", "migrate", "--to", back.as_uri()]
    )
    assert result.exit_code == 0, result.output
    assert switch.read_text().strip() == back.as_uri()
    key = submission.storage_key
    assert (back / "originals" / key[:2] / key[2:4] / key).read_bytes() == (
        (tmp_path / "storage" / "originals" / key[:2] / key[2:4] / key).read_bytes()
    )


def test_migrate_from_s3_to_another_s3_store_directly_resumably_and_verified(
    make_app: Any, s3_server: Any, tmp_path: Path
) -> None:
    from tests.s3server import SECRET_KEY

    settings = s3_server.settings()
    app = make_app(**settings)
    submission = _upload(app.test_client(), _world(app))
    app.instance_path = str(tmp_path / "instance")
    Path(app.instance_path).mkdir()
    target_url = f"s3://trove-copy/{uuid.uuid4().hex}"
    # Another server, as far as Trove can tell: its own endpoint URL and its own key pair.
    endpoint = s3_server.endpoint.replace("127.0.0.1", "localhost")
    args = ["trove", "storage", "migrate", "--to", target_url, "--to-endpoint-url", endpoint]
    runner = app.test_cli_runner()

    refused = runner.invoke(args=args, env={"TROVE_TO_S3_SECRET_ACCESS_KEY": "not-it"})
    assert refused.exit_code != 0 and "cannot be reached" in refused.output

    secret = {"TROVE_TO_S3_SECRET_ACCESS_KEY": SECRET_KEY}
    result = runner.invoke(args=args, env=secret)
    assert result.exit_code == 0, result.output
    assert "4 object(s) copied, 0 already there" in result.output
    assert "Not switched: set TROVE_STORAGE_URL" in result.output  # another server
    assert not (tmp_path / "instance" / "storage_url").exists()

    target = storage_from_url(target_url, {**settings, "S3_ENDPOINT_URL": endpoint})
    key = submission.storage_key
    target.put_object(target.original_object(key), [b"rotten"])  # damaged: found, redone
    target.delete_object(target.derived_object(key, 320))  # missing: copied again
    again = runner.invoke(args=args, env=secret)
    assert again.exit_code == 0, again.output
    assert "2 object(s) copied, 2 already there" in again.output
    with app.app_context(), get_storage().open_original(key) as handle:
        stored = handle.read()
    with target.open_original(key) as handle:
        assert handle.read() == stored


def test_storage_url_settles_from_setting_then_switch_file_then_directory(
    tmp_path: Path,
) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    config: dict[str, Any] = {"STORAGE_DIR": str(tmp_path / "files"), "STORAGE_URL": None}
    configure_storage(config, instance)
    assert config["STORAGE_URL"] == (tmp_path / "files").as_uri()
    (instance / "storage_url").write_text("s3://bucket/trove\n")
    config["STORAGE_URL"] = None
    configure_storage(config, instance)
    assert config["STORAGE_URL"] == "s3://bucket/trove"
    config["STORAGE_URL"] = (tmp_path / "elsewhere").as_uri()  # an explicit setting wins
    configure_storage(config, instance)
    assert config["STORAGE_DIR"] == str(tmp_path / "elsewhere")


@pytest.mark.parametrize(
    ("setting", "value"),
    [("STORAGE_URL", "ftp://host/x"), ("STORAGE_URL", "file://relative/x"),
     ("S3_PRESIGN_SECONDS", 61), ("S3_PRESIGN_SECONDS", -1),
     ("IMAGE_OFFLOAD", "nginx")],
)  # fmt: skip
def test_bad_storage_settings_stop_the_start(tmp_path: Path, setting: str, value: object) -> None:
    config: dict[str, Any] = {"STORAGE_DIR": str(tmp_path), "STORAGE_URL": None, setting: value}
    if setting == "IMAGE_OFFLOAD":
        config["STORAGE_URL"] = "s3://bucket/trove"  # the proxy cannot send what S3 holds
    with pytest.raises(ValueError, match="TROVE_|file:///"):
        configure_storage(config, None)


def test_backup_and_restore_copy_an_s3_storage(make_app: Any, s3_server: Any, tmp_path: Path):
    app = make_app(**s3_server.settings())
    app.instance_path = str(tmp_path / "instance")  # the restore writes the secret key here
    submission = _upload(app.test_client(), _world(app))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["trove", "backup", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    key = submission.storage_key
    with app.app_context():
        storage = get_storage()
        with storage.open_original(key) as handle:
            stored = handle.read()
        copy = tmp_path / "backup" / "storage" / storage.original_object(key)
        assert copy.read_bytes() == stored
        storage.delete_original(key)  # lost
        db.session.remove()
    result = runner.invoke(args=["trove", "restore", "--yes", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    with app.app_context(), get_storage().open_original(key) as handle:
        assert handle.read() == stored


@pytest.mark.parametrize("fault", ["wrong secret", "store down"])
def test_a_store_that_is_down_or_refuses_us_answers_503_not_507(
    make_app: Any, s3_server: Any, fault: str
) -> None:
    settings = s3_server.settings()
    good = make_app(**settings)
    world = _world(good)
    submission = _upload(good.test_client(), world)
    if fault == "wrong secret":
        broken = {**settings, "S3_SECRET_ACCESS_KEY": "not-the-secret"}
    else:
        with socket.socket() as sock:  # a port nobody listens on: the store is stopped
            sock.bind(("127.0.0.1", 0))
            broken = {**settings, "S3_ENDPOINT_URL": f"http://127.0.0.1:{sock.getsockname()[1]}"}
    app = make_app(**broken)
    client = app.test_client()
    login(client, world["contributor"])

    answer = client.post(
        f"/projects/{world['project_id']}/submissions?consent={world['version_id']}",
        data=photo(seed=7),
        content_type="application/octet-stream",
        headers={"HX-Request": "true", "X-Trove-Filename": "IMG_2.jpg"},
    )
    assert answer.status_code == 503, answer.data
    assert b"cannot be reached" in answer.data and b"Nothing was kept" in answer.data
    image = _get(client, f"/submissions/{submission.id}/image/320")  # reads fail alike
    assert image.status_code == 503 and image.headers["Retry-After"]
    assert b"try again" in image.data
    with good.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
        assert list(get_storage().list_quarantine()) == []


def test_a_resumable_upload_in_pieces_on_each_backend(
    make_app: Any, storage_settings: dict[str, Any]
) -> None:
    app = make_app(**storage_settings)
    world = _world(app)
    client = app.test_client()
    login(client, world["contributor"])
    data = photo(seed=31)
    tus = {"Tus-Resumable": "1.0.0"}
    metadata = "filename {},consent {}".format(
        base64.b64encode(b"IMG_2.jpg").decode(),
        base64.b64encode(str(world["version_id"]).encode()).decode(),
    )
    created = client.post(
        f"/projects/{world['project_id']}/uploads",
        headers={**tus, "Upload-Length": str(len(data)), "Upload-Metadata": metadata},
    )
    assert created.status_code == 201
    half = len(data) // 2
    for offset, body in ((0, data[:half]), (half, data[half:])):
        response = client.patch(
            created.headers["Location"],
            data=body,
            headers={
                **tus,
                "Content-Type": "application/offset+octet-stream",
                "Upload-Offset": str(offset),
            },
        )
        assert response.status_code == 204, response.text
        with app.app_context():
            pieces = list(get_storage().list_upload_parts())
        assert len(pieces) == (1 if offset == 0 else 0)  # kept, then cleared once in
    with app.app_context():
        [submission] = db.session.scalars(select(Submission))
        assert submission.upload_sha256 == hashlib.sha256(data).hexdigest()
        assert submission.status is SubmissionStatus.PENDING_REVIEW
