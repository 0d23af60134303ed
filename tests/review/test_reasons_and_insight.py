"""Decline reasons from the brief, reviewer insight and the brief's public review numbers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import login
from tests.factories import add_team_member, make_processed_submission, make_project
from trove.errors import DomainError
from trove.extensions import db
from trove.notifications.models import Notification
from trove.projects.models import ProjectExample
from trove.review import service, stats
from trove.review.models import ReviewerStat
from trove.submissions.reasons import decline_reason, review_reasons

HX = {"HX-Request": "true"}


def _brief_project():
    return make_project(
        per_contributor_limit=None,
        exclusions=["faces", "plates"],
        must_not_show="- Price tags\n\n* Staff uniforms",
    )


def test_reviewers_pick_from_the_briefs_own_rules_and_the_standard_reasons(app_ctx):
    project = _brief_project()
    reasons = review_reasons(project.current_version)
    assert (
        reasons["exclusion:faces"]
        == "Against the brief: No faces or people who could be recognised."
    )
    assert reasons["rule:1"] == "Against the brief: Price tags."
    assert reasons["rule:3"] == "Against the brief: Staff uniforms."
    assert "rule:2" not in reasons  # the blank line
    for standard in ("blurry", "duplicate", "wrong_subject", "person", "personal_data"):
        assert standard in reasons
    assert "unreadable" not in reasons


def test_a_decline_for_a_brief_rule_tells_the_contributor_the_rule(app_ctx):
    project = _brief_project()
    photo = make_processed_submission(project)
    service.reject_submission(photo, project.members[0].user, "rule:3")
    why = decline_reason(photo)
    assert why.text == "The photo shows something the brief asks not to: Staff uniforms."
    assert "what not to photograph" in why.guidance
    notice = db.session.scalar(
        select(Notification.text).where(Notification.user_id == photo.contributor_id)
    )
    assert "Staff uniforms" in notice


def test_a_standard_decline_comes_with_guidance_and_the_briefs_good_example(app_ctx):
    project = _brief_project()
    db.session.add(
        ProjectExample(
            project_id=project.id, good=False, caption="Blurry", storage_key="x", width=1, height=1
        )
    )
    good = ProjectExample(
        project_id=project.id, good=True, caption="A full shelf", storage_key="y", width=1, height=1
    )
    db.session.add(good)
    photo = make_processed_submission(project)
    service.reject_submission(photo, project.members[0].user, "blurry")
    db.session.refresh(project)
    why = decline_reason(photo)
    assert why.text == "The photo is blurry or out of focus."
    assert "steady" in why.guidance and why.example is good


def test_a_reason_the_photos_brief_version_does_not_have_is_refused(app_ctx):
    project = _brief_project()
    photo = make_processed_submission(project)
    with pytest.raises(DomainError, match="Choose a reason") as refused:
        service.reject_submission(photo, project.members[0].user, "rule:9")
    assert refused.value.status == 422


def test_the_public_numbers_appear_after_twenty_decisions(app_ctx):
    project = make_project(per_contributor_limit=None)
    reviewer = add_team_member(project, "reviewer")
    photos = [make_processed_submission(project) for _ in range(20)]
    for n, photo in enumerate(photos[:19]):
        if n % 4 == 3:
            service.reject_submission(photo, reviewer, "blurry")
        else:
            service.approve_submission(photo, reviewer)
    assert stats.brief_numbers(project) is None
    service.approve_submission(photos[19], reviewer)
    # Waits of 1 h, 2 h, … 20 h: the median is 10.5 h.
    for n, photo in enumerate(photos, 1):
        photo.reviewed_at = photo.created_at + timedelta(hours=n)
    db.session.flush()
    numbers = stats.brief_numbers(project)
    assert numbers.decisions == 20
    assert numbers.median_hours == pytest.approx(10.5)
    assert numbers.approved_share == pytest.approx(16 / 20)


def test_reviewer_insight_counts_decisions_per_hour_of_reviewing(app_ctx):
    project = make_project(per_contributor_limit=None)
    reviewer = add_team_member(project, "reviewer")
    photos = [make_processed_submission(project) for _ in range(3)]
    service.approve_submission(photos[0], reviewer)
    row = db.session.get(ReviewerStat, (project.id, reviewer.id))
    # Two more decisions, each 60 s after the one before (a long pause counts 5 minutes).
    for photo, gap in ((photos[1], 60), (photos[2], 3600)):
        row.last_decision_at -= timedelta(seconds=gap)
        db.session.flush()
        service.approve_submission(photo, reviewer)
        db.session.refresh(row)
    assert row.decisions == 3
    assert 360 <= row.active_seconds <= 362
    [insight] = stats.reviewer_insight(project)
    assert insight.per_hour == pytest.approx(3 * 3600 / row.active_seconds)
    assert insight.agreement is None and insight.gold_accuracy is None


def test_an_overturned_appeal_counts_against_the_reviewer_who_declined(app_ctx):
    project = make_project(per_contributor_limit=None)
    decliner = add_team_member(project, "reviewer")
    photo = make_processed_submission(project)
    service.reject_submission(photo, decliner, "blurry")
    service.appeal_rejection(photo, photo.contributor, "It is sharp.")
    service.approve_submission(photo, project.members[0].user)
    row = db.session.get(ReviewerStat, (project.id, decliner.id))
    assert row.appeals_overturned == 1


def test_the_brief_shows_the_numbers_and_the_owner_sees_insight(app, client):
    with app.app_context():
        project = make_project(per_contributor_limit=None)
        reviewer = add_team_member(project, "reviewer")
        for _ in range(20):
            service.approve_submission(make_processed_submission(project), reviewer)
        db.session.commit()
        project_id, owner_email = project.id, project.members[0].user.email
        reviewer_name = reviewer.display_name
    page = client.get(f"/projects/{project_id}").text
    assert 'id="review-time"' in page and "100 %" in page
    login(client, owner_email)
    insight = client.get(f"/projects/{project_id}/review/insight").text
    assert reviewer_name in insight and 'id="reviewer-insight"' in insight
    bad = client.post(
        f"/projects/{project_id}/review/checks",
        data={"second_opinion_percent": "150", "gold_percent": "5"},
        headers=HX,
    )
    assert bad.status_code == 422 and "0 to 100" in bad.text
    ok = client.post(
        f"/projects/{project_id}/review/checks",
        data={"second_opinion_percent": "20", "gold_percent": "5"},
        headers=HX,
    )
    assert ok.status_code == 200 and "Saved." in ok.text


def test_percent_signs_on_the_insight_page_read_once(app, client):
    """A literal % inside ``{% trans %}`` is written once: Jinja doubles it for gettext."""
    with app.app_context():
        project = make_project(per_contributor_limit=None)
        db.session.commit()
        project_id, owner_email = project.id, project.members[0].user.email
    login(client, owner_email)
    page = client.get(f"/projects/{project_id}/review/insight").text
    assert "get a second opinion (%)" in page and "queue (%)" in page
    assert "%%" not in page
