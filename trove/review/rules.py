"""Who may decide on a photo: a reviewer of its project who did not contribute it.

Nobody decides on (and so nobody is paid for approving) their own photo, whatever their
role: an admin can upload to any project, and a contributor may later join a team. The
review service, the review card and contest entries all ask this module. The ``can_*``
helpers add what the photo's state allows (``Submission.approvable`` and its kin), so a
card asks one question per button.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import ColumnElement, func, select

from trove.extensions import db
from trove.projects.models import Capability, Project
from trove.projects.service import can
from trove.review.models import CheckState, SecondOpinion
from trove.submissions.models import Submission

NOT_A_REVIEWER = _l("You do not review photos on this project.")
OWN_PHOTO = _l("You sent this photo, so someone else on the team must decide on it.")
AWAITS_OWNER = _l("Reviewers disagree on this photo; the project's owner decides.")
AWAITS_SECOND = _l(
    "This approval awaits a second opinion; give yours from the “Second opinion” list."
)


def why_not_decide(user: Any, submission: Submission) -> str | None:
    """Return why ``user`` may not approve, decline or undo ``submission`` (None: they may)."""
    if not can(user, submission.project, Capability.REVIEW):
        return str(NOT_A_REVIEWER)
    if submission.contributor_id is not None and submission.contributor_id == user.id:
        return str(OWN_PHOTO)
    return None


def why_not_change(user: Any, check: SecondOpinion | None) -> str | None:
    """Return why ``user`` may not undo or decline an approval under ``check`` (None: may).

    The first reviewer may still take back their own approval while it awaits a second
    opinion (the U key after a slip); anyone else answers through the check, and a
    disagreement is the owner's to settle.
    """
    if check is None:
        return None
    if check.state is CheckState.DISPUTED:
        return str(AWAITS_OWNER)
    if check.state is CheckState.OPEN and check.first_reviewer_id != getattr(user, "id", None):
        return str(AWAITS_SECOND)
    return None


def _held_from(user: Any, submission: Submission) -> bool:
    """Return whether a pending second opinion keeps ``user`` from changing the approval."""
    if not submission.is_approved:
        return False
    return why_not_change(user, submission.final_check) is not None  # type: ignore[attr-defined]


def can_decide(user: Any, submission: Submission) -> bool:
    """Return whether ``user`` may decide on ``submission``."""
    return why_not_decide(user, submission) is None


def can_approve(user: Any, submission: Submission) -> bool:
    """Return whether ``user`` may approve ``submission`` now."""
    return submission.approvable and can_decide(user, submission)


def can_decline(user: Any, submission: Submission) -> bool:
    """Return whether ``user`` may decline ``submission`` now."""
    return (
        submission.declinable and can_decide(user, submission) and not _held_from(user, submission)
    )


def can_keep_declined(user: Any, submission: Submission) -> bool:
    """Return whether ``user`` may answer ``submission``'s open appeal by keeping it declined."""
    return submission.keepable_declined and can_decide(user, submission)


def can_undo(user: Any, submission: Submission) -> bool:
    """Return whether ``user`` may put ``submission`` back to pending review."""
    return submission.undoable and can_decide(user, submission) and not _held_from(user, submission)


def can_edit_blur(user: Any, submission: Submission) -> bool:
    """Return whether ``user`` may add or remove blur boxes on ``submission`` now.

    Only while the photo awaits review, and only on a project that blurs faces; approving
    (or declining) it applies the boxes.
    """
    return (
        submission.is_pending
        and submission.blur_applied is not None
        and can_decide(user, submission)
    )


def can_appeal(user: Any, submission: Submission) -> bool:
    """Return whether ``user`` may appeal ``submission``'s decline: their own photo, once."""
    own = submission.contributor_id is not None
    return own and submission.contributor_id == getattr(user, "id", None) and submission.appealable


def decided_by_someone_else() -> ColumnElement[bool]:
    """Return the SQL condition that a photo's decision was not its contributor's own."""
    return Submission.reviewed_by_id.is_distinct_from(Submission.contributor_id)


def own_photo_warnings(project: Project) -> dict[int, str]:
    """Return, per current team member who sent photos to ``project``, the owners' warning."""
    ids = {m.user_id: m.user.display_name for m in project.members}
    if not ids:
        return {}
    counts = db.session.execute(
        select(Submission.contributor_id, func.count())
        .where(Submission.project_id == project.id, Submission.contributor_id.in_(list(ids)))
        .group_by(Submission.contributor_id)
    ).all()
    return {
        user_id: ngettext(
            "%(name)s sent %(num)d photo to this project. They cannot approve or decline "
            "their own photos, and team members never win the project's contests.",
            "%(name)s sent %(num)d photos to this project. They cannot approve or decline "
            "their own photos, and team members never win the project's contests.",
            n,
            name=ids[user_id],
        )
        for user_id, n in counts
    }
