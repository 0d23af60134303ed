"""The small (phone) thumbnail: made by the media job, offered in a srcset, backfilled."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from tests.conftest import login
from tests.factories import (
    add_team_member,
    make_processed_submission,
    make_project,
    make_submission,
    make_user,
    purge_now,
)
from trove.consent.service import request_withdrawal
from trove.extensions import db
from trove.files import get_storage
from trove.submissions.thumbs import CARD, SMALL, backfill_small_thumbs

SRCSET = re.compile(r'srcset="([^"]*)" sizes="([^"]*)"')


def _derived(submission, size: int) -> bytes | None:
    storage = get_storage()
    try:
        with storage.open_object(storage.derived_object(submission.storage_key, size)) as f:
            return f.read()
    except FileNotFoundError:
        return None


def _as_before_the_small_size(submission) -> None:
    """Make ``submission`` look processed before the small thumbnail existed."""
    storage = get_storage()
    storage.delete_object(storage.derived_object(submission.storage_key, SMALL))
    submission.has_small_thumb = False
    db.session.commit()


def test_media_job_stores_a_small_thumbnail(app_ctx):
    submission = make_submission(make_project())  # the real upload path and job
    assert submission.has_small_thumb
    small = Image.open(io.BytesIO(_derived(submission, SMALL)))
    assert small.format == "JPEG" and small.size == (192, 144)  # 320 × 240 sent
    assert Image.open(io.BytesIO(_derived(submission, CARD))).size == (320, 240)


def test_small_thumbnail_is_purged_with_the_photo(app_ctx):
    project = make_project(withdrawal_grace_days=0)
    submission = make_submission(project)
    assert _derived(submission, SMALL) is not None
    request_withdrawal([submission], submission.contributor)
    db.session.commit()
    key = purge_now(submission)
    storage = get_storage()
    assert storage.object_info(storage.derived_object(key, SMALL)) is None
    assert storage.object_info(storage.derived_object(key, CARD)) is None


def test_backfill_makes_what_is_missing_once_and_can_stop_anywhere(app_ctx):
    project = make_project()
    photos = [make_processed_submission(project) for _ in range(3)]
    for submission in photos:
        _as_before_the_small_size(submission)
    # Stopped after writing a file but before its row said so: the file is simply rewritten.
    storage = get_storage()
    storage.put_derived(photos[0].storage_key, SMALL, b"half-done")
    step = backfill_small_thumbs(0, limit=2)
    assert (step.last_id, step.made, step.skipped) == (photos[1].id, 2, 0)
    step = backfill_small_thumbs(step.last_id, limit=2)
    assert (step.last_id, step.made) == (photos[2].id, 1)
    assert backfill_small_thumbs(step.last_id).last_id is None
    made = {s.id: _derived(s, SMALL) for s in photos}
    for submission in photos:
        db.session.refresh(submission)
        assert submission.has_small_thumb
        assert Image.open(io.BytesIO(made[submission.id])).size == (192, 144)
    # Again from the start: nothing left to do, nothing rewritten.
    assert backfill_small_thumbs(0) == type(step)(None, 0, 0)
    assert {s.id: _derived(s, SMALL) for s in photos} == made


def test_backfill_skips_a_photo_whose_thumbnail_is_gone(app_ctx):
    submission = make_processed_submission(make_project())
    _as_before_the_small_size(submission)
    get_storage().delete_object(get_storage().derived_object(submission.storage_key, CARD))
    step = backfill_small_thumbs(0)
    assert (step.made, step.skipped) == (0, 1)
    db.session.refresh(submission)
    assert not submission.has_small_thumb and _derived(submission, SMALL) is None


def test_backfill_command_reports_and_resumes(app, runner):
    with app.app_context():
        photos = [make_processed_submission(make_project()) for _ in range(2)]
        for submission in photos:
            _as_before_the_small_size(submission)
    result = runner.invoke(args=["trove", "backfill-thumbnails", "--batch", "1"])
    assert result.exit_code == 0, result.output
    assert "Done: 2 small thumbnail(s) made, 0 photo(s)" in result.output
    result = runner.invoke(args=["trove", "backfill-thumbnails"])
    assert "Done: 0 small thumbnail(s) made" in result.output


def _srcset(html: str) -> tuple[list[str], str]:
    found = SRCSET.search(html)
    assert found, html
    return [part.strip() for part in found.group(1).split(",")], found.group(2)


def test_cards_offer_the_small_size_through_the_checked_route(app, client):
    with app.app_context():
        project = make_project()
        submission = make_processed_submission(project)
        pid, sid, email = project.id, submission.id, submission.contributor.email
        reviewer = add_team_member(project, "reviewer").email
        outsider = make_user(email="other-lab@example.org").email
        other_project = make_project()
        other_lab = add_team_member(other_project, "owner").email
    login(client, email)
    sources, sizes = _srcset(client.get("/me/photos").get_data(as_text=True))
    assert sources == [
        f"/submissions/{sid}/image/{SMALL} {SMALL}w",
        f"/submissions/{sid}/image/{CARD} {CARD}w",
    ]
    assert sizes == "(max-width: 359px) 64px, 96px"
    with client.get(f"/submissions/{sid}/image/{SMALL}") as response:
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert Image.open(io.BytesIO(response.data)).size == (192, 144)
    reviewing = app.test_client()
    login(reviewing, reviewer)
    html = reviewing.get(f"/projects/{pid}/review").get_data(as_text=True)
    # A review card draws blur boxes over the whole picture: it never offers the crop.
    assert _srcset(html)[0] == [f"/submissions/{sid}/image/{CARD} {CARD}w"]
    with reviewing.get(f"/submissions/{sid}/image/{SMALL}") as response:
        assert response.status_code == 200
    for stranger in (outsider, other_lab):
        other = app.test_client()
        login(other, stranger)
        for size in (SMALL, CARD):
            assert other.get(f"/submissions/{sid}/image/{size}").status_code == 404
    assert app.test_client().get(f"/submissions/{sid}/image/{SMALL}").status_code == 404


def test_withdrawn_photo_small_size_is_hidden_from_the_team(app, client):
    with app.app_context():
        project = make_project()
        submission = make_processed_submission(project)
        sid, email = submission.id, submission.contributor.email
        reviewer = add_team_member(project, "reviewer").email
        request_withdrawal([submission], submission.contributor)
        db.session.commit()
    login(client, reviewer)
    assert client.get(f"/submissions/{sid}/image/{SMALL}").status_code == 404
    mine = app.test_client()
    login(mine, email)
    with mine.get(f"/submissions/{sid}/image/{SMALL}") as response:
        assert response.status_code == 200


@pytest.mark.parametrize("backfilled", [False, True])
def test_a_photo_without_the_small_size_offers_the_usual_one(app, client, backfilled):
    with app.app_context():
        submission = make_processed_submission(make_project())
        sid, email = submission.id, submission.contributor.email
        _as_before_the_small_size(submission)
        if backfilled:
            backfill_small_thumbs()
    login(client, email)
    sources, _sizes = _srcset(client.get("/me/photos").get_data(as_text=True))
    if backfilled:
        assert sources[0] == f"/submissions/{sid}/image/{SMALL} {SMALL}w"
    else:
        assert sources == [f"/submissions/{sid}/image/{CARD} {CARD}w"]
        assert client.get(f"/submissions/{sid}/image/{SMALL}").status_code == 404


def test_backfill_and_purge_on_each_storage(make_app, storage_settings):
    app = make_app(**storage_settings)
    with app.app_context():
        submission = make_submission(make_project(withdrawal_grace_days=0))
        made_by_job = _derived(submission, SMALL)
        _as_before_the_small_size(submission)
        assert backfill_small_thumbs().made == 1
        assert _derived(submission, SMALL) == made_by_job  # the same cut of the same file
        request_withdrawal([submission], submission.contributor)
        db.session.commit()
        key = purge_now(submission)
        storage = get_storage()
        assert storage.object_info(storage.derived_object(key, SMALL)) is None
