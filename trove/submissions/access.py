"""Load a submission for the current user: its contributor, the project team, admins.

Who may see a photo's *image* (a thumbnail or the stripped original) is decided here too,
in :func:`can_view_image`: every image view asks it, and templates ask it (the
``can_view_image`` template global) to show a placeholder instead of a broken image.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import abort
from flask_login import current_user
from sqlalchemy.orm.interfaces import ORMOption

from trove.extensions import db
from trove.projects.models import Capability
from trove.projects.service import can
from trove.submissions.models import Submission, SubmissionStatus

#: The image variants a view can serve: a thumbnail size in pixels, or the original.
ORIGINAL = "original"


def can_view_submission(user: object, submission: Submission) -> bool:
    """Return whether ``user`` may see ``submission`` (its card and status)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if submission.contributor_id == user.id:  # type: ignore[attr-defined]
        return True
    return can(user, submission.project, Capability.VIEW)


def can_view_image(user: object, submission: Submission, variant: int | str = 320) -> bool:
    """Return whether ``user`` may see ``variant`` of the photo's image (and it exists).

    Once withdrawn, a photo's image is seen by its contributor only: not the team, not
    admins. A photo not yet processed (or purged) has no image to show.
    """
    if not can_view_submission(user, submission) or submission.storage_key is None:
        return False
    if variant == ORIGINAL and submission.stored_format is None:
        return False
    is_contributor = submission.contributor_id == user.id  # type: ignore[attr-defined]
    return submission.status is not SubmissionStatus.WITHDRAWN or is_contributor


def load_submission(submission_id: int, options: Sequence[ORMOption] = ()) -> Submission:
    """Return the submission if the current user may see it; 404 otherwise.

    ``options`` are loader options (what to load with it, in the same statement).
    """
    submission = db.session.get(Submission, submission_id, options=options)
    if submission is None or not can_view_submission(current_user, submission):
        abort(404)
    return submission
