"""Consent rules: withdrawing photos, purging files, retention, deleting an account.

Withdrawal belongs to the contributor alone: no team role is consulted and nothing the lab
does can block it. Functions flush but never commit; the view or job that calls one commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from trove.accounts import service as accounts
from trove.accounts.models import User
from trove.audit.service import record_event
from trove.errors import DomainError
from trove.exports import deletions
from trove.exports import service as exports
from trove.exports.models import RETENTION_ENDED, WITHDRAWN_IN_VERSION
from trove.extensions import db
from trove.files import get_storage
from trove.i18n import format_date
from trove.notifications.models import Notification
from trove.notifications.service import notify
from trove.payouts.models import OWED, Earning, EarningStatus
from trove.projects.models import Capability, Project, ProjectMember, ProjectStatus
from trove.projects.service import team_holding
from trove.security import local_url
from trove.submissions import spots
from trove.submissions.blurring import stored_file_needed
from trove.submissions.jobs import settle_blur_after_decision
from trove.submissions.models import Submission, SubmissionStatus
from trove.timeutil import utcnow

#: Days before a project's retention ends that its team is told.
RETENTION_NOTICE_DAYS = 7


# --- withdrawal -------------------------------------------------------------------------------


def withdrawable(
    user: User, *, ids: Iterable[int] = (), project_id: int | None = None
) -> list[Submission]:
    """Return ``user``'s photos that can still be withdrawn, by id or by project."""
    query = select(Submission).where(
        Submission.contributor_id == user.id, Submission.status != SubmissionStatus.WITHDRAWN
    )
    if project_id is not None:
        query = query.where(Submission.project_id == project_id)
    else:
        wanted = [i for i in ids if isinstance(i, int)]
        if not wanted:
            return []
        query = query.where(Submission.id.in_(wanted))
    return list(db.session.scalars(query.order_by(Submission.id)))


def request_withdrawal(submissions: list[Submission], user: User) -> int:
    """Withdraw ``user``'s photos at once: out of review and every new version.

    Archives of versions that hold one of them stop being served, the team members who
    downloaded those versions are asked to delete their copies, and the stored files are
    purged after each project's grace period. Earnings already approved stay payable.
    Returns how many photos were withdrawn.
    """
    if not submissions:
        raise DomainError(_("Choose at least one photo to withdraw."), status=422)
    if any(s.contributor_id != user.id for s in submissions):
        raise DomainError(_("You can only withdraw your own photos."), status=403)
    now = utcnow()
    by_project: dict[int, list[Submission]] = {}
    for submission in submissions:
        if submission.status is SubmissionStatus.WITHDRAWN:
            continue
        was = submission.status
        grace = timedelta(days=max(submission.project.withdrawal_grace_days, 0))
        # Compare-and-set, retried from whatever a reviewer or the media job just did:
        # nothing can block a withdrawal, and the counts follow the status actually left.
        while not spots.move_status(
            submission,
            submission.status,
            SubmissionStatus.WITHDRAWN,
            withdrawn_at=now,
            purge_after=now + grace,
        ):
            if submission.status is SubmissionStatus.WITHDRAWN:
                break
        record_event(
            user,
            "submission.withdrawn",
            submission,
            project_id=submission.project_id,
            previous_status=was.value,
        )
        settle_blur_after_decision(submission)  # its unblurred copy goes at once
        by_project.setdefault(submission.project_id, []).append(submission)
    db.session.flush()
    for photos in by_project.values():
        project = photos[0].project
        versions = exports.retire_archives([p.id for p in photos], WITHDRAWN_IN_VERSION)
        deletions.tell_downloaders(project, versions, [p.id for p in photos])
    return sum(len(p) for p in by_project.values())


# --- purging stored files -------------------------------------------------------------------


