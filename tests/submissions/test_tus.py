"""The tus 1.0 endpoint: one test per protocol rule, and the upload rules behind it."""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from tests.conftest import login
from tests.factories import make_user
from tests.images import photo
from trove.extensions import db
from trove.files import get_storage
from trove.projects import service
from trove.projects.models import Project
from trove.submissions.models import Submission, SubmissionStatus, TusUpload
from trove.submissions.tus import sweep_tus_uploads
from trove.timeutil import utcnow

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = {**TUS, "Content-Type": "application/offset+octet-stream"}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _version(app, project_id: int) -> int:
    with app.app_context():
        return db.session.get(Project, project_id).current_version_id


def _create(client, project_id: int, length: int, *, consent: int | None = None, name="a.jpg"):
    version = consent if consent is not None else _version(client.application, project_id)
    return client.post(
        f"/projects/{project_id}/uploads",
        headers={
            **TUS,
            "Upload-Length": str(length),
            "Upload-Metadata": f"filename {_b64(name)},consent {_b64(str(version))}",
        },
    )


def _patch(client, location: str, offset: int, body: bytes, **headers):
    return client.patch(
        location, data=body, headers={**OCTETS, "Upload-Offset": str(offset), **headers}
    )


def _rows(app, model):
    with app.app_context():
        return list(db.session.scalars(select(model).order_by(model.id)))


@pytest.fixture
def signed_in(client, contributor):
    login(client, contributor)
    return client


def test_options_lists_version_extensions_checksums_and_max_size(client, project_id):
    response = client.options(f"/projects/{project_id}/uploads")
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {
        "creation",
        "termination",
        "expiration",
        "checksum",
    }
    assert response.headers["Tus-Checksum-Algorithm"] == "sha1,sha256"
    assert int(response.headers["Tus-Max-Size"]) == 25 * 1024 * 1024


def test_a_request_without_the_supported_version_gets_412(signed_in, project_id):
    response = signed_in.post(
        f"/projects/{project_id}/uploads",
        headers={"Tus-Resumable": "0.2.2", "Upload-Length": "10"},
    )
    assert response.status_code == 412
    assert response.headers["Tus-Version"] == "1.0.0"
    assert _rows(signed_in.application, TusUpload) == []


def test_anonymous_requests_are_refused(client, project_id):
    assert _create(client, project_id, 100).status_code == 401


def test_creation_answers_201_with_location_and_expiry(signed_in, project_id):
    before = utcnow()
    response = _create(signed_in, project_id, 1234, name="IMG_7.jpg")
    assert response.status_code == 201
    assert response.headers["Tus-Resumable"] == "1.0.0"
    location = response.headers["Location"]
    assert location.startswith("/uploads/")
    expires = parsedate_to_datetime(response.headers["Upload-Expires"]).replace(tzinfo=None)
    assert timedelta(hours=23) < expires - before <= timedelta(hours=24, seconds=5)
    [row] = _rows(signed_in.application, TusUpload)
    assert (row.length, row.received, row.filename) == (1234, 0, "IMG_7.jpg")


def test_creation_needs_a_length(signed_in, project_id):
    response = signed_in.post(f"/projects/{project_id}/uploads", headers=TUS)
    assert response.status_code == 400
    assert "Upload-Length" in response.text


def test_creation_refuses_what_the_upload_path_refuses(app, signed_in, project_id):
    no_consent = signed_in.post(
        f"/projects/{project_id}/uploads",
        headers={**TUS, "Upload-Length": "100", "Upload-Metadata": f"filename {_b64('a.jpg')}"},
    )
    assert no_consent.status_code == 422 and "Tick the box" in no_consent.text
    response = _create(signed_in, project_id, 26 * 1024 * 1024)
    assert response.status_code == 413 and "limit" in response.text
    assert _rows(app, TusUpload) == []


def test_unfinished_uploads_count_against_a_budget(app, signed_in, project_id):
    app.config["TUS_BUDGET_MB"] = 1
    assert _create(signed_in, project_id, 700_000).status_code == 201
    response = _create(signed_in, project_id, 400_000)
    assert response.status_code == 429 and "unfinished" in response.text
    assert _create(signed_in, project_id, 300_000).status_code == 201


