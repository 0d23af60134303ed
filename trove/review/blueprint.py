"""The review blueprint, shared by the queue's views and the owner's quality pages."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from trove.projects.models import Capability
from trove.projects.service import can
from trove.submissions.access import load_submission
from trove.submissions.models import Submission

bp = Blueprint("review", __name__)

#: The event every decision triggers, so the queue's counters refresh themselves.
REVIEWED = "submission-reviewed"


def reviewable(submission_id: int) -> Submission:
    """Load a photo the current user reviews: 404 if invisible, 403 if not a reviewer."""
    submission = load_submission(submission_id)
    if not can(current_user, submission.project, Capability.REVIEW):
        abort(403)
    return submission
