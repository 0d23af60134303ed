"""Small factories for test data (call inside an app context)."""

from __future__ import annotations

import functools
import itertools
from typing import Any

from tests.conftest import TEST_PASSWORD
from trove.accounts import service as accounts
from trove.accounts.models import Role, User
from trove.extensions import db

_seq = itertools.count(1)


def make_user(
    role: Role = Role.CONTRIBUTOR,
    *,
    email: str | None = None,
    name: str | None = None,
    password: str = TEST_PASSWORD,
    commit: bool = True,
    **fields: Any,
) -> User:
    """Create a user with ``role``."""
    n = next(_seq)
    user = accounts.create_user(
        email or f"user{n}@example.org", password, name or f"User {n}", role=role
    )
    for key, value in fields.items():
        setattr(user, key, value)
    if commit:
        db.session.commit()
    return user


def make_project(
    owner: User | None = None,
    *,
    status: str = "published",
    commit: bool = True,
    **fields: Any,
) -> Any:
    """Create a project with a complete brief, in ``status`` (draft/submitted/published/...)."""
    from datetime import date, timedelta

    from trove.projects import service as projects
    from trove.projects.models import ProjectStatus

    owner = owner or make_user(Role.LAB_MEMBER, commit=False)
    project = projects.create_project(owner, fields.pop("title", "Shelves in corner shops"))
    brief = {
        "summary": "A model that tells shop staff when a shelf is empty.",
        "beneficiaries": "Small shops and their customers.",
        "must_show": "A full shop shelf, straight on, in daylight.",
        "must_not_show": "People, screens, receipts.",
        "usage": "Training and testing an empty-shelf detector.",
        "access": "The project team only.",
        "retention_days": 365,
        "target_count": 100,
        "pay_minor": 150,
        "currency": "USD",
        "per_contributor_limit": 20,
        "deadline": date.today() + timedelta(days=30),
    }
    brief.update(fields)
    for key, value in brief.items():
        setattr(project, key, value)
    db.session.flush()
    if status != "draft":
        projects.confirm_rules(project, owner)
        projects.submit_project(project, owner)
    if status in ("published", "paused", "closed"):
        admin = make_user(Role.ADMIN, commit=False)
        projects.publish_project(project, admin)
    if status == "paused":
        projects.pause_project(project, owner)
    if status == "closed":
        projects.close_project(project, owner, "Closed by the owner")
    assert project.status is ProjectStatus(status)
    if commit:
        db.session.commit()
    return project


def add_team_member(project: Any, role: str, *, commit: bool = True) -> User:
    """Add a new lab member to ``project`` with team ``role`` and return them."""
    from trove.projects.models import ProjectMember, TeamRole

    user = make_user(Role.LAB_MEMBER, commit=False)
    project.members.append(ProjectMember(user_id=user.id, role=TeamRole(role)))
    db.session.flush()
    if commit:
        db.session.commit()
    return user


_photo_seed = itertools.count(1000)


def make_submission(project: Any, contributor: User | None = None, *, commit: bool = True) -> Any:
    """Upload a fresh photo through the real path (sync jobs make it pending review)."""
    import io

    from tests.images import photo
    from trove.submissions.service import receive_upload

    contributor = contributor or make_user(commit=False)
    submission = receive_upload(
        project,
        contributor,
        io.BytesIO(photo(320, 240, seed=next(_photo_seed))),
        "photo.jpg",
        project.current_version_id,
    )
    if commit:
        db.session.commit()
        db.session.refresh(submission)
    return submission


#: Seeds of the photos ``make_processed_submission`` stores, counted per storage folder (each
#: test has its own), far from the seeds other tests and ``make_submission`` use.
_processed_seeds: dict[str, itertools.count[int]] = {}


