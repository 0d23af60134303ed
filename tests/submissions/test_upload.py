"""Uploading photos: validation from bytes, consent, quotas, duplicates, the media job."""

from __future__ import annotations

import hashlib
import io
from urllib.parse import quote

import pytest
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD, login
from tests.factories import add_team_member
from tests.images import photo
from trove.extensions import db
from trove.files import get_storage
from trove.projects.models import Project
from trove.submissions.models import Submission, SubmissionStatus

HX = {"HX-Request": "true"}


def _upload(client, project_id, data: bytes, name="IMG_0001.jpg", *, consent=True, hx=True):
    with client.application.app_context():
        version = db.session.get(Project, project_id).current_version_id
    form = {"photos": (io.BytesIO(data), name)}
    if consent:
        form["consent"] = str(version)
    return client.post(
        f"/projects/{project_id}/submissions",
        data=form,
        content_type="multipart/form-data",
        headers=HX if hx else {},
    )


def _submissions(app) -> list[Submission]:
    with app.app_context():
        return list(db.session.scalars(select(Submission).order_by(Submission.id)))


def test_upload_is_stripped_stored_and_pending_review(app, client, project_id, contributor):
    login(client, contributor)
    response = _upload(client, project_id, photo(gps=True))
    assert response.status_code == 201, response.data
    assert b"submission-" in response.data and b"<html" not in response.data
    assert response.headers["X-Trove-Remaining"] == "2"  # the fixture allows 3 each
    [sub] = _submissions(app)
    assert sub.status is SubmissionStatus.PENDING_REVIEW
    assert sub.quarantine_name is None
    with app.app_context():
        storage = get_storage()
        assert storage.original_path(sub.storage_key).exists()
        assert storage.derived_path(sub.storage_key, 320).exists()
        assert list(storage.list_quarantine()) == []
        stored = storage.original_path(sub.storage_key).read_bytes()
    assert b"PhoneCo" not in stored and b"SN-123456789" not in stored
    assert sub.brief_version_id is not None and len(sub.licence_hash) == 64
    assert (sub.width, sub.height) == (640, 480)


def test_card_and_thumbnail_visible_to_owner_only(app, client, project_id, contributor):
    login(client, contributor)
    _upload(client, project_id, photo())
    [sub] = _submissions(app)
    with client.get(f"/submissions/{sub.id}/image/320") as response:
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.headers["Cache-Control"].startswith("private")
    assert client.get(f"/submissions/{sub.id}/image/999").status_code == 404
    other = app.test_client()
    from tests.factories import make_user

    with app.app_context():
        make_user(email="other@example.org")
    login(other, "other@example.org")
    assert other.get(f"/submissions/{sub.id}/image/320").status_code == 404
    assert other.get(f"/submissions/{sub.id}/card").status_code == 404
    assert app.test_client().get(f"/submissions/{sub.id}/image/320").status_code == 404


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.jpg", b"empty"),
        (b"this is not a picture at all", "notes.jpg", b""),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "broken.jpg", b""),
        (b"GIF89a" + b"\x00" * 40, "anim.gif", b""),
    ],
)
def test_bad_files_are_refused_with_a_reason_and_nothing_kept(
    app, client, project_id, contributor, data, name, message
):
    login(client, contributor)
    response = _upload(client, project_id, data, name)
    assert 400 <= response.status_code < 500
    assert b"error-message" in response.data and message in response.data
    assert _submissions(app) == [] or all(
        s.status is SubmissionStatus.REJECTED for s in _submissions(app)
    )
    with app.app_context():
        assert list(get_storage().list_quarantine()) == []


def test_consent_is_required_and_must_match_current_version(app, client, project_id, contributor):
    login(client, contributor)
    response = _upload(client, project_id, photo(), consent=False)
    assert response.status_code == 422 and b"Tick the box" in response.data
    with app.app_context():
        project = db.session.get(Project, project_id)
        from trove.projects import service

        service.save_brief(project, project.members[0].user, 4, {"pay_minor": 999})
        db.session.commit()
    stale = client.post(
        f"/projects/{project_id}/submissions",
        data={"photos": (io.BytesIO(photo()), "a.jpg"), "consent": "1"},
        content_type="multipart/form-data",
        headers=HX,
    )
    assert stale.status_code == 409 and b"brief changed" in stale.data
    assert _submissions(app) == []


