"""Gold photos: served unmarked at the set rate, scored, never paid, never changing the photo."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import login
from tests.factories import add_team_member, make_processed_submission, make_project
from trove.errors import DomainError
from trove.extensions import db
from trove.payouts.models import Earning
from trove.review import gold, service, stats
from trove.review.models import GoldAnswer, ReviewerStat
from trove.submissions.models import SubmissionStatus


def _earnings() -> int:
    return db.session.scalar(select(func.count()).select_from(Earning))


@pytest.fixture
def golden(app_ctx):
    """A project with one approved and one declined gold photo, and a fresh reviewer."""
    project = make_project(per_contributor_limit=None)
    owner = project.members[0].user
    decider = add_team_member(project, "reviewer")
    good, bad = make_processed_submission(project), make_processed_submission(project)
    service.approve_submission(good, decider)
    service.reject_submission(bad, decider, "blurry")
    golds = [gold.mark_gold(good, owner), gold.mark_gold(bad, owner)]
    reviewer = add_team_member(project, "reviewer")
    db.session.commit()
    return project, owner, decider, reviewer, golds


def test_only_the_owner_marks_decided_photos_gold_with_their_decision(golden):
    project, owner, decider, reviewer, (good, bad) = golden
    assert (good.expected, good.expected_code) == ("approved", None)
    assert (bad.expected, bad.expected_code) == ("rejected", "blurry")
    pending = make_processed_submission(project)
    with pytest.raises(DomainError):
        gold.mark_gold(pending, owner)  # not decided
    other = make_processed_submission(project)
    service.approve_submission(other, decider)
    with pytest.raises(DomainError) as refused:
        gold.mark_gold(other, reviewer)
    assert refused.value.status == 403


def test_answers_are_scored_and_change_neither_the_photo_nor_the_money(golden):
    project, owner, decider, reviewer, (good, bad) = golden
    before = (project.approved_count, project.spent_minor, _earnings())
    photo_state = [(g.submission.status, g.submission.reviewed_by_id) for g in (good, bad)]
    right = gold.answer_gold(good, reviewer, "approve")
    wrong = gold.answer_gold(bad, reviewer, "reject", "person")  # right call, wrong reason
    assert (right.correct, wrong.correct) == (True, False)
    db.session.commit()
    assert (project.approved_count, project.spent_minor, _earnings()) == before
    assert [(g.submission.status, g.submission.reviewed_by_id) for g in (good, bad)] == photo_state
    row = db.session.get(ReviewerStat, (project.id, reviewer.id))
    assert (row.decisions, row.gold_answered, row.gold_correct) == (2, 2, 1)
    [insight] = [r for r in stats.reviewer_insight(project) if r.name == reviewer.display_name]
    assert insight.gold_accuracy == 0.5
    with pytest.raises(DomainError, match="already decided"):
        gold.answer_gold(good, reviewer, "reject", "blurry")


def test_a_gold_photo_is_served_until_answered_and_never_to_who_decided_it(golden):
    project, owner, decider, reviewer, golds = golden
    project.gold_percent = 50
    pending = [make_processed_submission(project) for _ in range(4)]
    page = gold.mix_into(pending, project, reviewer)
    served = [item for item in page if isinstance(item, gold.GoldItem)]
    assert len(page) == 6 and {s.gold.id for s in served} == {g.id for g in golds}
    assert all(s.shown_status is SubmissionStatus.PENDING_REVIEW for s in served)
    assert [item for item in page if not isinstance(item, gold.GoldItem)] == pending
    # The reviewer who made the decisions would recognise them.
    assert gold.mix_into(pending, project, decider) == pending
    for g in golds:
        gold.answer_gold(g, reviewer, "approve")
    assert gold.mix_into(pending, project, reviewer) == pending
    # Without a rate, or with nothing pending, no gold photo shows.
    project.gold_percent = 0
    assert gold.mix_into(pending, project, owner) == pending
    project.gold_percent = 50
    assert gold.mix_into([], project, owner) == []


def test_a_stopped_gold_photo_is_no_longer_served(golden):
    project, owner, decider, reviewer, (good, bad) = golden
    project.gold_percent = 50
    gold.unmark_gold(good, owner)
    gold.unmark_gold(bad, owner)
    pending = [make_processed_submission(project) for _ in range(4)]
    assert gold.mix_into(pending, project, reviewer) == pending


def test_approving_a_served_gold_photo_through_the_queue_only_scores_it(golden, client):
    project, owner, decider, reviewer, (good, bad) = golden
    item = gold.served(good)
    photo_id, ref, email = good.submission_id, item.ref, reviewer.email
    before = _earnings()
    db.session.commit()
    login(client, email)
    # Zoomed from the queue, it still looks like a photo waiting for review.
    zoom = client.get(f"/submissions/{photo_id}/zoom", query_string={"ref": ref}).text
    assert "badge-pending_review" in zoom and "badge-approved" not in zoom
    response = client.post(
        f"/submissions/{photo_id}/approve", data={"ref": ref}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "badge-approved" in response.text and "data-approve" not in response.text
    assert _earnings() == before
    assert db.session.scalar(select(func.count()).select_from(GoldAnswer)) == 1
    # A forged or stale reference is refused plainly, and the photo is untouched.
    response = client.post(
        f"/submissions/{bad.submission_id}/reject",
        data={"ref": ref, "code": "blurry"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert bad.submission.status is SubmissionStatus.REJECTED
