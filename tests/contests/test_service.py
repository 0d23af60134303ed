"""Contests: entries, referral bonuses, flags, the committed and reproducible draw."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.exports.conftest import build_lab
from tests.factories import make_contest, make_submission, make_user
from trove.accounts.service import apply_referral, referral_code_for
from trove.consent.service import request_withdrawal
from trove.contests import service
from trove.contests.models import ContestStatus
from trove.errors import DomainError
from trove.exports.service import pseudonym_for
from trove.extensions import db
from trove.notifications.models import Notification
from trove.review.service import approve_submission
from trove.timeutil import utcnow

pytestmark = pytest.mark.usefixtures("app_ctx")


def _contest(lab, **fields):
    return make_contest(lab.project, lab.owner, **fields)


def _end(contest):
    contest.ends_at = utcnow()
    db.session.commit()


def test_the_commitment_is_the_seeds_hash_and_the_seed_stays_hidden_until_the_draw():
    lab = build_lab((2,))
    contest = _contest(lab)
    assert contest.seed_commitment == hashlib.sha256(contest.seed.encode()).hexdigest()
    assert contest.seed_public is None


def test_one_entry_per_approved_photo_in_the_window_and_withdrawn_photos_do_not_count():
    lab = build_lab((3, 1))
    contest = _contest(lab)
    board = {e.user.id: e.entries for e in service.standings(contest)}
    assert board == {lab.contributors[0].id: 3, lab.contributors[1].id: 1}
    request_withdrawal([lab.photos[0]], lab.contributors[0])
    db.session.commit()
    assert service.entries_of(lab.contributors[0], contest) == 2
    outside = _contest(
        lab, starts_at=utcnow() + timedelta(days=1), ends_at=utcnow() + timedelta(days=2)
    )
    assert service.standings(outside) == []


def test_referral_bonus_counts_new_contributors_whose_photo_is_approved():
    lab = build_lab((1,))
    referrer = lab.contributors[0]
    contest = _contest(lab, referral_bonus=3)
    friend = make_user()
    assert apply_referral(friend, referral_code_for(referrer)) == referrer
    db.session.commit()
    assert service.entries_of(referrer, contest) == 1  # the friend has no approved photo yet
    approve_submission(make_submission(lab.project, friend), lab.reviewer)
    db.session.commit()
    assert service.entries_of(referrer, contest) == 1 + 3
    assert apply_referral(friend, referral_code_for(referrer)) is None  # only once
    assert apply_referral(referrer, referral_code_for(referrer)) is None  # not yourself


def test_shared_paypal_emails_and_near_duplicates_are_flagged():
    lab = build_lab((1, 1))
    a, b = lab.contributors
    a.paypal_email = "Same@Pay.example"
    b.paypal_email = "same@pay.example"
    lab.photos[1].near_duplicate_of_id = lab.photos[0].id
    db.session.commit()
    flags = {e.user.id: e.flags for e in service.standings(_contest(lab))}
    assert "PayPal e-mail shared with 1 other account" in flags[a.id]
    assert any("near-duplicates" in f for f in flags[b.id])


def test_the_draw_is_reproducible_from_the_published_seed_and_entries():
    lab = build_lab((5, 1, 2, 3))
    contest = _contest(lab, winner_count=2)
    with pytest.raises(DomainError, match="runs until"):
        service.draw(contest, lab.owner)
    _end(contest)
    winners = service.draw(contest, lab.owner)
    db.session.commit()
    assert contest.status is ContestStatus.DRAWN and len(winners) == 2
    assert contest.seed_public == contest.seed
    assert service.verify(contest)
    order = service.draw_order(contest.seed, contest.entries)
    assert [w.pseudonym for w in winners] == order[:2]
    assert sorted(e["entries"] for e in contest.entries) == [1, 2, 3, 5]
    told = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "contest")
    ).all()
    assert sorted(told) == sorted(w.user_id for w in winners)
    with pytest.raises(DomainError, match="already"):
        service.draw(contest, lab.owner)


def test_tampering_with_the_entries_breaks_verification():
    lab = build_lab((2, 2))
    contest = _contest(lab)
    _end(contest)
    service.draw(contest, lab.owner)
    db.session.commit()
    loser = next(e for e in contest.entries if e["contributor"] != contest.winners[0].pseudonym)
    forged = [dict(e, entries=10**6) if e is loser else e for e in contest.entries]
    assert service.draw_order(contest.seed, forged)[0] == loser["contributor"]
    contest.entries = forged
    assert not service.verify(contest)


def test_heavier_entrants_win_more_often():
    entries = [{"contributor": "heavy", "entries": 9}, {"contributor": "light", "entries": 1}]
    wins = sum(service.draw_order(f"seed-{n}", entries)[0] == "heavy" for n in range(400))
    assert 320 <= wins <= 390  # expected 360


def test_excluded_entrants_are_left_out_and_only_owners_run_the_contest():
    lab = build_lab((1, 1))
    contest = _contest(lab)
    first = pseudonym_for(lab.project, lab.contributors[0].id)
    with pytest.raises(DomainError):
        service.exclude_entrant(contest, lab.reviewer, first, "fraud")
    with pytest.raises(DomainError, match="why"):
        service.exclude_entrant(contest, lab.owner, first, " ")
    with pytest.raises(DomainError, match="No entrant"):
        service.exclude_entrant(contest, lab.owner, "c-nobody", "fraud")
    service.exclude_entrant(contest, lab.owner, first, "Same person twice")
    _end(contest)
    [winner] = service.draw(contest, lab.owner)
    assert winner.user_id == lab.contributors[1].id
    assert len(contest.entries) == 1


def test_prize_fulfilment_is_recorded_and_the_winner_told():
    lab = build_lab((1,))
    contest = _contest(lab)
    _end(contest)
    [winner] = service.draw(contest, lab.owner)
    with pytest.raises(DomainError, match="delivered"):
        service.record_fulfilment(winner, lab.owner, "")
    service.record_fulfilment(winner, lab.owner, "Code GIFT-1234 sent by e-mail")
    db.session.commit()
    assert winner.fulfilled_at is not None
    texts = db.session.scalars(
        select(Notification.text).where(Notification.user_id == winner.user_id)
    ).all()
    assert any("GIFT-1234" in t for t in texts)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "name"),
        ({"prize": ""}, "prize"),
        ({"rules": " "}, "rules"),
        ({"winner_count": 0}, "winners"),
        ({"referral_bonus": 11}, "referral"),
    ],
)
def test_bad_contests_are_refused_with_a_reason(fields, message):
    lab = build_lab((0,))
    with pytest.raises(DomainError, match=message):
        _contest(lab, **fields)


def test_the_end_must_come_after_the_start():
    lab = build_lab((0,))
    now = utcnow()
    with pytest.raises(DomainError, match="end after"):
        _contest(lab, starts_at=now, ends_at=now - timedelta(hours=1))


def test_cancelling_tells_every_entrant_why_keeps_the_seed_secret_and_cannot_be_undone():
    lab = build_lab((2, 1, 0))
    contest = _contest(lab)
    with pytest.raises(DomainError, match="Say why"):
        service.cancel(contest, lab.owner, "   ")
    with pytest.raises(DomainError):
        service.cancel(contest, lab.reviewer, "Budget cut")  # reviewers do not run contests
    service.cancel(contest, lab.owner, "  The prize  sponsor withdrew. ")
    db.session.commit()
    assert contest.status is ContestStatus.CANCELLED and contest.cancelled_at is not None
    assert contest.cancel_reason == "The prize sponsor withdrew."
    assert contest.seed_public is None
    told = db.session.scalars(select(Notification).where(Notification.kind == "contest")).all()
    assert sorted(n.user_id for n in told) == sorted(u.id for u in lab.contributors[:2])
    assert all("cancelled: The prize sponsor withdrew." in n.text for n in told)
    _end(contest)
    with pytest.raises(DomainError, match="already been drawn"):
        service.draw(contest, lab.owner)
    with pytest.raises(DomainError, match="not been drawn"):
        service.cancel(contest, lab.owner, "Again")