def test_exact_duplicates_are_refused(app, client, project_id, contributor):
    login(client, contributor)
    data = photo(seed=7)
    assert _upload(client, project_id, data).status_code == 201
    again = _upload(client, project_id, data, "copy.jpg")
    assert again.status_code == 409 and b"already sent this exact photo" in again.data


def test_per_contributor_limit_and_spots(app, client, project_id, contributor):
    login(client, contributor)
    for seed in range(3):
        assert _upload(client, project_id, photo(seed=seed + 10)).status_code == 201
    over = _upload(client, project_id, photo(seed=99))
    assert over.status_code == 409 and b"the most photos one person can send" in over.data
    assert len(_submissions(app)) == 3


def test_team_members_cannot_contribute(app, client, project_id):
    with app.app_context():
        reviewer = add_team_member(db.session.get(Project, project_id), "reviewer")
        email = reviewer.email
    login(client, email)
    response = _upload(client, project_id, photo())
    assert response.status_code == 403


def test_min_resolution_from_brief(app, client, contributor):
    from tests.factories import make_project

    with app.app_context():
        project_id = make_project(min_width=1000, min_height=800).id
    login(client, contributor)
    response = _upload(client, project_id, photo(640, 480))
    assert response.status_code == 422 and b"at least 1000" in response.data


def test_upload_without_javascript_redirects_to_my_photos(app, client, project_id, contributor):
    login(client, contributor)
    response = _upload(client, project_id, photo(), hx=False)
    assert response.status_code == 303 and response.headers["Location"] == "/me/photos"
    page = client.get("/me/photos").data
    assert b"Pending review" in page and b"IMG_0001.jpg" in page


def test_upload_too_large_is_413_with_a_message(make_app, contributor, project_id):
    app = make_app(MAX_UPLOAD_MB=1)
    client = app.test_client()
    login(client, contributor)
    with app.app_context():
        version = db.session.get(Project, project_id).current_version_id
    # A hand-built multipart body (bytes, not a file), so no temporary file is left open.
    boundary = "trove-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="consent"\r\n\r\n{version}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="big.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + b"\xff\xd8"
        + b"\x00" * (2 * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        f"/projects/{project_id}/submissions",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=HX,
    )
    assert response.status_code == 413 and b"1 MB" in response.data


def test_filenames_are_never_paths(app, client, project_id, contributor):
    login(client, contributor)
    response = _upload(client, project_id, photo(), "../../etc/passwd\x00<b>x</b>.jpg")
    assert response.status_code == 201
    [sub] = _submissions(app)
    assert "/" not in sub.original_filename and "\x00" not in sub.original_filename
    assert b"<b>x</b>" not in client.get("/me/photos").data


def test_my_photos_filters(app, client, project_id, contributor):
    login(client, contributor)
    _upload(client, project_id, photo(seed=1))
    assert b"Pending review" in client.get("/me/photos?status=pending_review").data
    assert b"No photos with this status" in client.get("/me/photos?status=approved").data
    assert client.get("/me/photos?status=nonsense&before=abc").status_code == 200
    fragment = client.get("/me/photos", headers=HX)
    assert b"<html" not in fragment.data and b"photo-list" in fragment.data


# --- the upload script's way: the photo is the request body ---------------------------------


def _send_raw(client, project_id, data, name="IMG_0002.jpg", *, consent=True, **headers):
    with client.application.app_context():
        version = db.session.get(Project, project_id).current_version_id
    query = f"?consent={version}" if consent else ""
    return client.post(
        f"/projects/{project_id}/submissions{query}",
        data=data,
        headers={
            "Content-Type": "application/octet-stream",
            "X-Trove-Filename": quote(name),
            **HX,
            **headers,
        },
    )


