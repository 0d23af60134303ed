"""CSV files: the PayPal Payouts web upload for manual mode, and finance-office exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from trove.accounts.models import User
from trove.extensions import db
from trove.i18n import in_locale_of
from trove.payouts.models import PayoutBatch, PayoutItem, PayoutItemStatus
from trove.payouts.paypal import format_amount
from trove.projects.models import Project

NOTE_MAX = 400  # PayPal's limit for the note column of an upload file
CUSTOMER_ID_MAX = 30


def _csv(rows: Iterable[Iterable[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue()


def _cell(value: Any) -> Any:
    """Keep spreadsheet programs from running a cell as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def payment_notes(batch: PayoutBatch) -> dict[int, str]:
    """Return, per item id, the note PayPal shows its recipient, in the contributor's
    language."""
    people = {
        user.id: user
        for user in db.session.scalars(  # one query, not one per item
            select(User).where(User.id.in_({item.contributor_id for item in batch.items}))
        )
    }
    notes = {}
    for item in batch.items:
        with in_locale_of(people.get(item.contributor_id)):
            notes[item.id] = ngettext(
                "%(num)d approved photo for “%(title)s”",
                "%(num)d approved photos for “%(title)s”",
                item.earning_count,
                title=batch.project.title,
            )
    return notes


def manual_upload_csv(batch: PayoutBatch) -> str:
    """Return the batch's unsettled items as a PayPal Payouts web upload file.

    PayPal's format has no header row; one payment per row: recipient e-mail, amount
    (decimal with a dot), currency, customer id (30 characters, no spaces), note to the
    recipient (400 characters) and the recipient wallet. One currency per file, at most
    5,000 rows (batches prepared without credentials are split to fit).
    """
    notes = payment_notes(batch)
    rows = []
    for item in batch.items:
        if item.status is not PayoutItemStatus.PENDING:
            continue
        rows.append(
            [
                item.receiver,
                format_amount(item.amount_minor, item.currency),
                item.currency,
                (item.sender_item_id or "")[:CUSTOMER_ID_MAX],
                notes[item.id][:NOTE_MAX],
                "PAYPAL",
            ]
        )
    return _csv(rows)


PAYMENT_COLUMNS = [
    "paid_at",
    "project_id",
    "project",
    "batch_id",
    "sender_batch_id",
    "paypal_batch_id",
    "sender_item_id",
    "paypal_item_id",
    "transaction_id",
    "payee_id",
    "payee_name",
    "paypal_email",
    "country",
    "currency",
    "amount",
    "photos",
    "method",
]


def paid_items(project: Project, start: date, end: date) -> list[PayoutItem]:
    """Return the project's successful payments settled from ``start`` to ``end`` inclusive."""
    return list(
        db.session.scalars(
            select(PayoutItem)
            .join(PayoutItem.batch)
            .where(
                PayoutBatch.project_id == project.id,
                PayoutItem.status == PayoutItemStatus.PAID,
                PayoutItem.settled_at >= datetime.combine(start, time.min),
                PayoutItem.settled_at < datetime.combine(end + timedelta(days=1), time.min),
            )
            .options(joinedload(PayoutItem.batch), joinedload(PayoutItem.contributor))
            .order_by(PayoutItem.settled_at, PayoutItem.id)
        )
    )


def payments_csv(project: Project, start: date, end: date) -> tuple[str, int]:
    """Return every payment of a period as CSV, and how many rows it has."""
    items = paid_items(project, start, end)
    rows: list[list[Any]] = [PAYMENT_COLUMNS]
    for item in items:
        batch, person = item.batch, item.contributor
        rows.append(
            [
                item.settled_at.isoformat(timespec="seconds") + "Z" if item.settled_at else "",
                project.id,
                _cell(project.title),
                batch.id,
                batch.sender_batch_id,
                batch.paypal_batch_id or "",
                item.sender_item_id,
                item.paypal_item_id or "",
                item.transaction_id or "",
                person.id,
                _cell(person.display_name),
                _cell(item.receiver),
                person.country or "",
                item.currency,
                format_amount(item.amount_minor, item.currency),
                item.earning_count,
                "manual" if batch.manual else "paypal",
            ]
        )
    return _csv(rows), len(items)


PAYEE_COLUMNS = [
    "year",
    "payee_id",
    "payee_name",
    "account_email",
    "paypal_email",
    "country",
    "currency",
    "payments",
    "photos",
    "total",
]


def payees_csv(project: Project, year: int) -> tuple[str, int]:
    """Return the total paid to each payee in ``year`` (one row per payee and currency)."""
    totals: dict[tuple[int, str], dict[str, Any]] = {}
    for item in paid_items(project, date(year, 1, 1), date(year, 12, 31)):
        row = totals.setdefault(
            (item.contributor_id, item.currency),
            {"person": item.contributor, "payments": 0, "photos": 0, "total": 0},
        )
        row["payments"] += 1
        row["photos"] += item.earning_count
        row["total"] += item.amount_minor
        row["receiver"] = item.receiver  # items come oldest first: keep the latest address
    rows: list[list[Any]] = [PAYEE_COLUMNS]
    for (_, currency), row in sorted(totals.items()):
        person = row["person"]
        rows.append(
            [
                year,
                person.id,
                _cell(person.display_name),
                _cell(person.email),
                _cell(row["receiver"]),
                person.country or "",
                currency,
                row["payments"],
                row["photos"],
                format_amount(row["total"], currency),
            ]
        )
    return _csv(rows), len(totals)
