"""Withdrawal, purging, retention, my data and account deletion."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.exports.conftest import build_lab, cut
from tests.factories import make_submission, make_user
from trove.accounts import service as accounts
from trove.audit.models import AuditEvent
from trove.consent import service as consent
from trove.consent.mydata import write_my_data
from trove.errors import DomainError
from trove.extensions import db
from trove.files import get_storage
from trove.payouts.models import EarningStatus
from trove.projects.service import close_project
from trove.review.service import approve_submission
from trove.submissions.models import SubmissionStatus
from trove.timeutil import utcnow

pytestmark = pytest.mark.usefixtures("app_ctx")


def _files(submission) -> list:
    storage = get_storage()
    key = submission.storage_key
    return [storage.original_path(key), *(storage.derived_path(key, s) for s in (320, 1280))]


def test_withdrawal_takes_effect_at_once_and_keeps_the_earning_payable():
    lab = build_lab((2,))
    person = lab.contributors[0]
    pending = make_submission(lab.project, person)
    approved = lab.photos[0]
    assert consent.request_withdrawal([approved, pending], person) == 2
    db.session.commit()
    for photo in (approved, pending):
        db.session.refresh(photo)
        assert photo.status is SubmissionStatus.WITHDRAWN
        assert photo.purge_after - photo.withdrawn_at == timedelta(days=30)
    assert approved.earning.status is EarningStatus.UNPAID and approved.earning.status.payable
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "submission.withdrawn")
    ).all()
    assert len(actions) == 2
    with pytest.raises(DomainError):  # withdrawn photos cannot be approved again
        approve_submission(pending, lab.reviewer)


def test_nobody_else_can_withdraw_a_photo_and_team_roles_cannot_block_it():
    lab = build_lab((1,))
    with pytest.raises(DomainError) as refused:
        consent.request_withdrawal(lab.photos, lab.owner)
    assert refused.value.status == 403
    consent.request_withdrawal(lab.photos, lab.contributors[0])  # the owner has no say


def test_withdraw_all_of_a_project_leaves_other_projects_alone():
    lab = build_lab((3,))
    person = lab.contributors[0]
    other = build_lab((0,), title="Bus stops")
    elsewhere = make_submission(other.project, person)
    photos = consent.withdrawable(person, project_id=lab.project.id)
    assert len(photos) == 3
    consent.request_withdrawal(photos, person)
    db.session.commit()
    assert consent.withdrawable(person, project_id=lab.project.id) == []
    db.session.refresh(elsewhere)
    assert elsewhere.status is SubmissionStatus.PENDING_REVIEW


def test_purge_removes_files_and_thumbnails_after_the_grace_period_only():
    lab = build_lab((2,))
    gone, kept = lab.photos
    paths = _files(gone)
    assert all(p.exists() for p in paths)
    consent.request_withdrawal([gone], lab.contributors[0])
    db.session.commit()
    assert consent.purge_due() == 0  # still in its grace period
    assert all(p.exists() for p in paths)
    gone.purge_after = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert consent.purge_due() == 1
    db.session.refresh(gone)
    assert gone.purged_at is not None and gone.storage_key is None and gone.sha256
    assert not any(p.exists() for p in paths)
    assert all(p.exists() for p in _files(kept))
    assert consent.purge_due() == 0  # idempotent


def test_a_file_shared_with_a_kept_photo_survives_the_purge():
    lab = build_lab((1,))
    other = build_lab((0,), title="Second project")
    twin = make_submission(other.project)
    gone = lab.photos[0]
    twin.storage_key = gone.storage_key  # same stored content in another project
    db.session.commit()
    consent.request_withdrawal([gone], lab.contributors[0])
    gone.purge_after = utcnow() - timedelta(seconds=1)
    db.session.commit()
    consent.purge_due()
    assert get_storage().exists(twin.storage_key)


def test_retention_warns_the_team_then_purges_every_file_and_archive():
    lab = build_lab((2,))
    version = cut(lab)
    close_project(lab.project, lab.owner, "Done")
    lab.project.retention_days = 10
    lab.project.closed_at = utcnow() - timedelta(days=5)
    db.session.commit()
    assert consent.apply_retention() == 0
    assert lab.project.retention_notice_at is not None
    texts = [n.text for n in db.session.scalars(select_notifications(lab.owner))]
    assert any("retention period" in t for t in texts)
    lab.project.closed_at = utcnow() - timedelta(days=11)
    db.session.commit()
    assert consent.apply_retention() == 1
    consent.purge_due()
    db.session.refresh(version)
    assert version.archive_removed_at is not None
    for photo in lab.photos:
        db.session.refresh(photo)
        assert photo.purged_at is not None
    assert not list(get_storage().originals.rglob("*.jpeg"))
    events = db.session.scalars(select(AuditEvent.action)).all()
    assert "project.retention_ended" in events and events.count("submission.purged") == 2


def select_notifications(user):
    from trove.notifications.models import Notification

    return select(Notification).where(Notification.user_id == user.id)


def test_my_data_holds_profile_photos_receipts_earnings_and_withdrawals():
    lab = build_lab((2,))
    person = lab.contributors[0]
    cut(lab)
    consent.request_withdrawal([lab.photos[1]], person)
    db.session.commit()
    out = io.BytesIO()
    write_my_data(person, get_storage(), out)
    zf = zipfile.ZipFile(out)
    profile = json.loads(zf.read("profile.json"))
    assert profile["email"] == person.email
    photos = {p["id"]: p for p in json.loads(zf.read("photos.json"))}
    first, second = (photos[s.id] for s in lab.photos)
    assert first["consent"]["licence_sha256"] == lab.photos[0].licence_hash
    assert first["dataset_versions"][0]["version"] == 1
    assert second["status"] == "withdrawn" and second["withdrawn_at"]
    assert (
        zf.read(first["file"])
        == get_storage().original_path(lab.photos[0].storage_key).read_bytes()
    )
    earnings = json.loads(zf.read("earnings.json"))
    assert len(earnings) == 2 and all(e["status"] == "unpaid" for e in earnings)


def test_account_deletion_needs_the_password_and_consent_to_forfeit_money_owed():
    lab = build_lab((2,))
    person = lab.contributors[0]
    with pytest.raises(DomainError, match="password"):
        consent.delete_account(person, "wrong", withdraw_photos=False, forfeit_earnings=True)
    with pytest.raises(DomainError, match="owed"):
        consent.delete_account(
            person, "correct horse battery", withdraw_photos=False, forfeit_earnings=False
        )
    consent.delete_account(
        person, "correct horse battery", withdraw_photos=False, forfeit_earnings=True
    )
    db.session.commit()
    assert person.deleted_at is not None and not person.active
    assert person.email.endswith("@deleted.invalid") and person.paypal_email is None
    assert accounts.authenticate(person.email, "correct horse battery") is None
    for photo in lab.photos:
        db.session.refresh(photo)
        assert photo.status is SubmissionStatus.APPROVED  # kept under the pseudonym
        assert photo.earning.status is EarningStatus.FORFEITED
        assert photo.original_filename == "photo"


def test_account_deletion_can_withdraw_every_photo():
    lab = build_lab((0,))
    person = make_user()
    photo = make_submission(lab.project, person)
    consent.delete_account(
        person, "correct horse battery", withdraw_photos=True, forfeit_earnings=False
    )
    db.session.commit()
    db.session.refresh(photo)
    assert photo.status is SubmissionStatus.WITHDRAWN


def test_account_deletion_waits_for_a_payment_in_flight_and_refuses_team_members():
    lab = build_lab((1,))
    person = lab.contributors[0]
    lab.photos[0].earning.status = EarningStatus.IN_BATCH
    db.session.commit()
    with pytest.raises(DomainError, match="on its way"):
        consent.delete_account(
            person, "correct horse battery", withdraw_photos=False, forfeit_earnings=True
        )
    with pytest.raises(DomainError):
        consent.delete_account(
            lab.steward, "correct horse battery", withdraw_photos=False, forfeit_earnings=True
        )
