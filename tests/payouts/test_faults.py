"""Payouts under fire: PayPal errors, timeouts, a killed worker, duplicate and late webhooks.

In every case each earning is paid exactly once and the ledger balances: the sum of paid
earnings equals the sum of the payments PayPal made.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.jobproc import kill_when, start_worker
from tests.payouts.conftest import build_team, ledger_totals
from trove.extensions import db
from trove.payouts import service
from trove.payouts.jobs import refresh_payout_batch, send_payout_batch, sweep_payouts
from trove.payouts.models import PayoutBatch, PayoutBatchStatus
from trove.tasks import JobRecord, JobStatus, run_job

CREATE = "/v1/payments/payouts"


def _approved_batch(team) -> PayoutBatch:
    [batch] = service.prepare_batch(team.project, team.finance)
    service.approve_batch(batch, team.finance)
    db.session.commit()
    return batch


def _send(team, batch) -> None:
    service.send_batch(batch, team.finance)
    db.session.commit()  # the send job runs here (sync jobs)
    db.session.refresh(batch)


def _send_job(batch_id: int) -> JobRecord:
    return db.session.scalars(
        select(JobRecord)
        .where(JobRecord.name == send_payout_batch.job_name)
        .order_by(JobRecord.id.desc())
    ).first()


def _assert_paid_once(team, paypal, batch) -> None:
    paypal.advance(2)
    refresh_payout_batch(batch.id)
    db.session.refresh(batch)
    assert batch.status is PayoutBatchStatus.COMPLETED
    assert paypal.batches_created == 1
    assert ledger_totals(team.project) == {"paid": 450}
    assert sum(paypal.ledger.values()) == 450
    assert all(count == 1 for count in paypal.paid.values())


def test_server_errors_on_create_then_success(paypal_ctx, paypal):
    team = build_team({"a@pay.example": 2, "b@pay.example": 1})
    batch = _approved_batch(team)
    paypal.fail_next(CREATE, 503, times=2, method="POST")  # both of the client's attempts
    _send(team, batch)
    assert batch.status is PayoutBatchStatus.SENDING and "503" in (batch.last_error or "")
    record = _send_job(batch.id)
    assert record.status is JobStatus.QUEUED  # attempts left: the retry sends the same batch
    run_job(record.id)
    db.session.refresh(batch)
    assert batch.status is PayoutBatchStatus.SENT
    _assert_paid_once(team, paypal, batch)


def test_timeout_after_paypal_accepted_the_batch(paypal_ctx, paypal):
    team = build_team({"a@pay.example": 2, "b@pay.example": 1})
    batch = _approved_batch(team)
    paypal.answer_late(CREATE, times=2, method="POST")  # processed, answered too late
    _send(team, batch)
    assert batch.status is PayoutBatchStatus.SENDING
    assert paypal.batches_created == 1  # PayPal holds it; we do not know yet
    run_job(_send_job(batch.id).id)  # the retry replays the same request: no second batch
    db.session.refresh(batch)
    assert batch.status is PayoutBatchStatus.SENT
    _assert_paid_once(team, paypal, batch)


def test_connection_dropped_after_accept_is_reconciled_by_the_sweep(paypal_ctx, paypal):
    team = build_team({"a@pay.example": 2, "b@pay.example": 1})
    batch = _approved_batch(team)
    paypal.drop_after_accept(CREATE, times=2, method="POST")
    _send(team, batch)
    assert batch.status is PayoutBatchStatus.SENDING
    # The periodic sweep finds the batch stuck in "sending" and sends the same request.
    batch.last_checked_at = None
    record = _send_job(batch.id)
    record.status = JobStatus.FAILED  # the job gave up; only the sweep is left
    db.session.commit()
    assert sweep_payouts() == 1
    db.session.commit()
    db.session.refresh(batch)
    assert batch.status is PayoutBatchStatus.SENT
    _assert_paid_once(team, paypal, batch)


def test_worker_killed_between_send_and_commit(paypal_ctx, paypal, tmp_path):
    """A real process sends the batch and is SIGKILLed while PayPal's answer is on its way."""
    team = build_team({"a@pay.example": 2, "b@pay.example": 1})
    batch = _approved_batch(team)
    # Move the batch to "sending" without running the job here (as a queued RQ job would).
    paypal_ctx.config["TASKS_MODE"] = "thread"
    service.send_batch(batch, team.finance)
    db.session.flush()
    record_id = _send_job(batch.id).id
    db.session.info.pop("trove_pending_jobs", None)
    db.session.commit()
    paypal_ctx.config["TASKS_MODE"] = "sync"
    paypal.delay_next(CREATE, 30, method="POST")  # accepted at once, answered much later
    worker = start_worker(
        paypal_ctx,
        record_id,
        ("PAYPAL_CLIENT_ID", "PAYPAL_CLIENT_SECRET", "PAYPAL_BASE_URL", "LAB_NAME"),
    )
    kill_when(worker, lambda: paypal.batches_created > 0, within=30)
    assert paypal.batches_created == 1
    db.session.expire_all()
    batch = db.session.get(PayoutBatch, batch.id)
    assert batch.status is PayoutBatchStatus.SENDING and batch.paypal_batch_id is None
    # The job row is left "running"; the rerun (as the sweep would start it) reconciles.
    send_payout_batch(batch.id)
    db.session.refresh(batch)
    assert batch.status is PayoutBatchStatus.SENT and batch.paypal_batch_id
    _assert_paid_once(team, paypal, batch)


