"""Fixtures for datasets and consent: a project with a steward and approved photos."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.factories import add_team_member, make_processed_submission, make_project, make_user
from trove.accounts.models import Role, User
from trove.exports import service as exports
from trove.exports.models import DatasetVersion
from trove.extensions import db
from trove.projects.models import Project
from trove.review.service import approve_submission
from trove.submissions.models import Submission


@dataclass
class Lab:
    """A project, its owner, steward and reviewer, and contributors with approved photos."""

    project: Project
    owner: User
    steward: User
    reviewer: User
    contributors: list[User] = field(default_factory=list)
    photos: list[Submission] = field(default_factory=list)


def build_lab(counts: tuple[int, ...] = (3, 2), *, title: str = "Door handles") -> Lab:
    """Create a project whose contributors have ``counts`` approved photos each."""
    owner = make_user(Role.LAB_MEMBER, name="Olive Owner")
    project = make_project(owner, title=title, target_count=500, per_contributor_limit=None)
    lab = Lab(
        project=project,
        owner=owner,
        steward=add_team_member(project, "steward"),
        reviewer=add_team_member(project, "reviewer"),
    )
    for n, count in enumerate(counts):
        person = make_user(name=f"Contributor {n}")
        lab.contributors.append(person)
        for _ in range(count):
            submission = make_processed_submission(project, person)
            approve_submission(submission, lab.reviewer)
            db.session.commit()
            lab.photos.append(submission)
    return lab


def cut(lab: Lab, **fields: object) -> DatasetVersion:
    """Cut a version as the steward (sync jobs build it at commit) and return it fresh."""
    version = exports.cut_version(lab.project, lab.steward, exports.VersionRequest(**fields))
    db.session.commit()
    db.session.refresh(version)
    return version
