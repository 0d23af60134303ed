"""Decline reasons: the standard ones plus the brief's own "what not to shoot" rules.

A reason is stored as a code in ``Submission.rejection_code``: a ``RejectionCode`` value, or
``exclusion:<key>`` (one of the brief's chosen exclusions) or ``rule:<n>`` (the n-th line of
its "must not show" text). Brief codes are read against the brief version the contributor
agreed to, which never changes, so a decline reads the same forever. Contributors get the
reason with guidance on doing better and, where the brief has one, an example photo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from trove.errors import DomainError
from trove.projects.models import EXCLUSIONS, BriefVersion, ProjectExample
from trove.submissions.models import RejectionCode, Submission

#: Why a photo may be declined. Reviewers pick one; contributors read the text.
REJECTION_REASONS: dict[RejectionCode, Any] = {
    RejectionCode.BLURRY: _l("The photo is blurry or out of focus."),
    RejectionCode.WRONG_SUBJECT: _l("The photo does not show what the brief asks for."),
    RejectionCode.PERSON: _l("The photo contains a person or a face."),
    RejectionCode.PERSONAL_DATA: _l(
        "The photo shows personal data (a plate, a screen, a document, an address)."
    ),
    RejectionCode.DUPLICATE: _l("The photo is a duplicate of another one."),
    RejectionCode.TOO_DARK: _l("The photo is too dark to use."),
    RejectionCode.TARGET_REACHED: _l(
        "The project reached its target before this photo was reviewed. Thank you for contributing."
    ),
    RejectionCode.UNREADABLE: _l("The file could not be read as a photo."),
    RejectionCode.OTHER: _l("The photo cannot be used (see the note)."),
}

#: How to do better next time, per standard reason.
GUIDANCE: dict[str, Any] = {
    RejectionCode.BLURRY: _l(
        "Hold the phone steady (lean on something), tap the subject to "
        "focus, and look at the photo before you send it."
    ),
    RejectionCode.WRONG_SUBJECT: _l(
        "Read what the photos must show in the brief, and keep that in the middle of the frame."
    ),
    RejectionCode.PERSON: _l(
        "Wait until nobody is in the frame, or turn so that people are out of the picture."
    ),
    RejectionCode.PERSONAL_DATA: _l(
        "Keep plates, screens, documents and house numbers out of the "
        "frame, or step closer so they are not in it."
    ),
    RejectionCode.DUPLICATE: _l("Send each scene once; another place or angle is welcome."),
    RejectionCode.TOO_DARK: _l(
        "Take photos in daylight or with the lights on, and not against a bright window."
    ),
}

#: Reasons a reviewer may pick (processing failures use UNREADABLE on their own).
STANDARD_REVIEW_REASONS: dict[str, Any] = {
    k: v for k, v in REJECTION_REASONS.items() if k is not RejectionCode.UNREADABLE
}
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)])\s*")


def brief_rules(data: dict[str, Any]) -> dict[str, str]:
    """Return the brief's "what not to shoot" rules, code → rule text, from a snapshot."""
    rules = {
        f"exclusion:{key}": EXCLUSIONS[key] + "."
        for key in data.get("exclusions") or []
        if key in EXCLUSIONS
    }
    lines = (data.get("must_not_show") or "").splitlines()
    for number, line in enumerate((_BULLET.sub("", line).strip() for line in lines), 1):
        if line:
            rules[f"rule:{number}"] = line[:200].rstrip(".") + "."
    return rules


def review_reasons(version: BriefVersion | None) -> dict[str, str]:
    """Return the reasons a reviewer may pick for a photo sent under ``version``."""
    rules = brief_rules(version.data) if version is not None else {}
    return {
        **{code: _("Against the brief: %(rule)s", rule=rule) for code, rule in rules.items()},
        **{code: str(text) for code, text in STANDARD_REVIEW_REASONS.items()},
    }


@dataclass(frozen=True)
class DeclineReason:
    """What a contributor is told about a decline: the reason, how to do better, an example."""

    text: str
    guidance: str | None = None
    example: ProjectExample | None = None


def decline_reason(submission: Submission) -> DeclineReason | None:
    """Return the contributor-facing reason for a declined photo (None if it is not)."""
    if not submission.is_rejected:
        return None
    code = submission.rejection_code or RejectionCode.OTHER
    if submission.is_unreadable and submission.rejection_note:
        # The media job stored it in English; a note the catalogue knows reads translated.
        return DeclineReason(_(submission.rejection_note))
    rule = brief_rules(submission.brief_version.data).get(code)
    if rule is not None:
        text = _("The photo shows something the brief asks not to: %(rule)s", rule=rule)
        guidance = _("Read the brief's list of what not to photograph before your next photo.")
    else:
        other = REJECTION_REASONS[RejectionCode.OTHER]
        text = str(REJECTION_REASONS.get(code, other))  # type: ignore[call-overload]
        guidance = str(GUIDANCE[code]) if code in GUIDANCE else None
    if guidance is None:
        return DeclineReason(text)
    example = next((e for e in submission.project.examples if e.good), None)
    return DeclineReason(text, guidance, example)


def checked_reason(
    version: BriefVersion | None, code: str, note: str | None
) -> tuple[str, str | None]:
    """Return a decline reason and note as stored, or raise a field error."""
    if code not in review_reasons(version):
        raise DomainError(_("Choose a reason from the list."), field="code", status=422)
    note = (note or "").strip() or None
    if note and len(note) > 500:
        raise DomainError(
            _("Keep the note under %(num)s characters.", num=500), field="note", status=422
        )
    if code == RejectionCode.OTHER and not note:
        raise DomainError(
            _("Say why in the note when the reason is “other”."), field="note", status=422
        )
    return code, note
