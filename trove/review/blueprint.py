"""The review blueprint, shared by the queue's views and the owner's quality pages."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.interfaces import ORMOption

from trove.projects.models import Capability, Project
from trove.projects.service import can
from trove.submissions.access import load_submission
from trove.submissions.models import Submission

bp = Blueprint("review", __name__)

#: The event every decision triggers, so the queue's counters refresh themselves.
REVIEWED = "submission-reviewed"


def decision_loads() -> list[ORMOption]:
    """Return what a decision and the card after it read, loaded with the photo itself."""
    return [
        joinedload(Submission.project).selectinload(Project.members),
        joinedload(Submission.brief_version),
        joinedload(Submission.contributor),
        joinedload(Submission.appeal),  # type: ignore[attr-defined]
        joinedload(Submission.final_check),  # type: ignore[attr-defined]
        joinedload(Submission.gold),  # type: ignore[attr-defined]
    ]


def reviewable(submission_id: int) -> Submission:
    """Load a photo the current user reviews: 404 if invisible, 403 if not a reviewer."""
    submission = load_submission(submission_id, decision_loads())
    if not can(current_user, submission.project, Capability.REVIEW):
        abort(403)
    return submission
