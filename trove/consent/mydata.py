"""A person's own data as one zip: profile, photos, reviews, appeals, consent, money,
questions and answers, notifications and contest wins."""

from __future__ import annotations

import json
import tempfile
import zipfile
from typing import IO, Any

from sqlalchemy import select

from trove.accounts.models import User
from trove.contests.models import ContestWinner
from trove.discussions.models import Post
from trove.exports.service import versions_with
from trove.extensions import db
from trove.media.storage import Storage
from trove.notifications.models import Notification
from trove.payouts.models import Earning, PayoutItem
from trove.submissions.models import Submission
from trove.submissions.service import reason_text

_EXT = {"jpeg": "jpg", "png": "png", "webp": "webp"}
SPOOL_BYTES = 8 * 1024 * 1024  # beyond this the zip is written to a temporary file


def _iso(moment: Any) -> str | None:
    return moment.replace(microsecond=0).isoformat() + "Z" if moment else None


def _photo(submission: Submission) -> dict[str, Any]:
    ext = _EXT.get(submission.stored_format or "", "")
    return {
        "id": submission.id,
        "project": {"id": submission.project_id, "title": submission.project.title},
        "file": f"photos/{submission.id}.{ext}" if submission.storage_key else None,
        "original_file_name": submission.original_filename or None,
        "sent_at": _iso(submission.created_at),
        "status": submission.status.value,
        "decline_reason": reason_text(submission),
        "reviewer_note": submission.reviewer_note,
        "appeal": _appeal(submission),
        "reviewed_at": _iso(submission.reviewed_at),
        "withdrawn_at": _iso(submission.withdrawn_at),
        "file_deleted_at": _iso(submission.purged_at),
        "consent": {
            "brief_version": submission.brief_version.number,
            "licence_sha256": submission.licence_hash,
            "licence_text": submission.brief_version.licence_text,
            "agreed_at": _iso(submission.consented_at),
        },
        "dataset_versions": [
            {
                "version": v.number,
                "uses": [
                    {"kind": u.kind.value, "description": u.description, "url": u.url}
                    for u in v.uses
                ],
            }
            for v in versions_with(submission)
        ],
    }


def _appeal(submission: Submission) -> dict[str, Any] | None:
    appeal = getattr(submission, "appeal", None)
    if appeal is None:
        return None
    return {
        "message": appeal.message,
        "sent_at": _iso(appeal.created_at),
        "resolved_at": _iso(appeal.resolved_at),
        "outcome": appeal.outcome,
    }


def _post(post: Post) -> dict[str, Any]:
    """Return one of the person's posts, with the visible answers to their questions."""
    data: dict[str, Any] = {
        "id": post.id,
        "project": post.project_id,
        "kind": "question" if post.is_question else "reply",
        "in_reply_to": post.parent_id,
        "text": post.body,
        "posted_at": _iso(post.created_at),
        "edited_at": _iso(post.edited_at),
        "deleted_at": _iso(post.deleted_at),
    }
    if post.is_question:
        data["replies"] = [
            {
                "id": reply.id,
                "text": reply.body,
                "posted_at": _iso(reply.created_at),
                "official_answer": reply.is_official,
                "yours": reply.author_id == post.author_id,
            }
            for reply in post.shown_replies
            if not reply.is_hidden
        ]
    return data


def _owned(model: Any, owner_column: Any, user: User) -> list[Any]:
    """Return the rows of ``model`` whose ``owner_column`` is ``user``, oldest first."""
    return list(db.session.scalars(select(model).where(owner_column == user.id).order_by(model.id)))


def write_my_data(user: User, storage: Storage, out: IO[bytes]) -> None:
    """Write everything Trove holds about ``user`` as a zip to ``out``."""
    submissions = _owned(Submission, Submission.contributor_id, user)
    earnings = _owned(Earning, Earning.contributor_id, user)
    payments = _owned(PayoutItem, PayoutItem.contributor_id, user)
    posts = _owned(Post, Post.author_id, user)
    notifications = _owned(Notification, Notification.user_id, user)
    wins = _owned(ContestWinner, ContestWinner.user_id, user)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        _json(
            zf,
            "profile.json",
            {
                "email": user.email,
                "display_name": user.display_name,
                "paypal_email": user.paypal_email,
                "country": user.country,
                "role": user.role.value,
                "joined_at": _iso(user.created_at),
                "last_login_at": _iso(user.last_login_at),
            },
        )
        _json(zf, "photos.json", [_photo(s) for s in submissions])
        _json(
            zf,
            "earnings.json",
            [
                {
                    "photo": e.submission_id,
                    "project": e.project_id,
                    "amount": e.amount_minor,
                    "currency": e.currency,
                    "status": e.status.value,
                    "approved_at": _iso(e.created_at),
                    "paid_at": _iso(e.paid_at),
                }
                for e in earnings
            ],
        )
        _json(
            zf,
            "payments.json",
            [
                {
                    "id": p.id,
                    "amount": p.amount_minor,
                    "currency": p.currency,
                    "paypal_email": p.receiver,
                    "status": p.status.value,
                    "settled_at": _iso(p.settled_at),
                    "project": p.batch.project_id,
                }
                for p in payments
            ],
        )
        _json(zf, "questions.json", [_post(p) for p in posts])
        _json(
            zf,
            "notifications.json",
            [
                {
                    "kind": n.kind,
                    "text": n.text,
                    "link": n.url,
                    "sent_at": _iso(n.created_at),
                    "read_at": _iso(n.read_at),
                }
                for n in notifications
            ],
        )
        _json(
            zf,
            "contest_wins.json",
            [
                {
                    "contest": w.contest.title,
                    "project": w.contest.project_id,
                    "prize": w.contest.prize,
                    "rank": w.rank,
                    "entries": w.entries,
                    "drawn_at": _iso(w.contest.drawn_at),
                    "prize_sent": w.fulfilment,
                    "prize_sent_at": _iso(w.fulfilled_at),
                }
                for w in wins
            ],
        )
        for submission in submissions:
            if submission.storage_key and storage.exists(submission.storage_key):
                ext = _EXT[submission.stored_format or "jpeg"]
                info = zipfile.ZipInfo(f"photos/{submission.id}.{ext}")
                info.compress_type = zipfile.ZIP_STORED
                with (
                    storage.open_original(submission.storage_key) as source,
                    zf.open(info, "w") as target,
                ):
                    while chunk := source.read(1024 * 1024):
                        target.write(chunk)
        zf.writestr(
            "README.txt",
            "Your data from Trove.\n\nprofile.json - your account\nphotos.json - every photo "
            "you sent, its original file name, consent receipt, review (decline reason and "
            "the reviewer's note), appeal, withdrawal and the dataset versions that include "
            "it\nphotos/ - your photos as stored (location and device data removed)\n"
            "earnings.json, payments.json - what you earned and how it was paid\n"
            "questions.json - the questions and replies you wrote, with the answers to your "
            "questions\nnotifications.json - every notification sent to you\n"
            "contest_wins.json - the contests you won and how each prize was sent\n",
        )


def _json(zf: zipfile.ZipFile, name: str, data: Any) -> None:
    zf.writestr(name, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def my_data_file(user: User, storage: Storage) -> IO[bytes]:
    """Return a rewound temporary file holding ``user``'s data zip."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - sent, then closed
    write_my_data(user, storage, spool)
    spool.seek(0)
    return spool  # type: ignore[return-value]
