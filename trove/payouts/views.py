"""Payout pages: prepare, approve and send batches; manual payment; exports; my earnings."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date

from flask import Blueprint, Response, abort, current_app, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from trove.accounts.models import User
from trove.audit.service import record_event
from trove.errors import DomainError
from trove.extensions import csrf, db
from trove.htmx import apply_change, redirect_after_change, refuse_change, render
from trove.ids import parse_id
from trove.payouts import exports, queries, service
from trove.payouts.client import paypal_client, paypal_configured
from trove.payouts.models import PayoutBatch
from trove.payouts.paypal import AuthError, TransientError
from trove.projects.access import load_project
from trove.projects.models import Capability
from trove.timeutil import utcnow

log = logging.getLogger(__name__)

bp = Blueprint("payouts", __name__)

CHANGED = "payout-changed"
ITEMS_SHOWN = 200
PREVIEW_SHOWN = 100


def _load_batch(batch_id: int) -> PayoutBatch:
    """Load a batch: 404 if its project is invisible, 403 without finance on it."""
    batch = db.session.get(PayoutBatch, batch_id)
    if batch is None:
        abort(404)
    load_project(batch.project_id, Capability.FINANCE)
    return batch


def _csv_response(body: str, filename: str) -> Response:
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- project overview ------------------------------------------------------------------------


@bp.get("/projects/<int:project_id>/payouts")
@login_required
def project_payouts(project_id: int) -> Response:
    """Show what the project owes, a preview of the next batch, and its batches."""
    project = load_project(project_id, Capability.FINANCE)
    today = utcnow().date()
    return render(
        "payouts/project.html",
        project=project,
        balances=queries.project_balances(project),
        plan=service.plan_payouts(project),
        batches=queries.project_batches(project),
        paypal=paypal_configured(),
        four_eyes=current_app.config["PAYOUT_FOUR_EYES"],
        preview_shown=PREVIEW_SHOWN,
        export_from=date(today.year, 1, 1),
        export_to=today,
    )


@bp.post("/projects/<int:project_id>/payouts/prepare")
@login_required
def prepare(project_id: int) -> Response:
    """Prepare draft batches from every payable earning of the project."""
    project = load_project(project_id, Capability.FINANCE)
    return apply_change(
        lambda: service.prepare_batch(project, current_user),
        done=_prepared,
        on_error=url_for("payouts.project_payouts", project_id=project.id),
    )


def _prepared(batches: list[PayoutBatch]) -> Response:
    if len(batches) == 1:
        return redirect_after_change(
            url_for("payouts.batch", batch_id=batches[0].id),
            flash=_("Batch prepared. Check it, then approve it."),
            trigger=CHANGED,
        )
    return redirect_after_change(
        url_for("payouts.project_payouts", project_id=batches[0].project_id),
        flash=ngettext(
            "%(num)d batch prepared (one per currency and size limit).",
            "%(num)d batches prepared (one per currency and size limit).",
            len(batches),
        ),
        trigger=CHANGED,
    )


# --- one batch -------------------------------------------------------------------------------


def _batch_context(batch: PayoutBatch, error: str | None = None) -> dict[str, object]:
    four_eyes = bool(current_app.config["PAYOUT_FOUR_EYES"])
    return {
        "batch": batch,
        "project": batch.project,
        "counts": queries.item_counts(batch),
        "items": queries.batch_items(batch, ITEMS_SHOWN),
        "items_shown": ITEMS_SHOWN,
        "paypal": paypal_configured(),
        "four_eyes": four_eyes,
        "may_approve": not (four_eyes and batch.created_by_id == current_user.id),
        "error": error,
    }


@bp.get("/payouts/batches/<int:batch_id>")
@login_required
def batch(batch_id: int) -> Response:
    """Show a batch and its payments (the live part re-requests itself while in flight)."""
    payout_batch = _load_batch(batch_id)
    return render("payouts/batch.html", block="live", **_batch_context(payout_batch))


def _change(batch_id: int, action: Callable[[PayoutBatch, User], object], done: str) -> Response:
    payout_batch = _load_batch(batch_id)
    location = url_for("payouts.batch", batch_id=batch_id)
    return apply_change(
        lambda: action(payout_batch, current_user),
        done=lambda _result: redirect_after_change(
            location,
            flash=done,
            template="payouts/batch.html",
            block="live",
            trigger=CHANGED,
            **_batch_context(payout_batch),
        ),
        on_error=lambda error: refuse_change(
            location,
            error,
            template="payouts/batch.html",
            block="live",
            **_batch_context(payout_batch, error.message),
        ),
    )


@bp.post("/payouts/batches/<int:batch_id>/approve")
@login_required
def approve(batch_id: int) -> Response:
    """Approve a draft batch."""
    return _change(batch_id, service.approve_batch, _("Batch approved. It can be sent now."))


@bp.post("/payouts/batches/<int:batch_id>/cancel")
@login_required
def cancel(batch_id: int) -> Response:
    """Cancel a batch not yet sent; its earnings become payable again."""
    return _change(
        batch_id, service.cancel_batch, _("Batch cancelled. Its earnings are payable again.")
    )


@bp.post("/payouts/batches/<int:batch_id>/send")
@login_required
def send(batch_id: int) -> Response:
    """Send an approved batch to PayPal (or to manual payment without credentials)."""
    message = (
        _("Batch handed to PayPal. This page follows its progress.")
        if paypal_configured()
        else _("Batch ready for manual payment: download the PayPal file, pay, then mark it.")
    )
    return _change(batch_id, service.send_batch, message)


@bp.post("/payouts/batches/<int:batch_id>/refresh")
@login_required
def refresh(batch_id: int) -> Response:
    """Ask PayPal for the batch's current state now."""
    return _change(batch_id, service.request_refresh, _("Asking PayPal for the latest state."))