def purge_due(limit: int = 500) -> int:
    """Delete the stored files of photos whose purge time has come; return how many.

    Files go first, then the row is marked: a crash in between leaves a row the next run
    purges again (deleting a missing file is harmless), never a file nothing points at.
    """
    now = utcnow()
    due = list(
        db.session.scalars(
            select(Submission)
            .where(
                Submission.purge_after.is_not(None),
                Submission.purge_after <= now,
                Submission.purged_at.is_(None),
            )
            .order_by(Submission.purge_after)
            .limit(limit)
        )
    )
    if not due:
        return 0
    storage = get_storage()
    ids = {s.id for s in due}
    for submission in due:
        for name in (submission.quarantine_name, submission.unblurred_name):
            if name:
                storage.delete_quarantine(name)
        key = submission.storage_key
        if key and not stored_file_needed(key, ids):
            storage.delete_original(key)  # and every thumbnail
    for submission in due:
        submission.purged_at = now
        submission.storage_key = None
        submission.quarantine_name = None
        submission.unblurred_name = None
        record_event(None, "submission.purged", submission, project_id=submission.project_id)
    db.session.commit()
    return len(due)


# --- retention ----------------------------------------------------------------------------------


def retention_ends(project: Project) -> datetime | None:
    """Return when the project's stored photos are deleted (None if it has not closed)."""
    if project.closed_at is None or project.retention_days is None:
        return None
    return project.closed_at + timedelta(days=project.retention_days)


def _team(project: Project) -> list[User]:
    return [m.user for m in team_holding(project, Capability.VIEW)]


def apply_retention() -> int:
    """Warn teams before retention ends, then schedule every stored photo for purging."""
    now = utcnow()
    projects = db.session.scalars(
        select(Project).where(
            Project.status == ProjectStatus.CLOSED,
            Project.closed_at.is_not(None),
            Project.retention_days.is_not(None),
            Project.files_purged_at.is_(None),
        )
    )
    purged = 0
    for project in projects:
        ends = retention_ends(project)
        assert ends is not None
        if ends <= now:
            _end_retention(project, now)
            purged += 1
        elif project.retention_notice_at is None and ends - now <= timedelta(
            days=RETENTION_NOTICE_DAYS
        ):
            project.retention_notice_at = now
            for member in _team(project):
                notify(
                    member,
                    "retention",
                    _l(
                        "The retention period of “%(title)s” ends on %(date)s. Its photos "
                        "and dataset archives will then be deleted from Trove.",
                        title=project.title,
                        # The date too is written in each member's language.
                        date=LazyString(format_date, ends.date()),
                    ),
                    local_url("exports.project_datasets", project_id=project.id),
                    email_subject=_l(
                        "Photos of %(title)s will be deleted soon", title=project.title
                    ),
                )
            record_event(None, "project.retention_notice", project, project_id=project.id)
    db.session.commit()
    return purged


def _end_retention(project: Project, now: datetime) -> None:
    db.session.execute(
        update(Submission)
        .where(Submission.project_id == project.id, Submission.purged_at.is_(None))
        .where(or_(Submission.purge_after.is_(None), Submission.purge_after > now))
        .values(purge_after=now)
        .execution_options(synchronize_session=False)
    )
    ids = db.session.scalars(select(Submission.id).where(Submission.project_id == project.id))
    exports.retire_archives(list(ids), RETENTION_ENDED)
    project.files_purged_at = now
    record_event(None, "project.retention_ended", project, project_id=project.id)
    for member in _team(project):
        notify(
            member,
            "retention",
            _l(
                "The retention period of “%(title)s” has ended. Its photos and dataset "
                "archives are being deleted from Trove; delete your own copies too.",
                title=project.title,
            ),
            local_url("exports.project_datasets", project_id=project.id),
            email_subject=_l("Photos of %(title)s deleted: retention ended", title=project.title),
        )


# --- deleting an account -------------------------------------------------------------------------


