"""Bystander blur in the media job and at decision time, for each people policy of a brief."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.faces import detail, face_photo, face_region
from tests.factories import add_team_member, make_project, make_user, purge_now
from trove.blur import boxes_from_json
from trove.consent.service import request_withdrawal
from trove.errors import DomainError
from trove.extensions import db
from trove.files import get_storage
from trove.media import sha256_hex
from trove.media.thumbnails import cover_crop
from trove.review.service import approve_submission, reject_submission, set_blur_boxes
from trove.submissions.jobs import sweep_quarantine
from trove.submissions.models import Submission, SubmissionStatus
from trove.submissions.service import receive_upload
from trove.submissions.thumbs import CARD, SMALL, SMALL_BOX, THUMB_SIZES, backfill_small_thumbs

SIZE = (1600, 1200)


def _upload(project, data: bytes) -> Submission:
    contributor = make_user(commit=False)
    submission = receive_upload(
        project, contributor, io.BytesIO(data), "face.jpg", project.current_version_id
    )
    db.session.commit()  # sync tasks: the media job runs at this commit
    db.session.refresh(submission)
    return submission


def _original(submission: Submission) -> bytes:
    with get_storage().open_original(submission.storage_key) as f:
        data = f.read()
    # The stored file is named by, and recorded with, the hash of what it holds.
    assert submission.storage_key == f"{sha256_hex(data)}.{submission.stored_format}"
    assert submission.sha256 == sha256_hex(data)
    return data


def _thumb(submission: Submission, size: int) -> bytes:
    storage = get_storage()
    with storage.open_object(storage.derived_object(submission.storage_key, size)) as f:
        return f.read()


def _sharpness(data: bytes, box, *, like: bytes = b"") -> float:
    return detail(face_region(data, box, SIZE, like=like))


def _assert_small_cut_is_blurred(submission: Submission, data: bytes, box) -> None:
    """The small cut is the blurred 320 px thumbnail's centre, with the face's detail gone.

    At 192 px the face is 13 × 18 px: downscaling alone evens out most detail of the
    unblurred face too, so less of it is left to remove (2.7× less here, 3.3× at 320 px).
    """
    small = _thumb(submission, SMALL)
    assert small == cover_crop(_thumb(submission, CARD), SMALL_BOX)
    assert _sharpness(small, box) < _sharpness(data, box, like=small) / 2.5


@pytest.fixture
def photo():
    return face_photo(*SIZE)


def test_blur_policy_blurs_every_file_the_team_can_reach(app_ctx, photo):
    data, box = photo
    project = make_project(people_policy="blur")
    submission = _upload(project, data)
    assert submission.status is SubmissionStatus.PENDING_REVIEW
    assert submission.faces_found == 1 and submission.blur_regions == 1
    for stored in (_original(submission), *(_thumb(submission, n) for n in THUMB_SIZES)):
        assert _sharpness(stored, box) < _sharpness(data, box, like=stored) / 3
    _assert_small_cut_is_blurred(submission, data, box)
    # Outside the face the stored photo is the same picture.
    picture = Image.open(io.BytesIO(_original(submission))).convert("RGB")
    assert picture.size == SIZE
    assert picture.getpixel((20, 20)) == pytest.approx((96, 120, 88), abs=3)
    # The unblurred, stripped copy waits in quarantine (never served) until the decision.
    assert get_storage().quarantine_exists(submission.unblurred_name)
    assert submission.quarantine_name is None


def test_backfilled_small_thumbnail_is_blurred_too(app_ctx, photo):
    data, box = photo
    project = make_project(people_policy="blur")
    submission = _upload(project, data)
    storage = get_storage()  # as if processed before the small size existed
    storage.delete_object(storage.derived_object(submission.storage_key, SMALL))
    submission.has_small_thumb = False
    db.session.commit()
    assert backfill_small_thumbs().made == 1
    db.session.refresh(submission)
    assert submission.has_small_thumb
    _assert_small_cut_is_blurred(submission, data, box)


def test_unblurred_copy_is_deleted_once_the_photo_is_approved(app_ctx, photo):
    project = make_project(people_policy="blur")
    submission = _upload(project, photo[0])
    name = submission.unblurred_name
    sweep_quarantine()  # a pending photo's copy is not an orphan
    assert get_storage().quarantine_exists(name)
    approve_submission(submission, add_team_member(project, "reviewer", commit=False))
    db.session.commit()
    db.session.refresh(submission)
    assert submission.unblurred_name is None
    assert not get_storage().quarantine_exists(name)
    assert list(get_storage().list_quarantine()) == []


def test_unblurred_copy_is_deleted_once_the_photo_is_declined(app_ctx, photo):
    project = make_project(people_policy="blur")
    submission = _upload(project, photo[0])
    name = submission.unblurred_name
    reject_submission(submission, add_team_member(project, "reviewer", commit=False), "blurry")
    db.session.commit()
    assert not get_storage().quarantine_exists(name)


def test_withdrawal_deletes_the_unblurred_copy_at_once(app_ctx, photo):
    project = make_project(people_policy="blur")
    submission = _upload(project, photo[0])
    name = submission.unblurred_name
    request_withdrawal([submission], submission.contributor)
    db.session.commit()
    db.session.refresh(submission)
    assert submission.unblurred_name is None
    assert not get_storage().quarantine_exists(name)


def test_purge_deletes_an_unblurred_copy_left_behind(app_ctx, photo):
    project = make_project(people_policy="blur", withdrawal_grace_days=0)
    submission = _upload(project, photo[0])
    name = submission.unblurred_name
    db.session.info.pop("trove_pending_jobs", None)
    request_withdrawal([submission], submission.contributor)
    db.session.info.pop("trove_pending_jobs", None)  # as if the settling job never ran
    db.session.commit()
    purge_now(submission)
    assert not get_storage().quarantine_exists(name)


def test_subject_policy_looks_for_no_faces_and_keeps_the_photo_as_sent(app_ctx, photo):
    data, box = photo
    project = make_project(people_policy="subject")
    submission = _upload(project, data)
    assert submission.blur_boxes is None and submission.blur_applied is None
    assert submission.unblurred_name is None
    assert _sharpness(_original(submission), box) == pytest.approx(_sharpness(data, box), rel=0.05)


def test_brief_without_a_people_policy_looks_for_no_faces(app_ctx, photo):
    project = make_project()
    assert project.people_policy is None
    submission = _upload(project, photo[0])
    assert submission.blur_applied is None and not submission.flagged_for_faces


def test_not_allowed_policy_blurs_and_flags_the_photo_for_decline(app_ctx, photo):
    data, box = photo
    project = make_project(people_policy="not_allowed")
    submission = _upload(project, data)
    assert submission.flagged_for_faces
    assert _sharpness(_original(submission), box) < _sharpness(data, box) / 4


def test_not_allowed_policy_does_not_flag_a_photo_without_faces(app_ctx):
    project = make_project(people_policy="not_allowed")
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (40, 90, 160)).save(buffer, "JPEG")
    submission = _upload(project, buffer.getvalue())
    assert submission.blur_applied == [] and not submission.flagged_for_faces
    assert submission.unblurred_name is None  # nothing blurred: the stored file is the photo


def test_a_removed_box_restores_the_area_on_approval(app_ctx, photo):
    data, box = photo
    project = make_project(people_policy="blur")
    submission = _upload(project, data)
    reviewer = add_team_member(project, "reviewer", commit=False)
    blurred_key = submission.storage_key
    set_blur_boxes(submission, reviewer, [])
    db.session.commit()
    assert submission.blur_changes_pending
    approve_submission(submission, reviewer)
    db.session.commit()
    db.session.refresh(submission)
    assert submission.blur_applied == [] and submission.unblurred_name is None
    assert _sharpness(_original(submission), box) == pytest.approx(_sharpness(data, box), rel=0.05)
    assert not get_storage().exists(blurred_key)


def test_an_added_box_is_blurred_on_approval(app_ctx):
    project = make_project(people_policy="blur")
    buffer = io.BytesIO()
    noisy = Image.effect_noise((800, 600), 60).convert("RGB")
    noisy.save(buffer, "JPEG", quality=95)
    submission = _upload(project, buffer.getvalue())
    assert submission.blur_applied == []
    unblurred_key = submission.storage_key
    reviewer = add_team_member(project, "reviewer", commit=False)
    added = boxes_from_json([{"x": 0.25, "y": 0.25, "w": 0.5, "h": 0.5, "source": "reviewer"}])
    set_blur_boxes(submission, reviewer, added)
    approve_submission(submission, reviewer)
    db.session.commit()
    db.session.refresh(submission)
    assert submission.blur_regions == 1
    area = (200, 150, 600, 450)
    before = detail(noisy.crop(area))
    after = detail(Image.open(io.BytesIO(_original(submission))).convert("RGB").crop(area))
    assert after < before / 4
    assert not get_storage().exists(unblurred_key)  # the unblurred stored file is gone too
    # The small cut of the new file is made too, and the old one went with its original.
    assert submission.has_small_thumb
    assert _thumb(submission, SMALL) == cover_crop(_thumb(submission, CARD), SMALL_BOX)
    storage = get_storage()
    assert storage.object_info(storage.derived_object(unblurred_key, SMALL)) is None


def test_boxes_cannot_change_after_the_decision(app_ctx, photo):
    project = make_project(people_policy="blur")
    submission = _upload(project, photo[0])
    reviewer = add_team_member(project, "reviewer", commit=False)
    approve_submission(submission, reviewer)
    db.session.commit()
    with pytest.raises(DomainError):
        set_blur_boxes(submission, reviewer, [])