def test_raw_body_upload_is_received_like_a_form_upload(app, client, project_id, contributor):
    login(client, contributor)
    data = photo(gps=True, seed=21)
    response = _send_raw(client, project_id, data, "Été à Paris 📷.jpg")
    assert response.status_code == 201, response.data
    assert b"submission-" in response.data and response.headers["X-Trove-Remaining"] == "2"
    [sub] = _submissions(app)
    assert sub.original_filename == "Été à Paris 📷.jpg"
    assert sub.upload_sha256 == hashlib.sha256(data).hexdigest()  # hashed on the way in
    assert sub.upload_size == len(data) and sub.status is SubmissionStatus.PENDING_REVIEW
    # The same photo again, either way, is the same duplicate.
    again = _send_raw(client, project_id, data)
    assert again.status_code == 409 and b"already sent this exact photo" in again.data
    assert _upload(client, project_id, data).status_code == 409


@pytest.mark.parametrize(
    ("data", "consent", "status", "message"),
    [
        (b"", True, 422, b"The file is empty."),
        (b"GIF89a" + b"\x00" * 100, True, 422, b"not a JPEG, PNG, WebP or HEIC"),
        (None, False, 422, b"Tick the box"),
    ],
)
def test_raw_body_refusals_say_why_and_keep_nothing(
    app, client, project_id, contributor, data, consent, status, message
):
    login(client, contributor)
    response = _send_raw(client, project_id, photo() if data is None else data, consent=consent)
    assert response.status_code == status and message in response.data, response.data
    assert b"error-message" in response.data and b"<html" not in response.data
    assert _submissions(app) == []
    with app.app_context():
        assert list(get_storage().list_quarantine()) == []


def test_raw_body_larger_than_the_limit_is_413(make_app, contributor, project_id):
    app = make_app(MAX_UPLOAD_MB=1)
    client = app.test_client()
    login(client, contributor)
    response = _send_raw(client, project_id, b"\xff\xd8" + b"\x00" * (2 * 1024 * 1024))
    assert response.status_code == 413 and b"1 MB" in response.data
    with app.app_context():
        assert list(get_storage().list_quarantine()) == []


def test_raw_body_needs_the_csrf_header(make_app, contributor, project_id):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/login").data.decode()
    token = page.split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]
    client.post(
        "/login",
        data={"email": contributor, "password": TEST_PASSWORD, "csrf_token": token},
    )
    # Signing in rotates the token: the page after it carries the new one.
    page = client.get(f"/projects/{project_id}").data.decode()
    token = page.split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]
    assert _send_raw(client, project_id, photo(seed=22)).status_code == 400
    response = _send_raw(client, project_id, photo(seed=22), **{"X-CSRFToken": token})
    assert response.status_code == 201, response.data