@dataclass
class DeletionCheck:
    """What stands between a contributor and deleting their account."""

    payable: dict[str, int]  # currency → minor units owed and not yet in a payment
    in_flight: int  # earnings in a payment that has not finished
    photos: int  # photos not withdrawn
    team_roles: int  # memberships of project teams

    @property
    def blocked_reason(self) -> str | None:
        """Return why the account cannot be deleted now, if it cannot."""
        if self.team_roles:
            return _("You are on a project team. Ask an admin to take you off every team first.")
        if self.in_flight:
            return _(
                "A payment to you is on its way. You can delete your account once it has "
                "arrived or failed."
            )
        return None


def check_account_deletion(user: User) -> DeletionCheck:
    """Return what deleting ``user``'s account would affect."""
    payable: dict[str, int] = {}
    for currency, amount in db.session.execute(
        select(Earning.currency, func.sum(Earning.amount_minor))
        .where(Earning.contributor_id == user.id, Earning.status.in_(OWED))
        .where(Earning.payout_item_id.is_(None))
        .group_by(Earning.currency)
    ):
        payable[currency] = int(amount or 0)
    in_flight = db.session.scalar(
        select(func.count())
        .select_from(Earning)
        .where(
            Earning.contributor_id == user.id,
            or_(Earning.status == EarningStatus.IN_BATCH, Earning.payout_item_id.is_not(None)),
            Earning.status != EarningStatus.PAID,
        )
    )
    photos = db.session.scalar(
        select(func.count())
        .select_from(Submission)
        .where(
            Submission.contributor_id == user.id, Submission.status != SubmissionStatus.WITHDRAWN
        )
    )
    roles = db.session.scalar(
        select(func.count()).select_from(ProjectMember).where(ProjectMember.user_id == user.id)
    )
    return DeletionCheck(payable, int(in_flight or 0), int(photos or 0), int(roles or 0))


def delete_account(
    user: User, password: str, *, withdraw_photos: bool, forfeit_earnings: bool
) -> None:
    """Erase ``user``'s personal data; withdraw or keep their photos under a pseudonym."""
    if accounts.authenticate(user.email, password) is None:
        raise DomainError(_("That is not your password."), field="password", status=422)
    if user.is_admin or user.is_lab_member:
        raise DomainError(
            _("Lab members and admins are removed by an admin, not by deleting the account."),
            status=403,
        )
    check = check_account_deletion(user)
    if check.blocked_reason:
        raise DomainError(check.blocked_reason, status=409)
    if check.payable and not forfeit_earnings:
        raise DomainError(
            _(
                "You are still owed money. Add your PayPal e-mail and wait for the next "
                "payment, or tick the box to give it up."
            ),
            field="forfeit",
            status=409,
        )
    now = utcnow()
    if withdraw_photos:
        photos = list(
            db.session.scalars(
                select(Submission).where(
                    Submission.contributor_id == user.id,
                    Submission.status != SubmissionStatus.WITHDRAWN,
                )
            )
        )
        if photos:
            request_withdrawal(photos, user)
    if check.payable:
        db.session.execute(
            update(Earning)
            .where(
                Earning.contributor_id == user.id,
                Earning.status.in_(OWED),
                Earning.payout_item_id.is_(None),
            )
            .values(status=EarningStatus.FORFEITED)
            .execution_options(synchronize_session=False)
        )
    # File names can carry a person's name; the photos themselves are already stripped.
    db.session.execute(
        update(Submission)
        .where(Submission.contributor_id == user.id)
        .values(original_filename="photo")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
    record_event(
        user,
        "account.deleted",
        user,
        withdrew_photos=withdraw_photos,
        forfeited={k: v for k, v in check.payable.items()} if forfeit_earnings else {},
    )
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.display_name = "Former contributor"
    user.password_hash = accounts.hash_password(secrets.token_urlsafe(32))
    user.paypal_email = None
    user.country = None
    user.active = False
    user.login_id = secrets.token_hex(16)  # ends every session
    user.deleted_at = now
    db.session.flush()