@bp.post("/payouts/batches/<int:batch_id>/mark")
@login_required
def mark(batch_id: int) -> Response:
    """Record manual payments: one item (``item``) or every pending one (``all``)."""
    item = request.form.get("item", "")
    item_id = parse_id(item)
    item_ids = None if request.form.get("all") else [] if item_id is None else [item_id]
    outcome = request.form.get("outcome", "")
    note = request.form.get("note")

    def action(payout_batch: PayoutBatch, user: User) -> int:
        if item_ids == []:
            raise DomainError(_("Choose a payment to mark."), status=422)
        return service.mark_items(payout_batch, user, outcome, item_ids, note)

    return _change(batch_id, action, _("Payments recorded."))


@bp.get("/payouts/batches/<int:batch_id>/paypal.csv")
@login_required
def upload_file(batch_id: int) -> Response:
    """Download a manual batch as the file PayPal's Payouts web upload takes (audited)."""
    payout_batch = _load_batch(batch_id)
    if not payout_batch.manual:
        abort(
            409, _("Only a batch paid by hand has an upload file; this one goes through the API.")
        )
    body = exports.manual_upload_csv(payout_batch)
    record_event(
        current_user,
        "payout.csv_downloaded",
        payout_batch,
        project_id=payout_batch.project_id,
        rows=body.count("\r\n"),
    )
    db.session.commit()
    return _csv_response(body, f"{payout_batch.sender_batch_id}.csv")


# --- finance exports -------------------------------------------------------------------------


def _date_arg(name: str, default: date) -> date:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400, _("“%(name)s” must be a date like 2026-01-31.", name=name))


@bp.get("/projects/<int:project_id>/payouts/export.csv")
@login_required
def export_payments(project_id: int) -> Response:
    """Download every payment of a period (``from``, ``to``, inclusive) as CSV (audited)."""
    project = load_project(project_id, Capability.FINANCE)
    today = utcnow().date()
    start = _date_arg("from", date(today.year, 1, 1))
    end = _date_arg("to", today)
    if start > end:
        abort(400, _("The start date is after the end date."))
    body, rows = exports.payments_csv(project, start, end)
    record_event(
        current_user,
        "payout.payments_exported",
        project,
        project_id=project.id,
        start=start.isoformat(),
        end=end.isoformat(),
        rows=rows,
    )
    db.session.commit()
    return _csv_response(body, f"payments-project-{project.id}-{start}-to-{end}.csv")


@bp.get("/projects/<int:project_id>/payouts/payees.csv")
@login_required
def export_payees(project_id: int) -> Response:
    """Download the total paid to each payee in a year as CSV (audited)."""
    project = load_project(project_id, Capability.FINANCE)
    raw = request.args.get("year", "").strip()
    year = parse_id(raw) if raw else utcnow().year
    if year is None or not 2000 <= year <= 9998:
        abort(400, _("Choose a year like 2026."))
    body, rows = exports.payees_csv(project, year)
    record_event(
        current_user, "payout.payees_exported", project, project_id=project.id, year=year, rows=rows
    )
    db.session.commit()
    return _csv_response(body, f"payees-project-{project.id}-{year}.csv")


# --- contributors ----------------------------------------------------------------------------


@bp.get("/me/earnings")
@login_required
def my_earnings() -> Response:
    """Show the contributor's balance, each earning with its photo, and each payment."""
    raw = request.args.get("before", "")
    earnings, next_before = queries.contributor_earnings(current_user, parse_id(raw))
    balances = queries.contributor_balances(current_user)
    return render(
        "payouts/earnings.html",
        block="earnings",
        balances=balances,
        earnings=earnings,
        next_before=next_before,
        payments=queries.contributor_payments(current_user),
        needs_email=not current_user.paypal_email and any(b.payable for b in balances),
    )


# --- PayPal webhooks -------------------------------------------------------------------------


@bp.post("/payouts/paypal/webhook")
def webhook() -> Response:
    """Receive a PayPal webhook: verify it with PayPal, then re-read the batch it names."""
    webhook_id = current_app.config.get("PAYPAL_WEBHOOK_ID")
    if not webhook_id or not paypal_configured():
        abort(404)
    body = request.get_data(cache=False)
    try:
        genuine = paypal_client().verify_webhook(
            webhook_id=webhook_id, headers=request.headers, body=body
        )
    except (TransientError, AuthError) as exc:
        log.warning("payouts: webhook verification unavailable: %s", exc)
        abort(503)  # PayPal delivers the event again later
    if not genuine:
        abort(400, "The webhook signature is not valid.")
    try:
        event = json.loads(body)
    except ValueError:
        abort(400, "The webhook body is not JSON.")
    if not isinstance(event, dict):
        abort(400, "The webhook body is not a PayPal event.")
    found = service.handle_webhook(event)
    db.session.commit()
    log.info(
        "payouts: webhook %s %s → batch %s",
        event.get("id"),
        event.get("event_type"),
        found.id if found else None,
    )
    return Response(status=200)


csrf.exempt(webhook)


@bp.app_template_filter("earning_badge")
def earning_badge(status: object) -> str:
    """Return the badge style for an earning status."""
    value = getattr(status, "value", str(status))
    return {"paid": "paid", "in_batch": "pending", "unpaid": "unpaid"}.get(value, "failed")
