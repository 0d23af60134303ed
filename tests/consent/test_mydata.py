"""The my-data zip is complete: file names, reviews, appeals, answers, notifications, wins."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.exports.conftest import build_lab
from tests.factories import make_contest, make_submission
from trove.consent.mydata import write_my_data
from trove.contests import service as contests
from trove.discussions import service as discussions
from trove.extensions import db
from trove.files import get_storage
from trove.review import service as review
from trove.timeutil import utcnow


@pytest.fixture
def request_ctx(app):
    # Discussions build links with url_for, which needs a request.
    with app.test_request_context("/"):
        yield
        db.session.rollback()
        db.session.remove()


def _zip(user) -> zipfile.ZipFile:
    out = io.BytesIO()
    write_my_data(user, get_storage(), out)
    return zipfile.ZipFile(out)


@pytest.mark.usefixtures("request_ctx")
def test_my_data_holds_file_names_reviews_appeals_answers_notifications_and_wins():
    lab = build_lab((1,))
    person = lab.contributors[0]
    declined = make_submission(lab.project, person)
    review.reject_submission(declined, lab.reviewer, "blurry", "The shelf is out of focus.")
    review.appeal_rejection(declined, person, "Please look again at the left side.")
    question = discussions.ask_question(lab.project, person, "Do fridges count as shelves?")
    discussions.reply_to_question(question, lab.owner, "Yes, open fridges count.")
    contest = make_contest(lab.project, lab.owner, prize="A gift card")
    contest.ends_at = utcnow()
    [winner] = contests.draw(contest, lab.owner)
    contests.record_fulfilment(winner, lab.owner, "Gift code ABC-123")
    db.session.commit()

    zf = _zip(person)
    photos = {p["id"]: p for p in json.loads(zf.read("photos.json"))}
    assert photos[lab.photos[0].id]["original_file_name"] == "photo.jpg"
    assert photos[lab.photos[0].id]["appeal"] is None
    mine = photos[declined.id]
    assert mine["original_file_name"] == "photo.jpg"
    assert mine["decline_reason"] and mine["reviewer_note"] == "The shelf is out of focus."
    assert mine["appeal"]["message"] == "Please look again at the left side."
    assert mine["appeal"]["sent_at"] and mine["appeal"]["resolved_at"] is None

    [asked] = json.loads(zf.read("questions.json"))
    assert asked["kind"] == "question" and asked["text"] == "Do fridges count as shelves?"
    assert [r["text"] for r in asked["replies"]] == ["Yes, open fridges count."]

    notes = json.loads(zf.read("notifications.json"))
    texts = " ".join(n["text"] for n in notes)
    assert "approved" in texts and "declined" in texts and "You won" in texts
    assert all(n["sent_at"] for n in notes)

    [win] = json.loads(zf.read("contest_wins.json"))
    assert win["contest"] == "Spring draw" and win["prize"] == "A gift card"
    assert win["rank"] == 1 and win["prize_sent"] == "Gift code ABC-123"
    assert "contest_wins.json" in zf.read("README.txt").decode()
