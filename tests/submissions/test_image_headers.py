"""Image responses: revalidated on every use (so withdrawal reaches browser caches), and
named without the stored file's hash."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.factories import add_team_member, make_project, make_submission, make_user
from trove.consent.service import request_withdrawal
from trove.extensions import db
from trove.submissions.models import Submission

EMAIL = "sam@example.org"
REVIEWER = "rita@lab.example.org"


def _photo(app) -> tuple[int, str]:
    """Return the id and storage key of a processed photo of ``EMAIL``'s."""
    with app.app_context():
        project = make_project()
        add_team_member(project, "reviewer").email = REVIEWER
        submission = make_submission(project, make_user(email=EMAIL))
        return submission.id, submission.storage_key


@pytest.fixture
def photo_of(app) -> tuple[int, str]:
    return _photo(app)


def _digest(storage_key: str) -> str:
    return storage_key.split(".")[0]


@pytest.mark.parametrize("offload", ["", "nginx"])
def test_thumbnail_is_revalidated_and_named_by_id(make_app, offload):
    app = make_app(IMAGE_OFFLOAD=offload)
    sub_id, key = _photo(app)
    client = app.test_client()
    login(client, EMAIL)
    with client.get(f"/submissions/{sub_id}/image/320") as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-cache"
        disposition = response.headers["Content-Disposition"]
    assert disposition == f'inline; filename="photo-{sub_id}-320.jpg"'
    assert _digest(key) not in disposition


def test_a_cached_thumbnail_revalidates_cheaply_until_it_is_withdrawn(app, client, photo_of):
    sub_id, _key = photo_of
    login(client, REVIEWER)
    with client.get(f"/submissions/{sub_id}/image/320") as first:
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    url = f"/submissions/{sub_id}/image/320"
    with client.get(url, headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304 and again.data == b""
    with client.get(url, headers={"If-Modified-Since": modified}) as since:
        assert since.status_code == 304
    with app.app_context():
        submission = db.session.get(Submission, sub_id)
        request_withdrawal([submission], submission.contributor)
        db.session.commit()
    # The browser asks before reusing its copy: the team no longer sees the photo.
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 404


def test_original_downloads_as_photo_id_not_its_hash(client, photo_of):
    sub_id, key = photo_of
    login(client, EMAIL)
    with client.get(f"/submissions/{sub_id}/original") as response:
        assert response.status_code == 200
        disposition = response.headers["Content-Disposition"]
        assert response.headers["Cache-Control"] == "private, no-cache"
    assert disposition == f'attachment; filename="photo-{sub_id}.jpg"'
    assert _digest(key) not in disposition
