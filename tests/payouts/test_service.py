"""Payout rules: planning, the batch lifecycle, manual mode and PayPal mode end to end."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from tests.payouts.conftest import build_team, ledger_totals
from trove.errors import DomainError
from trove.extensions import db
from trove.notifications.models import Notification
from trove.payouts import exports, service
from trove.payouts.models import (
    Earning,
    EarningStatus,
    PayoutBatchStatus,
    PayoutItemStatus,
)
from trove.review.service import approve_submission


def _notes(user) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


# --- planning --------------------------------------------------------------------------------


def test_plan_makes_one_payment_per_contributor_and_leaves_out_who_cannot_be_paid(manual_ctx):
    team = build_team({"a@pay.example": 3, "b@pay.example": 1, "": 2})
    manual_ctx.config["PAYOUT_MINIMUM_MINOR"] = 200
    plan = service.plan_payouts(team.project)
    assert [(p.contributor.paypal_email, p.amount_minor, p.earning_count) for p in plan.items] == [
        ("a@pay.example", 450, 3)
    ]
    assert [p.amount_minor for p in plan.below_minimum] == [150]  # b: one photo, under 2.00
    assert [p.earning_count for p in plan.missing_email] == [2]
    assert plan.totals() == {"USD": (1, 450)}


def test_only_finance_prepares(manual_ctx):
    team = build_team({"a@pay.example": 1})
    with pytest.raises(DomainError) as refused:
        service.prepare_batch(team.project, team.reviewer)
    assert refused.value.status == 403


def test_nothing_to_pay_is_a_clear_refusal(manual_ctx):
    team = build_team({"": 2})
    with pytest.raises(DomainError, match="Nothing to pay"):
        service.prepare_batch(team.project, team.finance)


# --- manual mode -----------------------------------------------------------------------------


def _sent_manual_batch(team):
    [batch] = service.prepare_batch(team.project, team.finance)
    service.approve_batch(batch, team.finance)
    service.send_batch(batch, team.finance)
    db.session.commit()
    return batch


def test_manual_batch_from_preparation_to_paid(manual_ctx):
    team = build_team({"a@pay.example": 2, "b@pay.example": 1})
    batch = _sent_manual_batch(team)
    assert batch.status is PayoutBatchStatus.MANUAL and batch.manual
    assert ledger_totals(team.project) == {"in_batch": 450}
    rows = list(csv.reader(io.StringIO(exports.manual_upload_csv(batch))))
    assert sorted((row[0], row[1], row[2]) for row in rows if "@" in row[0]) == [
        ("a@pay.example", "3.00", "USD"),
        ("b@pay.example", "1.50", "USD"),
    ]
    assert service.mark_items(batch, team.finance, "paid") == 2
    db.session.commit()
    assert batch.status is PayoutBatchStatus.COMPLETED
    assert ledger_totals(team.project) == {"paid": 450}
    assert "You were paid $3.00" in _notes(team.contributors[0])[-1].text


def test_a_failed_manual_payment_makes_the_earnings_payable_in_a_later_batch(manual_ctx):
    team = build_team({"a@pay.example": 2, "b@pay.example": 1})
    batch = _sent_manual_batch(team)
    first = next(i for i in batch.items if i.receiver == "a@pay.example")
    service.mark_items(batch, team.finance, "failed", [first.id], "Account closed")
    db.session.commit()
    assert first.status is PayoutItemStatus.FAILED and first.error == "Account closed"
    assert ledger_totals(team.project) == {"failed": 300, "in_batch": 150}
    assert "did not reach you" in _notes(team.contributors[0])[-1].text
    # Marking the same item again does nothing: no double outcome.
    with pytest.raises(DomainError, match="already settled"):
        service.mark_items(batch, team.finance, "paid", [first.id])
    service.mark_items(batch, team.finance, "paid")
    db.session.commit()
    [again] = service.prepare_batch(team.project, team.finance)
    assert [(i.receiver, i.amount_minor) for i in again.items] == [("a@pay.example", 300)]


def test_cancelling_a_batch_releases_its_earnings(manual_ctx):
    team = build_team({"a@pay.example": 2})
    [batch] = service.prepare_batch(team.project, team.finance)
    service.cancel_batch(batch, team.finance)
    db.session.commit()
    assert batch.status is PayoutBatchStatus.CANCELLED
    assert ledger_totals(team.project) == {"unpaid": 300}
    assert service.plan_payouts(team.project).items[0].amount_minor == 300


def test_four_eyes_needs_a_second_finance_member(manual_ctx):
    manual_ctx.config["PAYOUT_FOUR_EYES"] = True
    team = build_team({"a@pay.example": 1})
    [batch] = service.prepare_batch(team.project, team.finance)
    with pytest.raises(DomainError, match="Another finance member"):
        service.approve_batch(batch, team.finance)
    service.approve_batch(batch, team.finance2)
    assert batch.status is PayoutBatchStatus.APPROVED and batch.approved_by_id == team.finance2.id


def test_an_earning_is_never_in_two_batches(manual_ctx):
    team = build_team({"a@pay.example": 2})
    service.prepare_batch(team.project, team.finance)
    with pytest.raises(DomainError, match="Nothing to pay"):
        service.prepare_batch(team.project, team.finance2)
    linked = db.session.scalars(select(Earning.payout_item_id)).all()
    assert len(linked) == 2 and len(set(linked)) == 1


def test_a_photo_in_a_batch_can_no_longer_be_unapproved(manual_ctx):
    from trove.review.service import reset_submission

    team = build_team({"a@pay.example": 1})
    service.prepare_batch(team.project, team.finance)
    db.session.commit()
    earning = db.session.scalar(select(Earning))
    with pytest.raises(DomainError):
        reset_submission(earning.submission, team.reviewer)


def test_payments_export_lists_each_payment_of_the_period(manual_ctx):
    from datetime import date, timedelta

    team = build_team({"a@pay.example": 2, "b@pay.example": 1})
    batch = _sent_manual_batch(team)
    service.mark_items(batch, team.finance, "paid")
    db.session.commit()
    today = date.today()
    body, rows = exports.payments_csv(team.project, today - timedelta(days=1), today)
    assert rows == 2
    assert "a@pay.example" in body and "3.00" in body
    body, rows = exports.payees_csv(team.project, today.year)
    assert rows == 2 and "1.50" in body
    assert exports.payments_csv(team.project, today - timedelta(days=9), today - timedelta(days=2))[
        1
    ] == 0


# --- PayPal mode -----------------------------------------------------------------------------


def test_paypal_batch_is_sent_once_and_settles_from_the_outcome(paypal_ctx, paypal):
    from trove.payouts.jobs import refresh_payout_batch

    paypal.outcomes["b@pay.example"] = "UNCLAIMED"
    team = build_team({"a@pay.example": 2, "b@pay.example": 1})
    [batch] = service.prepare_batch(team.project, team.finance)
    service.approve_batch(batch, team.finance)
    service.send_batch(batch, team.finance)
    db.session.commit()  # sync jobs: the send job runs at the commit
    db.session.refresh(batch)
    assert batch.status is PayoutBatchStatus.SENT and batch.paypal_batch_id
    assert paypal.calls_to("POST", "/v1/payments/payouts") == 1
    paypal.advance(2)
    refresh_payout_batch(batch.id)
    db.session.refresh(batch)
    items = {i.receiver: i for i in batch.items}
    assert items["a@pay.example"].status is PayoutItemStatus.PAID
    # Unclaimed: taken back at PayPal first, then payable again here.
    assert items["b@pay.example"].status is PayoutItemStatus.UNCLAIMED
    assert batch.status is PayoutBatchStatus.COMPLETED
    assert ledger_totals(team.project) == {"paid": 300, "unclaimed": 150}
    assert paypal.ledger[("a@pay.example", "USD")] == 300
    assert sum(paypal.ledger.values()) == ledger_totals(team.project)["paid"]


def test_returned_earnings_are_paid_after_the_email_is_fixed(paypal_ctx, paypal):
    from trove.payouts.jobs import refresh_payout_batch

    paypal.outcomes["typo@pay.example"] = "RETURNED"
    team = build_team({"typo@pay.example": 2})
    [batch] = service.prepare_batch(team.project, team.finance)
    service.approve_batch(batch, team.finance)
    service.send_batch(batch, team.finance)
    db.session.commit()
    paypal.advance(2)
    refresh_payout_batch(batch.id)
    assert ledger_totals(team.project) == {"returned": 300}
    team.contributors[0].paypal_email = "right@pay.example"
    db.session.commit()
    [second] = service.prepare_batch(team.project, team.finance)
    service.approve_batch(second, team.finance)
    service.send_batch(second, team.finance)
    db.session.commit()
    paypal.advance(2)
    refresh_payout_batch(second.id)
    assert ledger_totals(team.project) == {"paid": 300}
    assert paypal.ledger == {("right@pay.example", "USD"): 300}


def test_approving_after_a_payment_adds_a_new_payable_earning(manual_ctx):
    from tests.factories import make_submission

    team = build_team({"a@pay.example": 1})
    batch = _sent_manual_batch(team)
    service.mark_items(batch, team.finance, "paid")
    approve_submission(make_submission(team.project, team.contributors[0]), team.reviewer)
    db.session.commit()
    assert ledger_totals(team.project) == {"paid": 150, "unpaid": 150}
    assert db.session.scalar(
        select(Earning.status).order_by(Earning.id.desc()).limit(1)
    ) is EarningStatus.UNPAID


def test_a_prepared_batch_keeps_the_paypal_address_it_was_prepared_with(manual_ctx):
    from tests.conftest import TEST_PASSWORD
    from trove.accounts.service import update_profile

    team = build_team({"old@pay.example": 2})
    [batch] = service.prepare_batch(team.project, team.finance)
    db.session.commit()
    person = team.contributors[0]
    update_profile(
        person,
        display_name=person.display_name,
        paypal_email="new@pay.example",
        country=None,
        password=TEST_PASSWORD,
    )
    db.session.commit()
    assert [item.receiver for item in batch.items] == ["old@pay.example"]
    service.approve_batch(batch, team.finance)
    service.send_batch(batch, team.finance)
    db.session.commit()
    upload = exports.manual_upload_csv(batch)  # what finance pays through PayPal
    assert "old@pay.example" in upload and "new@pay.example" not in upload


def _pay_and_count_statements(team, paypal) -> int:
    """Send the project's payable earnings to PayPal; return the statements of settling."""
    from sqlalchemy import event

    from trove.payouts.jobs import refresh_payout_batch

    [batch] = service.prepare_batch(team.project, team.finance)
    service.approve_batch(batch, team.finance)
    service.send_batch(batch, team.finance)
    db.session.commit()
    paypal.advance(2)
    seen = [0]

    def count(*args: object) -> None:
        seen[0] += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        refresh_payout_batch(batch.id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return seen[0]


def test_settling_a_batch_tells_each_contributor_once_in_set_based_statements(
    paypal_ctx, paypal, outbox, caplog
):
    from tests.factories import make_processed_submission, make_user

    paypal.outcomes["lost@pay.example"] = "RETURNED"
    team = build_team({"a@pay.example": 1, "lost@pay.example": 1})
    small = _pay_and_count_statements(team, paypal)
    photos = {f"p{n}@pay.example": n % 3 + 1 for n in range(8)}
    people = []
    for n, (email, count) in enumerate(photos.items()):
        person = make_user(name=f"Newcomer {n}", paypal_email=email)
        people.append(person)
        for _ in range(count):
            approve_submission(make_processed_submission(team.project, person), team.reviewer)
            db.session.commit()
    outbox.clear()
    large = _pay_and_count_statements(team, paypal)
    # The statements do not grow with the number of payments (no INSERT or UPDATE per item).
    assert large == small
    for person in people:
        [note] = [n for n in _notes(person) if n.kind == "payout"]
        count = photos[person.paypal_email]
        assert f"You were paid ${1.5 * count:.2f} through PayPal for {count} photo" in note.text
    # The returned payment went back to payable, was sent again and came back again.
    lost = [n for n in _notes(team.contributors[1]) if n.kind == "payout"]
    assert len(lost) == 2 and "Your payment of $1.50" in lost[-1].text
    assert "did not reach you" in lost[-1].text
    # Only the payment that did not arrive is e-mailed.
    assert [m["To"] for m in outbox] == [team.contributors[1].email]
    assert outbox[0]["Subject"] == "Your payment could not be delivered"
    # Every earning moved with its item: no mismatch was reported.
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text
