"""Deletion lists: withdrawn photos in published versions, who must delete them, confirmations.

Functions flush but never commit; the view or job that calls one commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from trove.accounts.models import User
from trove.audit.service import record_event
from trove.errors import DomainError
from trove.exports.models import (
    DatasetDownload,
    DatasetItem,
    DatasetVersion,
    DeletionConfirmation,
)
from trove.extensions import db
from trove.i18n import in_locale_of
from trove.notifications.service import notify
from trove.projects.models import Capability, Project
from trove.projects.service import can
from trove.security import local_url
from trove.submissions.models import Submission, SubmissionStatus
from trove.timeutil import iso_utc, utcnow


def tell_downloaders(
    project: Project, versions: list[DatasetVersion], submission_ids: Iterable[int]
) -> None:
    """Ask every team member who downloaded one of ``versions`` to delete withdrawn photos.

    Each person is told how many of the withdrawn photos are in the versions *they*
    downloaded (a version holds only some of a contributor's photos).
    """
    if not versions:
        return
    ids = list(submission_ids)
    rows = db.session.execute(
        select(DatasetDownload.user_id, DatasetItem.version_id, DatasetItem.submission_id)
        .join(DatasetItem, DatasetItem.version_id == DatasetDownload.version_id)
        .where(
            DatasetDownload.version_id.in_([v.id for v in versions]),
            DatasetItem.submission_id.in_(ids),
        )
    ).all()
    numbers_by_id = {v.id: v.number for v in versions}
    held: dict[int, tuple[set[int], set[int]]] = {}
    for user_id, version_id, submission_id in rows:
        numbers, photos = held.setdefault(user_id, (set(), set()))
        numbers.add(numbers_by_id[version_id])
        photos.add(submission_id)
    for person in db.session.scalars(select(User).where(User.id.in_(held)).order_by(User.id)):
        numbers, photos = held[person.id]
        count = len(photos)
        listed = sorted(numbers)
        with in_locale_of(person):
            notify(
                person,
                "deletion",
                _withdrawn_text(count, listed, project.title),
                local_url("exports.project_datasets", project_id=project.id),
                email_subject=_(
                    "Photos withdrawn from %(project)s: please delete your copies",
                    project=project.title,
                ),
            )


def _withdrawn_text(count: int, numbers: list[int], title: str) -> str:
    """Say which photos of which versions were withdrawn, in the current language."""
    versions = ", ".join(str(n) for n in numbers)
    if len(numbers) == 1:
        return ngettext(
            "%(num)d photo in version %(versions)s of “%(project)s” was withdrawn. "
            "Delete it from your copies (see the deletion list) and confirm.",
            "%(num)d photos in version %(versions)s of “%(project)s” were withdrawn. "
            "Delete them from your copies (see the deletion list) and confirm.",
            count,
            versions=versions,
            project=title,
        )
    return ngettext(
        "%(num)d photo in versions %(versions)s of “%(project)s” was withdrawn. "
        "Delete it from your copies (see the deletion list) and confirm.",
        "%(num)d photos in versions %(versions)s of “%(project)s” were withdrawn. "
        "Delete them from your copies (see the deletion list) and confirm.",
        count,
        versions=versions,
        project=title,
    )


@dataclass
class WithdrawnPhoto:
    """One entry of a project's deletion list."""

    sha256: str
    pseudonym: str
    withdrawn_at: datetime
    versions: list[int]
    paths: list[str]


def deletion_entries(project: Project) -> list[WithdrawnPhoto]:
    """Return every withdrawn photo that was in one of the project's versions."""
    rows = db.session.execute(
        select(
            DatasetItem.sha256,
            DatasetItem.pseudonym,
            DatasetItem.path,
            DatasetVersion.number,
            Submission.withdrawn_at,
            Submission.id,
        )
        .join(DatasetVersion, DatasetVersion.id == DatasetItem.version_id)
        .join(Submission, Submission.id == DatasetItem.submission_id)
        .where(
            DatasetVersion.project_id == project.id,
            Submission.status == SubmissionStatus.WITHDRAWN,
        )
        .order_by(Submission.withdrawn_at, Submission.id, DatasetVersion.number)
    )
    entries: dict[int, WithdrawnPhoto] = {}
    for sha, pseudonym, path, number, withdrawn_at, submission_id in rows:
        entry = entries.get(submission_id)
        if entry is None:
            entry = entries[submission_id] = WithdrawnPhoto(
                sha, pseudonym, withdrawn_at or utcnow(), [], []
            )
        if number not in entry.versions:
            entry.versions.append(number)
        if path not in entry.paths:
            entry.paths.append(path)
    return list(entries.values())


def deletion_list(project: Project) -> dict[str, Any]:
    """Return the project's machine-readable deletion list."""
    return {
        "project": project.id,
        "title": project.title,
        "generated_at": iso_utc(utcnow()),
        "instructions": "Delete every file listed here from every copy of these dataset "
        "versions, and from anything derived from them that can be rebuilt without them.",
        "photos": [
            {
                "sha256": e.sha256,
                "contributor": e.pseudonym,
                "withdrawn_at": iso_utc(e.withdrawn_at),
                "versions": e.versions,
                "paths": e.paths,
            }
            for e in deletion_entries(project)
        ],
    }


@dataclass
class Outstanding:
    """A team member who downloaded a version that later lost photos, and has not confirmed."""

    user: User
    photos: int
    since: datetime


def outstanding_deletions(project: Project) -> list[Outstanding]:
    """Return who must still confirm deleting withdrawn photos from their downloads."""
    confirmed = dict(
        db.session.execute(
            select(DeletionConfirmation.user_id, func.max(DeletionConfirmation.covers_until))
            .where(DeletionConfirmation.project_id == project.id)
            .group_by(DeletionConfirmation.user_id)
        ).all()
    )
    rows = db.session.execute(
        select(DatasetDownload.user_id, Submission.id, Submission.withdrawn_at)
        .join(DatasetItem, DatasetItem.version_id == DatasetDownload.version_id)
        .join(Submission, Submission.id == DatasetItem.submission_id)
        .join(DatasetVersion, DatasetVersion.id == DatasetDownload.version_id)
        .where(
            DatasetVersion.project_id == project.id,
            Submission.status == SubmissionStatus.WITHDRAWN,
        )
    )
    owed: dict[int, dict[int, datetime]] = {}
    for user_id, submission_id, withdrawn_at in rows:
        moment = withdrawn_at or utcnow()
        covered = confirmed.get(user_id)
        if covered is not None and moment <= covered:
            continue
        owed.setdefault(user_id, {})[submission_id] = moment
    result = []
    for user_id, photos in owed.items():
        user = db.session.get(User, user_id)
        if user is not None:
            result.append(Outstanding(user, len(photos), min(photos.values())))
    return sorted(result, key=lambda o: o.since)


def confirm_deletion(project: Project, user: User) -> DeletionConfirmation:
    """Record that ``user`` deleted every photo withdrawn so far from their copies."""
    if not can(user, project, Capability.VIEW):
        raise DomainError(_("Only the project team confirms deletions."), status=403)
    confirmation = DeletionConfirmation(
        project_id=project.id, user_id=user.id, covers_until=utcnow()
    )
    db.session.add(confirmation)
    db.session.flush()
    record_event(user, "dataset.deletion_confirmed", project, project_id=project.id)
    return confirmation