def test_head_gives_the_offset_and_is_never_cached(signed_in, project_id):
    location = _create(signed_in, project_id, 100).headers["Location"]
    response = signed_in.head(location, headers=TUS)
    assert response.status_code == 200
    assert response.headers["Upload-Offset"] == "0"
    assert response.headers["Upload-Length"] == "100"
    assert response.headers["Cache-Control"] == "no-store"


def test_unknown_upload_is_404_and_another_contributors_too(app, client, project_id):
    with app.app_context():
        make_user(email="alex@example.org")
    login(client, "alex@example.org")
    location = _create(client, project_id, 100).headers["Location"]
    assert client.head("/uploads/" + "x" * 43, headers=TUS).status_code == 404
    client.post("/logout")
    with app.app_context():
        make_user(email="kim@example.org")
    login(client, "kim@example.org")
    assert client.head(location, headers=TUS).status_code == 404
    assert _patch(client, location, 0, b"abc").status_code == 404


def test_patch_with_another_content_type_gets_415(signed_in, project_id):
    location = _create(signed_in, project_id, 100).headers["Location"]
    response = signed_in.patch(
        location,
        data=b"abc",
        headers={**TUS, "Upload-Offset": "0", "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 415


def test_patch_at_the_wrong_offset_gets_409_with_the_real_one(signed_in, project_id):
    location = _create(signed_in, project_id, 100).headers["Location"]
    assert _patch(signed_in, location, 0, b"a" * 10).status_code == 204
    response = _patch(signed_in, location, 5, b"b" * 10)
    assert response.status_code == 409
    assert response.headers["Upload-Offset"] == "10"


def test_patch_beyond_the_length_is_refused_and_nothing_kept(signed_in, project_id):
    location = _create(signed_in, project_id, 10).headers["Location"]
    assert _patch(signed_in, location, 0, b"a" * 11).status_code == 413
    assert signed_in.head(location, headers=TUS).headers["Upload-Offset"] == "0"


def test_patch_without_an_offset_is_400(signed_in, project_id):
    location = _create(signed_in, project_id, 10).headers["Location"]
    response = signed_in.patch(location, data=b"a", headers=OCTETS)
    assert response.status_code == 400


def test_pieces_add_up_and_the_last_one_makes_one_photo(app, signed_in, project_id):
    data = photo(gps=True)
    location = _create(signed_in, project_id, len(data), name="IMG_1.jpg").headers["Location"]
    third = len(data) // 3
    first = _patch(signed_in, location, 0, data[:third])
    assert first.status_code == 204 and first.headers["Upload-Offset"] == str(third)
    assert "Upload-Expires" in first.headers
    with app.app_context():
        pieces = list(get_storage().list_upload_parts())
        assert len(pieces) == 1 and list(get_storage().list_quarantine()) == []
    assert _patch(signed_in, location, third, data[third : 2 * third]).status_code == 204
    last = _patch(signed_in, location, 2 * third, data[2 * third :])
    assert last.status_code == 204
    assert last.headers["Upload-Offset"] == str(len(data))
    [sub] = _rows(app, Submission)
    assert last.headers["X-Trove-Submission"] == str(sub.id)
    assert last.headers["X-Trove-Remaining"] == "2"
    assert sub.upload_sha256 == hashlib.sha256(data).hexdigest()
    assert sub.original_filename == "IMG_1.jpg"
    assert sub.status is SubmissionStatus.PENDING_REVIEW  # the media job ran (sync mode)
    with app.app_context():
        assert list(get_storage().list_upload_parts()) == []
    # A client that lost the last answer asks again: the upload is done, the same photo.
    again = signed_in.head(location, headers=TUS)
    assert again.headers["Upload-Offset"] == str(len(data))
    assert again.headers["X-Trove-Submission"] == str(sub.id)
    assert _patch(signed_in, location, len(data), b"").status_code == 409
    assert len(_rows(app, Submission)) == 1


def test_a_finished_upload_meets_the_same_checks_as_any_upload(app, signed_in, project_id):
    data = photo(seed=3)
    first = _create(signed_in, project_id, len(data)).headers["Location"]
    assert _patch(signed_in, first, 0, data).status_code == 204
    second = _create(signed_in, project_id, len(data)).headers["Location"]
    response = _patch(signed_in, second, 0, data)
    assert response.status_code == 409
    assert "already sent this exact photo" in response.text
    assert signed_in.head(second, headers=TUS).status_code == 404  # refused: terminated
    assert len(_rows(app, Submission)) == 1


def test_damaged_bytes_are_refused_at_the_end(app, signed_in, project_id):
    data = photo(seed=4)[:-200]
    location = _create(signed_in, project_id, len(data)).headers["Location"]
    response = _patch(signed_in, location, 0, data)
    assert response.status_code == 422
    assert _rows(app, Submission) == []
    with app.app_context():
        assert list(get_storage().list_upload_parts()) == []


def test_a_changed_brief_is_checked_when_the_photo_completes(app, signed_in, project_id):
    data = photo(seed=5)
    location = _create(signed_in, project_id, len(data)).headers["Location"]
    assert _patch(signed_in, location, 0, data[:100]).status_code == 204
    with app.app_context():
        project = db.session.get(Project, project_id)
        service.save_brief(project, project.members[0].user, 4, {"pay_minor": 999})
        db.session.commit()
    response = _patch(signed_in, location, 100, data[100:])
    assert response.status_code == 409 and "brief changed" in response.text
    assert _rows(app, Submission) == []


def test_checksum_matching_is_accepted_and_a_mismatch_gets_460(signed_in, project_id):
    location = _create(signed_in, project_id, 100).headers["Location"]
    body = b"x" * 40
    good = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert (
        _patch(signed_in, location, 0, body, **{"Upload-Checksum": f"sha256 {good}"}).status_code
        == 204
    )
    bad = base64.b64encode(hashlib.sha1(b"other").digest()).decode()
    response = _patch(signed_in, location, 40, body, **{"Upload-Checksum": f"sha1 {bad}"})
    assert response.status_code == 460
    assert signed_in.head(location, headers=TUS).headers["Upload-Offset"] == "40"
    response = _patch(signed_in, location, 40, body, **{"Upload-Checksum": "md5 AAAA"})
    assert response.status_code == 400


def test_delete_terminates_and_frees_the_pieces(app, signed_in, project_id):
    location = _create(signed_in, project_id, 100).headers["Location"]
    assert _patch(signed_in, location, 0, b"a" * 30).status_code == 204
    response = signed_in.delete(location, headers=TUS)
    assert response.status_code == 204
    assert signed_in.head(location, headers=TUS).status_code == 404
    assert _patch(signed_in, location, 30, b"a").status_code == 404
    with app.app_context():
        assert list(get_storage().list_upload_parts()) == []


def test_an_expired_upload_is_gone_and_swept(app, signed_in, project_id):
    location = _create(signed_in, project_id, 100).headers["Location"]
    assert _patch(signed_in, location, 0, b"a" * 30).status_code == 204
    with app.app_context():
        row = db.session.scalar(select(TusUpload))
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert signed_in.head(location, headers=TUS).status_code == 410
    assert _patch(signed_in, location, 30, b"a").status_code == 410
    with app.app_context():
        sweep_tus_uploads()
        db.session.commit()
        assert db.session.scalar(select(TusUpload)) is None
    assert signed_in.head(location, headers=TUS).status_code == 404


def test_the_sweep_deletes_pieces_no_upload_names(app, signed_in, project_id):
    location = _create(signed_in, project_id, 100).headers["Location"]
    assert _patch(signed_in, location, 0, b"a" * 30).status_code == 204
    with app.app_context():
        storage = get_storage()
        token = location.rsplit("/", 1)[1]
        stray = storage.put_upload_part(token, 30, [b"lost race"])
        old = utcnow().timestamp() - 7200
        os.utime(storage.path(stray), (old, old))
        sweep_tus_uploads()
        db.session.commit()
        names = [name for _t, name, _m in storage.list_upload_parts()]
        assert stray not in names and len(names) == 1
    assert signed_in.head(location, headers=TUS).headers["Upload-Offset"] == "30"


def test_patch_needs_the_csrf_header_like_every_upload(app, client, project_id, contributor):
    login(client, contributor)
    app.config["WTF_CSRF_ENABLED"] = True
    response = _create(client, project_id, 100)
    assert response.status_code == 400
    assert response.mimetype == "text/plain" and "CSRF" in response.text
    assert _rows(app, TusUpload) == []


def test_of_two_requests_at_the_same_offset_one_counts(app, signed_in, project_id):
    location = _create(signed_in, project_id, 100).headers["Location"]
    token = location.rsplit("/", 1)[1]
    with app.app_context():
        from io import BytesIO

        from trove.accounts.models import User
        from trove.errors import DomainError
        from trove.submissions import tus

        stale = db.session.scalar(select(TusUpload).where(TusUpload.token == token))
        user = db.session.get(User, stale.contributor_id)
        # Another request (another host) adds 10 bytes at offset 0 while this one reads.
        assert _patch(signed_in, location, 0, b"a" * 10).status_code == 204
        with pytest.raises(DomainError) as refused:
            tus.append_bytes(stale, user, 0, BytesIO(b"b" * 20), content_length=20)
        assert refused.value.status == 409
        db.session.rollback()
        pieces = list(get_storage().list_upload_parts())
        assert len(pieces) == 1  # the loser's piece is gone
    assert signed_in.head(location, headers=TUS).headers["Upload-Offset"] == "10"


class _Crashing:
    """A body whose server dies (BaseException: nothing catches it) after ``at`` bytes."""

    def __init__(self, data: bytes, at: int) -> None:
        self.data, self.at, self.pos = data, at, 0

    def read(self, size: int = -1) -> bytes:
        if self.pos >= self.at:
            raise KeyboardInterrupt
        chunk = self.data[self.pos : min(self.pos + size, self.at)]
        self.pos += len(chunk)
        return chunk


def test_a_long_body_is_kept_as_it_arrives_so_a_crash_costs_a_tenth(app, signed_in, project_id):
    data = photo(1600, 1200, seed=8) * 3  # length only matters here
    location = _create(signed_in, project_id, len(data)).headers["Location"]
    token = location.rsplit("/", 1)[1]
    with app.app_context():
        from trove.accounts.models import User
        from trove.submissions import tus

        upload = db.session.scalar(select(TusUpload).where(TusUpload.token == token))
        user = db.session.get(User, upload.contributor_id)
        crash_at = len(data) * 6 // 10 + 1000
        with pytest.raises(KeyboardInterrupt):
            tus.append_bytes(
                upload,
                user,
                0,
                _Crashing(data, crash_at),
                content_length=len(data),
                checkpoint=db.session.commit,
            )
        db.session.rollback()
    kept = int(signed_in.head(location, headers=TUS).headers["Upload-Offset"])
    assert crash_at - tus.checkpoint_bytes(len(data)) <= kept <= crash_at
    assert _patch(signed_in, location, kept, data[kept:]).status_code in (204, 422)


def _padded(data: bytes, comments: int) -> bytes:
    """Return the JPEG ``data`` made longer by ``comments`` 60 KB comment segments."""
    segment = b"\xff\xfe" + (60_002).to_bytes(2, "big") + os.urandom(60_000)
    return data[:2] + segment * comments + data[2:]


def test_a_long_patch_reads_nothing_again_between_or_after_its_pieces(
    make_app, contributor, project_id
):
    """A body kept in pieces (a commit after each) reloads neither the upload, the project
    nor the contributor after each piece, and the photos left come from the spot
    reservation, not from counting again (one quota read, before the bytes are checked);
    the body is read as the server ends it."""
    from tests.statements import statements_of_this_thread

    app = make_app(TASKS_MODE="thread")  # the media job runs in another thread, not counted
    signed_in = app.test_client()
    login(signed_in, contributor)
    data = _padded(photo(seed=41), 12)
    location = _create(signed_in, project_id, len(data)).headers["Location"]
    with app.app_context():
        engine = db.engine
    with statements_of_this_thread(engine) as seen:
        response = signed_in.patch(
            location,
            data=data,
            headers={**OCTETS, "Upload-Offset": "0"},
            environ_overrides={"wsgi.input_terminated": True},
        )
    assert response.status_code == 204, response.data
    assert response.headers["X-Trove-Remaining"] == "2"  # 3 each; this was the first
    assert response.headers["Upload-Offset"] == str(len(data))
    assert len([s for s in seen if s.startswith("UPDATE tus_uploads SET rec")]) >= 3  # pieces
    for table in ("tus_uploads", "projects", "users"):
        assert len([s for s in seen if s.startswith(f"SELECT {table}.id,")]) == 1, seen
    assert len([s for s in seen if "photo_count" in s and s.startswith("SELECT")]) == 1, seen
    assert _rows(app, Submission)[0].upload_size == len(data)
