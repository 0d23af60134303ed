"""The notice to people who downloaded a version counts only that version's photos."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.exports.conftest import build_lab, cut
from tests.factories import make_submission
from trove.consent.service import request_withdrawal
from trove.exports import service as exports
from trove.extensions import db
from trove.notifications.models import Notification
from trove.review.service import approve_submission

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_downloaders_are_told_how_many_photos_of_their_version_were_withdrawn(outbox):
    lab = build_lab((4,))
    contributor = lab.contributors[0]
    first = cut(lab)
    exports.record_download(first, lab.steward)
    for _ in range(2):  # two more photos, approved after version 1 was cut
        later = make_submission(lab.project, contributor)
        approve_submission(later, lab.reviewer)
        db.session.commit()
        lab.photos.append(later)
    outbox.clear()

    assert request_withdrawal(lab.photos, contributor) == 6
    db.session.commit()

    text = db.session.scalar(
        select(Notification.text).where(
            Notification.user_id == lab.steward.id, Notification.kind == "deletion"
        )
    )
    assert text.startswith("4 photos in version 1 of “Door handles” were withdrawn.")
    (mail,) = [m for m in outbox if m["To"] == lab.steward.email]
    assert "4 photos in version 1 " in mail.get_content()
