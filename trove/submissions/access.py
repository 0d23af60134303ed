"""Load a submission for the current user: its contributor, the project team, admins."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from trove.extensions import db
from trove.projects.models import Capability
from trove.projects.service import can
from trove.submissions.models import Submission


def can_view_submission(user: object, submission: Submission) -> bool:
    """Return whether ``user`` may see ``submission`` and its images."""
    if not getattr(user, "is_authenticated", False):
        return False
    if submission.contributor_id == user.id:  # type: ignore[attr-defined]
        return True
    return can(user, submission.project, Capability.VIEW)


def load_submission(submission_id: int) -> Submission:
    """Return the submission if the current user may see it; 404 otherwise."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or not can_view_submission(current_user, submission):
        abort(404)
    return submission
