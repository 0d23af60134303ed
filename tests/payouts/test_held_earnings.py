"""A held earning (its approval awaits a second opinion) is payable by no path until released."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import make_processed_submission
from tests.payouts.conftest import build_team, ledger_totals
from trove.errors import DomainError
from trove.extensions import db
from trove.payouts import ledger, service
from trove.payouts.models import Earning, EarningStatus, PayoutItemStatus
from trove.review import second
from trove.review.service import approve_submission


def _with_held_photo(photos: int = 1):
    """A team whose contributor has ``photos`` payable earnings and one held earning."""
    team = build_team({"a@pay.example": photos})
    team.project.second_opinion_percent = 100
    held = make_processed_submission(team.project, team.contributors[0])
    approve_submission(held, team.reviewer)
    db.session.commit()
    return team, held


def _earning(submission) -> Earning:
    return db.session.scalar(select(Earning).where(Earning.submission_id == submission.id))


def test_a_sampled_approval_holds_its_earning_outside_every_balance_that_pays(manual_ctx):
    team, held = _with_held_photo()
    assert _earning(held).status is EarningStatus.HELD
    assert not EarningStatus.HELD.payable and not EarningStatus.HELD.locked
    assert ledger_totals(team.project) == {"unpaid": 150, "held": 150}
    plan = service.plan_payouts(team.project)
    assert [(p.amount_minor, p.earning_count) for p in plan.items] == [(150, 1)]


def test_manual_batches_pay_around_a_held_earning_and_never_take_it(manual_ctx):
    team, held = _with_held_photo()
    [batch] = service.prepare_batch(team.project, team.finance)
    assert (batch.total_minor, batch.earning_count) == (150, 1)
    service.approve_batch(batch, team.finance)
    service.send_batch(batch, team.finance)
    service.mark_items(batch, team.finance, "paid")
    db.session.commit()
    assert ledger_totals(team.project) == {"paid": 150, "held": 150}
    # Nothing else is payable: the held earning does not make a batch.
    with pytest.raises(DomainError, match="Nothing to pay"):
        service.prepare_batch(team.project, team.finance)


def test_settling_or_cancelling_an_item_never_moves_a_held_earning_linked_to_it(manual_ctx):
    team, held = _with_held_photo()
    [batch] = service.prepare_batch(team.project, team.finance)
    [item] = batch.items
    # Defence in depth: even if a bug linked the held earning to a pending item, settlement
    # moves only earnings that are in the batch.
    earning = _earning(held)
    earning.payout_item_id = item.id
    db.session.flush()
    assert ledger.settle_item(item, PayoutItemStatus.PAID)
    db.session.commit()
    db.session.refresh(earning)
    assert earning.status is EarningStatus.HELD and earning.paid_at is None
    assert ledger_totals(team.project) == {"paid": 150, "held": 150}


def test_paypal_send_retry_and_reconciliation_leave_a_held_earning_unpaid(paypal_ctx, paypal):
    from trove.payouts.jobs import refresh_payout_batch, send_payout_batch

    team, held = _with_held_photo()
    [batch] = service.prepare_batch(team.project, team.finance)
    service.approve_batch(batch, team.finance)
    service.send_batch(batch, team.finance)
    db.session.commit()  # sync jobs: the send job runs at the commit
    send_payout_batch(batch.id)  # a retry reuses the batch: nothing new is sent
    paypal.advance(2)
    refresh_payout_batch(batch.id)
    refresh_payout_batch(batch.id)
    db.session.expire_all()
    assert paypal.calls_to("POST", "/v1/payments/payouts") == 1
    assert sum(paypal.ledger.values()) == 150
    assert ledger_totals(team.project) == {"paid": 150, "held": 150}
    assert _earning(held).status is EarningStatus.HELD


def test_a_released_earning_is_paid_once_in_the_next_batch(manual_ctx):
    team, held = _with_held_photo(photos=0)
    with pytest.raises(DomainError, match="Nothing to pay"):
        service.prepare_batch(team.project, team.finance)
    second.give_second_opinion(held, team.owner, agree=True)
    db.session.commit()
    assert _earning(held).status is EarningStatus.UNPAID
    assert not ledger.release_held(held.id)  # a second release changes nothing
    [batch] = service.prepare_batch(team.project, team.finance)
    service.approve_batch(batch, team.finance)
    service.send_batch(batch, team.finance)
    service.mark_items(batch, team.finance, "paid")
    db.session.commit()
    assert ledger_totals(team.project) == {"paid": 150}
    with pytest.raises(DomainError, match="Nothing to pay"):
        service.prepare_batch(team.project, team.finance)


def test_deleting_an_account_counts_held_earnings_as_owed_and_forfeits_them(manual_ctx):
    from tests.conftest import TEST_PASSWORD
    from trove.consent.service import check_account_deletion, delete_account

    team, held = _with_held_photo(photos=0)
    person = team.contributors[0]
    assert check_account_deletion(person).payable == {"USD": 150}
    with pytest.raises(DomainError, match="still owed"):
        delete_account(person, TEST_PASSWORD, withdraw_photos=False, forfeit_earnings=False)
    delete_account(person, TEST_PASSWORD, withdraw_photos=False, forfeit_earnings=True)
    assert _earning(held).status is EarningStatus.FORFEITED
    # The check can still end; the forfeited earning stays given up.
    second.give_second_opinion(held, team.owner, agree=True)
    assert _earning(held).status is EarningStatus.FORFEITED