def _padded_jpeg(seed: int, size: int) -> bytes:
    """Return a valid JPEG of about ``size`` bytes (APP15 padding, which stripping drops)."""
    data = photo(320, 240, seed=seed)
    pad = b"".join(
        b"\xff\xef" + (65535).to_bytes(2, "big") + bytes(65533)
        for _ in range(max(0, size - len(data)) // 65537)
    )
    return data[:2] + pad + data[2:]


def _form(client, project_id: int, files: list[tuple[bytes, str]]):
    with client.application.app_context():
        version = db.session.get(Project, project_id).current_version_id
    # Hand-built bytes: the test client would spool a large form to a file it leaves open.
    boundary = "trove-test-boundary"
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="consent"\r\n\r\n{version}'
    parts = [body.encode()]
    for data, name in files:
        parts.append(
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="photos"; '
            f'filename="{name}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            + data
        )
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return client.post(
        f"/projects/{project_id}/submissions",
        data=b"".join(parts),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def test_the_form_without_javascript_takes_many_photos(make_app, contributor):
    app = make_app()
    with app.app_context():
        from tests.factories import make_project

        project_id = make_project(target_count=50, per_contributor_limit=25).id
    client = app.test_client()
    login(client, contributor)
    photos = [(_padded_jpeg(300 + i, 3 * 1024 * 1024), f"IMG_{i:04}.jpg") for i in range(14)]
    response = _form(client, project_id, photos)
    assert response.status_code == 303 and response.headers["Location"] == "/me/photos"
    assert len(_submissions(app)) == 14
    assert b"14 photos received" in client.get("/me/photos").data
    with app.app_context():
        assert list(get_storage().quarantine.iterdir()) == []  # no part left behind
    brief = client.get(f"/projects/{project_id}").data
    assert b"up to 25 MB each" in brief and b"20 at a time" in brief


def test_one_photo_over_the_limit_does_not_sink_the_others(make_app, contributor, project_id):
    app = make_app(MAX_UPLOAD_MB=1)
    client = app.test_client()
    login(client, contributor)
    files = [
        (photo(seed=61), "first.jpg"),
        (_padded_jpeg(62, 2 * 1024 * 1024), "huge.jpg"),
        (photo(seed=63), "third.jpg"),
    ]
    response = _form(client, project_id, files)
    assert response.status_code == 303
    assert [s.original_filename for s in _submissions(app)] == ["first.jpg", "third.jpg"]
    page = client.get("/me/photos").data
    assert b"2 photos received" in page
    assert b"huge.jpg: The file is larger than the 1 MB limit." in page
    with app.app_context():
        assert list(get_storage().quarantine.iterdir()) == []


def test_one_upload_runs_few_statements_and_counts_once(make_app, contributor, project_id):
    """A raw upload: user, project, team, one quota read, duplicate check, the two counting
    UPDATEs, brief version, the INSERT (in a savepoint) and its job; the photos left come
    from the counting UPDATEs, not from counting again."""
    from tests.statements import statements_of_this_thread

    app = make_app(TASKS_MODE="thread")  # the media job runs in another thread, not counted
    client = app.test_client()
    login(client, contributor)
    # The second upload is the one counted (the first makes the contributor's counter row).
    assert _send_raw(client, project_id, photo(seed=31)).status_code == 201
    with app.app_context():
        engine = db.engine
    with statements_of_this_thread(engine) as seen:
        response = _send_raw(client, project_id, photo(seed=32))
    assert response.status_code == 201, response.data
    assert response.headers["X-Trove-Remaining"] == "1"  # 3 each; this was the second
    seen = seen[seen.index(next(s for s in seen if s.startswith("SELECT users"))) :]
    quota_reads = [s for s in seen if "photo_count" in s and s.startswith("SELECT")]
    assert len(quota_reads) == 1, seen
    assert len(seen) <= 12, "\n".join(seen)


@pytest.mark.parametrize(
    ("announced", "status", "message"),
    [
        (None, 201, b"submission-"),
        (2 * 1024 * 1024, 413, b"1 MB"),  # announced over the photo limit: refused unread
        (+100, 400, b"cut off"),  # the body ends before its Content-Length
    ],
)
def test_raw_body_read_straight_from_a_server_that_ends_it(
    make_app, contributor, project_id, announced, status, message
):
    """Under gunicorn (``wsgi.input_terminated``) the body is read without LimitedStream;
    the limit, the announced length and the 413 still hold."""
    app = make_app(MAX_UPLOAD_MB=1)
    client = app.test_client()
    login(client, contributor)
    data = photo(seed=33)
    with app.app_context():
        version = db.session.get(Project, project_id).current_version_id
    environ = {"wsgi.input_terminated": True}
    if announced is not None:
        environ["CONTENT_LENGTH"] = str(announced if announced > 1000 else len(data) + announced)
    response = client.post(
        f"/projects/{project_id}/submissions?consent={version}",
        data=data,
        headers={"Content-Type": "application/octet-stream", **HX},
        environ_overrides=environ,
    )
    assert response.status_code == status and message in response.data, response.data[:300]
    with app.app_context():
        assert list(get_storage().list_quarantine()) == []
