"""What a brief asks of its photos: things kept out of them, and people in them."""

from __future__ import annotations

import enum

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

#: Things contributors are commonly asked to keep out of photos (read in the page's language).
EXCLUSIONS: dict[str, LazyString] = {
    "faces": _l("No faces or people who could be recognised"),
    "plates": _l("No vehicle licence plates"),
    "screens": _l("No screens, documents or cards showing personal details"),
    "addresses": _l("No house numbers, street signs or anything that gives an address"),
    "children": _l("No children"),
}


class PeoplePolicy(enum.StrEnum):
    """What a brief says about people in the photos (decides face detection and blurring)."""

    #: People are not expected: any face found is blurred before the team sees the photo.
    BLUR = "blur"
    #: People are the subject, with model releases handled by the lab: nothing is blurred.
    SUBJECT = "subject"
    #: People are not allowed: photos with faces are blurred and flagged for decline.
    NOT_ALLOWED = "not_allowed"

    @property
    def label(self) -> str:
        """Return the choice as the wizard offers it."""
        return str(PEOPLE_POLICY_LABELS[self])

    @property
    def brief_text(self) -> str:
        """Return what the brief tells contributors."""
        return str(PEOPLE_POLICY_BRIEF[self])


PEOPLE_POLICY_LABELS = {
    PeoplePolicy.BLUR: _l("Not expected: blur any face found before the team sees the photo"),
    PeoplePolicy.SUBJECT: _l("The subject: the lab handles model releases; nothing is blurred"),
    PeoplePolicy.NOT_ALLOWED: _l("Not allowed: photos with faces are flagged to be declined"),
}
PEOPLE_POLICY_BRIEF = {
    PeoplePolicy.BLUR: _l(
        "People are not expected in these photos. Any face we find is blurred before anyone "
        "at the lab sees the photo; you can also blur areas yourself before sending."
    ),
    PeoplePolicy.SUBJECT: _l(
        "People are the subject of these photos. The lab arranges consent (model releases) "
        "with the people shown; faces are not blurred."
    ),
    PeoplePolicy.NOT_ALLOWED: _l(
        "People must not appear in these photos. Photos showing a face are declined (faces "
        "are blurred before anyone at the lab sees them)."
    ),
}