def continue_processed_seeds(folder: Any, start: int | None = None) -> int:
    """Restart ``folder``'s photo seeds at ``start`` (default: where they stand); return it.

    A copy of another test's data (``seed_once``) goes on with the photos after its own.
    """
    counter = _processed_seeds.get(str(folder))
    if start is None:
        start = next(counter) if counter is not None else 500_000
    _processed_seeds[str(folder)] = itertools.count(start)
    return start


@functools.cache
def _processed_photo(seed: int) -> tuple[bytes, Any]:
    """Return a 320 × 240 photo and its media-job result (computed once per process)."""
    from tests.images import photo
    from trove.media import process_image
    from trove.submissions.jobs import THUMB_SIZES

    data = photo(320, 240, seed=seed)
    return data, process_image(data, thumb_sizes=THUMB_SIZES)


def make_processed_submission(
    project: Any, contributor: User | None = None, *, commit: bool = True
) -> Any:
    """Create a photo pending review as the media job leaves it, without uploading it.

    The upload checks run and the stored files and row are what the real path gives, but
    the picture is processed once per process, not once per test, and no job row is made.
    Tests of uploads, the media job or jobs use ``make_submission``.
    """
    import hashlib

    from flask import current_app

    from trove.media import detect_format
    from trove.submissions.jobs import store_processed
    from trove.submissions.models import Submission
    from trove.submissions.service import check_can_upload
    from trove.submissions.spots import reserve_spot

    contributor = contributor or make_user(commit=False)
    check_can_upload(project, contributor, project.current_version_id)
    reserve_spot(project, contributor)
    folder = current_app.config["STORAGE_DIR"]
    seeds = _processed_seeds.setdefault(str(folder), itertools.count(500_000))
    data, processed = _processed_photo(next(seeds))
    version = project.current_version
    submission = Submission(
        project_id=project.id,
        contributor_id=contributor.id,
        original_filename="photo.jpg",
        upload_format=detect_format(data),
        upload_size=len(data),
        upload_sha256=hashlib.sha256(data).hexdigest(),
        dedupe_sha256=hashlib.sha256(data).hexdigest(),
        brief_version_id=project.current_version_id,
        licence_hash=version.licence_hash if version else "",
    )
    db.session.add(submission)
    db.session.flush()
    store_processed(submission, processed)
    db.session.flush()
    if commit:
        db.session.commit()
        db.session.refresh(submission)
    return submission


def purge_now(submission: Any) -> str:
    """End a withdrawn ``submission``'s grace period now and run the purge; return its key."""
    from trove.consent.service import purge_due
    from trove.timeutil import utcnow

    submission.purge_after = utcnow()
    db.session.commit()
    key = submission.storage_key
    purge_due()
    return key


def make_contest(project: Any, owner: User, *, commit: bool = True, **fields: Any) -> Any:
    """Start a contest on ``project`` whose window is open now (one day either side)."""
    from datetime import timedelta

    from trove.contests import service as contests
    from trove.timeutil import utcnow

    form = contests.ContestTerms(
        title=fields.pop("title", "Spring draw"),
        prize=fields.pop("prize", "A $500 gift card"),
        rules=fields.pop("rules", "One entry per approved photo."),
        starts_at=fields.pop("starts_at", utcnow() - timedelta(days=1)),
        ends_at=fields.pop("ends_at", utcnow() + timedelta(days=1)),
        **fields,
    )
    contest = contests.create_contest(project, owner, form)
    if commit:
        db.session.commit()
    return contest


def recounted_statuses(project_id: int) -> dict[str, int]:
    """Return the project's photos per status counted row by row (to check its counters)."""
    from sqlalchemy import func, select

    from trove.submissions.models import Submission, SubmissionStatus

    counts = {status.value: 0 for status in SubmissionStatus}
    for status, n in db.session.execute(
        select(Submission.status, func.count())
        .where(Submission.project_id == project_id)
        .group_by(Submission.status)
    ):
        counts[SubmissionStatus(status).value] = n
    return counts
