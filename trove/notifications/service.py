"""Tell people about things that happened: an in-app list, and e-mail when asked.

Any feature may call :func:`notify`; like every service function it flushes but never
commits, and the e-mail (if any) goes out only after the caller's commit.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app, g, has_request_context
from flask_babel import LazyString
from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select, update

from trove.accounts.models import User
from trove.errors import DomainError
from trove.extensions import db
from trove.i18n import in_locale_of
from trove.mail import send_mail, site_url
from trove.notifications.models import Notification
from trove.security import safe_next
from trove.timeutil import utcnow

TEXT_MAX = 1000


def notify(
    user: User,
    kind: str,
    text: str | LazyString,
    url: str,
    *,
    email_subject: str | LazyString | None = None,
) -> Notification:
    """Add a notification for ``user``; also e-mail it if ``email_subject`` is given.

    Lazy texts (``_l``) are read here, in ``user``'s language, whoever is acting.
    """
    _check_url(url)
    with in_locale_of(user):
        text = _clip(str(text))
    notification = Notification(user_id=user.id, kind=kind[:40], text=text, url=url)
    db.session.add(notification)
    db.session.flush()
    if email_subject:
        _email(user, email_subject, text, url)
    return notification


def notify_many(
    notices: Sequence[tuple[int, str]],
    kind: str,
    url: str,
    *,
    email_subject: str | None = None,
) -> None:
    """Add one notification per ``(user id, text)`` in one INSERT; e-mail each if asked.

    For news that reaches many people at once (a payout batch settling): one executemany
    instead of a flush of one ORM object per person.
    """
    _check_url(url)
    rows = [
        {"user_id": user_id, "kind": kind[:40], "text": _clip(text), "url": url}
        for user_id, text in notices
    ]
    if not rows:
        return
    db.session.execute(insert(Notification.__table__), rows)  # Core: no per-row ORM work
    if email_subject:
        people = {
            user.id: user
            for user in db.session.scalars(
                select(User).where(User.id.in_({row["user_id"] for row in rows}))
            )
        }
        for row in rows:
            _email(people[row["user_id"]], email_subject, row["text"], url)


def _check_url(url: str) -> None:
    # Only links into this site: a notification must never send someone elsewhere.
    if safe_next(url, "") != url:
        raise ValueError(f"notification URLs must be local paths, not {url!r}")


def _clip(text: str) -> str:
    text = text.strip()
    return text[: TEXT_MAX - 1] + "…" if len(text) > TEXT_MAX else text


def _email(user: User, subject: str | LazyString, text: str, url: str) -> None:
    if not user.active:
        return
    with in_locale_of(user):  # a lazy subject (``_l``) reads in the recipient's language
        subject = str(subject)
    send_mail(
        user.email,
        " ".join(subject.split()),  # one header line, whatever the caller passed
        _email_body(user, text, url),
    )


def _email_body(user: User, text: str, url: str) -> str:
    """Return the e-mail around a notification's ``text``, in ``user``'s language."""
    with in_locale_of(user):
        return (
            "\n\n".join(
                [
                    _("Hello %(name)s,", name=user.display_name),
                    text,
                    _("Open it here:") + "\n" + site_url(url),
                    _(
                        "You get this e-mail because you have an account with %(lab)s.",
                        lab=current_app.config["LAB_NAME"],
                    ),
                ]
            )
            + "\n"
        )


def retract_unread(user: User, kind: str, url: str) -> int:
    """Delete ``user``'s unread ``kind`` notifications linking to ``url``; return how many.

    For news that is no longer true (an approval undone before it was read): the person
    is not told twice, nor told something that stopped being so.
    """
    result = db.session.execute(
        delete(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.kind == kind[:40],
            Notification.url == url,
            Notification.read_at.is_(None),
        )
        .execution_options(synchronize_session="fetch")
    )
    _forget_count(user)
    return int(result.rowcount or 0)


def unread_count(user: User) -> int:
    """Return how many of ``user``'s notifications are unread (one COUNT query)."""
    cache = g.setdefault("trove_unread_counts", {}) if has_request_context() else {}
    if user.id not in cache:
        cache[user.id] = (
            db.session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            )
            or 0
        )
    return int(cache[user.id])


def _forget_count(user: User) -> None:
    if has_request_context():
        g.setdefault("trove_unread_counts", {}).pop(user.id, None)


def notifications_for(user: User, page: int, per_page: int = 30):  # type: ignore[no-untyped-def]
    """Return one page of ``user``'s notifications, newest first."""
    return db.paginate(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        page=page,
        per_page=per_page,
        error_out=False,
        count=True,
    )


def find_notification(user: User, notification_id: int) -> Notification | None:
    """Return ``user``'s notification ``notification_id``, or None (others' are invisible)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        return None
    return notification


def mark_read(user: User, notification: Notification) -> None:
    """Mark one of ``user``'s notifications as read."""
    if notification.user_id != user.id:
        raise DomainError(_("Only its recipient can mark a notification read."), status=403)
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()
    _forget_count(user)


def mark_all_read(user: User) -> int:
    """Mark every unread notification of ``user`` as read; return how many changed."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    _forget_count(user)
    return int(result.rowcount or 0)