def _webhook(client, paypal, event_type, resource, *, valid=True):
    body = json.dumps(paypal.webhook_event(event_type, resource)).encode()
    return client.post(
        "/payouts/paypal/webhook",
        data=body,
        headers=paypal.webhook_headers(body, valid=valid),
    )


def _item_resource(paypal, batch, receiver: str) -> dict:
    remote = paypal.batch_by_sender_id(batch.sender_batch_id)
    item = next(i for i in remote.items if i.receiver == receiver)
    return item.to_json(paypal.base_url)


def test_duplicate_and_out_of_order_webhooks_pay_once(paypal_ctx, paypal):
    team = build_team({"a@pay.example": 2, "b@pay.example": 1})
    batch = _approved_batch(team)
    _send(team, batch)
    client = paypal_ctx.test_client()
    # A "succeeded" event that arrives before PayPal has finished: only a hint; the
    # re-read finds the item still pending, so nothing is settled.
    early = _item_resource(paypal, batch, "a@pay.example")
    early["transaction_status"] = "SUCCESS"
    assert _webhook(client, paypal, "PAYMENT.PAYOUTS-ITEM.SUCCEEDED", early).status_code == 200
    db.session.expire_all()
    assert ledger_totals(team.project) == {"in_batch": 450}
    paypal.advance(2)
    done = _item_resource(paypal, batch, "a@pay.example")
    for _ in range(2):  # PayPal delivers the same event twice
        assert _webhook(client, paypal, "PAYMENT.PAYOUTS-ITEM.SUCCEEDED", done).status_code == 200
    # An older event delivered last changes nothing.
    assert _webhook(client, paypal, "PAYMENT.PAYOUTSBATCH.PROCESSING", {
        "batch_header": {"payout_batch_id": batch.paypal_batch_id, "batch_status": "PROCESSING"}
    }).status_code == 200
    db.session.expire_all()
    batch = db.session.get(PayoutBatch, batch.id)
    assert batch.status is PayoutBatchStatus.COMPLETED
    assert ledger_totals(team.project) == {"paid": 450}
    assert sum(paypal.ledger.values()) == 450


def test_webhooks_with_a_bad_signature_or_body_are_refused(paypal_ctx, paypal):
    team = build_team({"a@pay.example": 1})
    batch = _approved_batch(team)
    _send(team, batch)
    client = paypal_ctx.test_client()
    paypal.advance(2)
    resource = _item_resource(paypal, batch, "a@pay.example")
    forged = _webhook(client, paypal, "PAYMENT.PAYOUTS-ITEM.SUCCEEDED", resource, valid=False)
    assert forged.status_code == 400
    body = b"not json"
    garbage = client.post(
        "/payouts/paypal/webhook", data=body, headers=paypal.webhook_headers(body)
    )
    assert garbage.status_code == 400
    db.session.expire_all()
    assert ledger_totals(team.project) == {"in_batch": 150}


def test_the_webhook_is_absent_without_paypal(client):
    assert client.post("/payouts/paypal/webhook", data=b"{}").status_code == 404
