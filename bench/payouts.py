"""Benchmark a payout run: 10,000 approved photos of 2,000 contributors paid through PayPal.

Seeds a project (as bench/review.py does), approves every photo with one earning each,
then times what a finance member sets off: plan and prepare the batch, approve it, send it
to PayPal (the job: one create call) and read the outcome back (paged GETs) until every
earning is paid. PayPal is the local server that speaks the Payouts API
(tests/paypal_server.py) on 127.0.0.1.

Reference, in the same run: a bare client that POSTs the same batch body with httpx and
pages through the result, doing nothing else — the floor for the network part. Also
reported: PayPal calls made, and payments versus the one-payment-per-photo a naive design
would send (each payment costs the lab a PayPal fee).

Run from the repository root:  .venv/bin/python bench/payouts.py [--photos 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from sqlalchemy import func, insert, select, update  # noqa: E402

from bench.review import QueryCounter, seed  # noqa: E402
from tests.paypal_server import FakePayPal  # noqa: E402
from trove import create_app  # noqa: E402
from trove.accounts.models import User  # noqa: E402
from trove.extensions import db  # noqa: E402
from trove.payouts import service  # noqa: E402
from trove.payouts.jobs import refresh_payout_batch  # noqa: E402
from trove.payouts.models import Earning, EarningStatus, PayoutBatchStatus  # noqa: E402
from trove.projects.models import Project  # noqa: E402
from trove.submissions.models import Submission, SubmissionStatus  # noqa: E402


def approve_all(project_id: int) -> int:
    """Give every contributor a PayPal address and every photo its earning."""
    db.session.execute(update(User).values(paypal_email=User.email))
    db.session.execute(
        update(Submission)
        .where(Submission.project_id == project_id)
        .values(status=SubmissionStatus.APPROVED)
    )
    rows = db.session.execute(
        select(Submission.id, Submission.contributor_id, Submission.brief_version_id).where(
            Submission.project_id == project_id
        )
    ).all()
    for start in range(0, len(rows), 5000):
        db.session.execute(
            insert(Earning),
            [
                {
                    "submission_id": sid,
                    "project_id": project_id,
                    "contributor_id": cid,
                    "brief_version_id": vid,
                    "amount_minor": 100,
                    "currency": "USD",
                    "status": EarningStatus.UNPAID,
                }
                for sid, cid, vid in rows[start : start + 5000]
            ],
        )
    db.session.commit()
    return len(rows)


def bare_run(paypal: FakePayPal, body: dict) -> tuple[float, int]:
    """POST the same batch and page through it with plain httpx; return (seconds, calls)."""
    calls = 0
    started = time.perf_counter()
    with httpx.Client(base_url=paypal.base_url, timeout=60) as http:
        token = http.post(
            "/v1/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(paypal.client_id, paypal.secret),
        ).json()["access_token"]
        calls += 1
        headers = {"Authorization": f"Bearer {token}"}
        created = http.post("/v1/payments/payouts", json=body, headers=headers).json()
        calls += 1
        batch_id = created["batch_header"]["payout_batch_id"]
        paypal.advance(2)
        page = 1
        while True:
            data = http.get(
                f"/v1/payments/payouts/{batch_id}",
                params={"page": page, "page_size": 1000},
                headers=headers,
            ).json()
            calls += 1
            if len(data.get("items") or []) < 1000:
                break
            page += 1
    return time.perf_counter() - started, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakePayPal() as paypal:
        app = create_app(
            {
                "SECRET_KEY": "bench",
                "DATABASE_URL": f"sqlite:///{tmp}/trove.sqlite3",
                "STORAGE_DIR": f"{tmp}/storage",
                "TASKS_MODE": "sync",
                "MAIL_BACKEND": "memory",
                "ARGON2_TIME_COST": 1,
                "ARGON2_MEMORY_COST": 64,
                "PAYPAL_CLIENT_ID": paypal.client_id,
                "PAYPAL_CLIENT_SECRET": paypal.secret,
                "PAYPAL_BASE_URL": paypal.base_url,
            }
        )
        with app.test_request_context("/"):
            project_id, owner_email = seed(args.photos)
            photos = approve_all(project_id)
            project = db.session.get(Project, project_id)
            owner = db.session.scalar(select(User).where(User.email == owner_email))
            contributors = db.session.scalar(
                select(func.count(func.distinct(Earning.contributor_id)))
            )
            timings: dict[str, float] = {}
            cpu: dict[str, float] = {}
            statements: dict[str, int] = {}
            counter = QueryCounter(db.engine)

            counter.count = 0
            start, start_cpu = time.perf_counter(), time.process_time()
            [batch] = service.prepare_batch(project, owner)
            db.session.commit()
            timings["prepare"] = time.perf_counter() - start
            cpu["prepare"] = time.process_time() - start_cpu
            statements["prepare"], counter.count = counter.count, 0

            start, start_cpu = time.perf_counter(), time.process_time()
            service.approve_batch(batch, owner)
            service.send_batch(batch, owner)
            db.session.commit()  # the send job runs here
            timings["send"] = time.perf_counter() - start
            cpu["send"] = time.process_time() - start_cpu
            statements["send"], counter.count = counter.count, 0
            db.session.refresh(batch)
            assert batch.status is PayoutBatchStatus.SENT, batch.last_error

            paypal.advance(2)
            start, start_cpu = time.perf_counter(), time.process_time()
            refresh_payout_batch(batch.id)
            timings["settle"] = time.perf_counter() - start
            cpu["settle"] = time.process_time() - start_cpu
            statements["settle"], counter.count = counter.count, 0
            db.session.refresh(batch)
            assert batch.status is PayoutBatchStatus.COMPLETED
            paid = db.session.scalar(
                select(func.count()).where(Earning.status == EarningStatus.PAID)
            )
            assert paid == photos
            ours_calls = len(paypal.calls)
            sent = next(r for r in paypal.requests if r.method == "POST" and "payouts" in r.path)

        body = json.loads(sent.body)
        body["sender_batch_header"]["sender_batch_id"] = "bare-reference-1"
        bare_seconds, bare_calls = bare_run(paypal, body)

    total = sum(timings.values())
    total_cpu = sum(cpu.values())
    print(f"{photos:,} approved photos of {contributors:,} contributors, USD 1.00 each")
    print("                                                    wall      CPU")
    for key, label in (
        ("prepare", "prepare (plan, batch, items, earnings moved)"),
        ("send", "approve + send (job: one create call)"),
        ("settle", "read back and settle every item"),
    ):
        print(f"  {label:<44} {timings[key] * 1000:8.0f} {cpu[key] * 1000:8.0f} ms")
    print(f"  {'whole run':<44} {total * 1000:8.0f} {total_cpu * 1000:8.0f} ms")
    print("  SQL statements: " + ", ".join(f"{k} {v:,}" for k, v in statements.items()))
    # CPU is this process's (the local PayPal server's threads included): what the run
    # costs when the machine is not shared; wall time is what a finance member waits.
    print(
        f"  target whole run <= 3 s: wall {'met' if total <= 3 else 'MISSED'}, "
        f"CPU {'met' if total_cpu <= 3 else 'MISSED'}"
    )
    print(f"  PayPal calls: {ours_calls} (token, create, {ours_calls - 2} pages/reads)")
    print(
        f"  payments sent: {batch.item_count:,} (one per contributor) instead of {photos:,}"
        f" one per photo: {photos / batch.item_count:.1f}x fewer PayPal fees"
    )
    print(
        f"bare httpx create + read of the same batch: {bare_seconds * 1000:.0f} ms, "
        f"{bare_calls} calls"
    )
    network = timings["send"] + timings["settle"]
    print(f"ratio send+settle / bare: {network / bare_seconds:.2f}x")
    print(
        json.dumps(
            {
                "photos": photos,
                "total_s": round(total, 3),
                "total_cpu_s": round(total_cpu, 3),
                "bare_s": round(bare_seconds, 3),
                "ratio_send_settle_vs_bare": round(network / bare_seconds, 2),
                "verdict": "PASS" if total <= 3 else "MISS",
                "load_average": round(os.getloadavg()[0], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
