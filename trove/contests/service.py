"""Contest rules: entries, referral bonuses, suspicious entrants, the committed draw.

The draw is verifiable. When a contest is created a random seed is made and only its
SHA-256 is published. At the draw the entries are frozen (pseudonym and number of entries
each), the seed is revealed, and winners are the entrants with the largest keys
``log(u) / entries``, where ``u`` comes from SHA-256 of ``"<seed>:<pseudonym>"`` (a
weighted draw without replacement: each entry is one ticket). Anyone can check the seed
against the commitment and re-run :func:`draw_order` on the published entries.

Functions flush but never commit; the view that calls one commits.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select

from trove.accounts.models import User
from trove.audit.service import record_event
from trove.contests.models import Contest, ContestStatus, ContestWinner
from trove.errors import DomainError
from trove.exports.service import pseudonym_for
from trove.extensions import db
from trove.i18n import format_datetime
from trove.notifications.service import notify
from trove.projects.models import Capability, Project
from trove.projects.service import can
from trove.projects.team import team_ever
from trove.review.rules import decided_by_someone_else
from trove.security import local_url
from trove.submissions.models import Submission, SubmissionStatus
from trove.timeutil import utcnow

MAX_WINNERS = 100
MAX_BONUS = 10
TEAM_EXCLUDED = _l("Is or was on the project team (the team cannot win its own contests).")


def _require_manager(user: User, project: Project) -> None:
    if not can(user, project, Capability.MANAGE):
        raise DomainError(_("Only the project's owners run contests."), status=403)


def commitment_for(seed: str) -> str:
    """Return the published commitment of a seed: its SHA-256."""
    return hashlib.sha256(seed.encode()).hexdigest()


@dataclass(frozen=True)
class ContestTerms:
    """What a contest promises: its name, prize, rules, window, winners and referral bonus."""

    title: str
    prize: str
    rules: str
    starts_at: datetime | None
    ends_at: datetime | None
    winner_count: int = 1
    referral_bonus: int = 0


def contest_problems(terms: ContestTerms) -> dict[str, str]:
    """Return a message for each field whose terms cannot start a contest (empty: none)."""
    problems: dict[str, str] = {}
    if not terms.title.strip() or len(terms.title) > 120:
        problems["title"] = _("Give the contest a name (up to %(max)s characters).", max=120)
    if not terms.prize.strip() or len(terms.prize) > 200:
        problems["prize"] = _("Describe the prize (up to %(max)s characters).", max=200)
    if not terms.rules.strip():
        problems["rules"] = _("Write the rules contributors agree to by taking part.")
    if terms.starts_at is None:
        problems["starts_at"] = _("Choose when the contest starts.")
    if terms.ends_at is None:
        problems["ends_at"] = _("Choose when the contest ends.")
    elif terms.starts_at is not None and terms.ends_at <= terms.starts_at:
        problems["ends_at"] = _("The contest must end after it starts.")
    if not 1 <= terms.winner_count <= MAX_WINNERS:
        problems["winner_count"] = _("Draw between 1 and %(max)s winners.", max=MAX_WINNERS)
    if not 0 <= terms.referral_bonus <= MAX_BONUS:
        problems["referral_bonus"] = _("A referral can earn 0 to %(max)s entries.", max=MAX_BONUS)
    return problems


def create_contest(project: Project, actor: User, terms: ContestTerms) -> Contest:
    """Start a contest and publish the commitment to its draw's seed."""
    _require_manager(actor, project)
    problems = contest_problems(terms)
    if problems:
        field_name, message = next(iter(problems.items()))
        raise DomainError(message, field=field_name, status=422)
    seed = secrets.token_hex(32)
    contest = Contest(
        project_id=project.id,
        title=terms.title.strip(),
        prize=terms.prize.strip(),
        rules=terms.rules.strip(),
        starts_at=terms.starts_at,
        ends_at=terms.ends_at,
        winner_count=terms.winner_count,
        referral_bonus=terms.referral_bonus,
        created_by_id=actor.id,
        seed=seed,
        seed_commitment=commitment_for(seed),
        excluded={},
    )
    db.session.add(contest)
    db.session.flush()
    record_event(
        actor,
        "contest.created",
        contest,
        project_id=project.id,
        commitment=contest.seed_commitment,
    )
    return contest


# --- entries --------------------------------------------------------------------------------


@dataclass
class Entrant:
    """One contributor's standing in a contest."""

    user: User
    pseudonym: str
    photos: int = 0
    referrals: int = 0
    entries: int = 0
    flags: list[str] = field(default_factory=list)
    excluded: str | None = None


def _approved_in_window(contest: Contest, *conditions: Any) -> Any:
    # A photo approved by its own contributor (before that was refused) earns no entry.
    return (
        select(Submission.contributor_id, func.count())
        .where(
            Submission.project_id == contest.project_id,
            Submission.status == SubmissionStatus.APPROVED,
            Submission.reviewed_at >= contest.starts_at,
            Submission.reviewed_at <= contest.ends_at,
            decided_by_someone_else(),
            *conditions,
        )
        .group_by(Submission.contributor_id)
    )


def standings(contest: Contest) -> list[Entrant]:
    """Return every entrant with entries and flags, most entries first.

    One entry per approved photo approved within the window (withdrawn photos are no
    longer approved, so they never count), plus the referral bonus for each person the
    entrant referred who had a photo approved in the window. Anyone who is or was on the
    project's team (and admins, who can decide on any photo) is excluded from the draw.
    """
    project = contest.project
    photos = dict(db.session.execute(_approved_in_window(contest)).all())
    referrals: dict[int, int] = {}
    if contest.referral_bonus and photos:
        for referrer_id, n in db.session.execute(
            select(User.referred_by_id, func.count())
            .where(User.id.in_(list(photos)), User.referred_by_id.is_not(None))
            .group_by(User.referred_by_id)
        ):
            referrals[referrer_id] = n
    ids = set(photos) | set(referrals)
    if not ids:
        return []
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    near = dict(
        db.session.execute(
            _approved_in_window(contest, Submission.near_duplicate_of_id.is_not(None))
        ).all()
    )
    team = team_ever(project)
    emails = [u.paypal_email.lower() for u in users.values() if u.paypal_email]
    shared = dict(
        db.session.execute(
            select(func.lower(User.paypal_email), func.count())
            .where(func.lower(User.paypal_email).in_(emails))
            .group_by(func.lower(User.paypal_email))
        ).all()
    )
    result = []
    for user_id in ids:
        user = users.get(user_id)
        if user is None:
            continue
        entrant = Entrant(
            user=user,
            pseudonym=pseudonym_for(project, user_id),
            photos=photos.get(user_id, 0),
            referrals=referrals.get(user_id, 0),
        )
        entrant.entries = entrant.photos + contest.referral_bonus * entrant.referrals
        others = shared.get((user.paypal_email or "").lower(), 1) - 1
        if others > 0:
            entrant.flags.append(
                ngettext(
                    "PayPal e-mail shared with %(num)d other account",
                    "PayPal e-mail shared with %(num)d other accounts",
                    others,
                )
            )
        if near.get(user_id):
            n = near[user_id]
            entrant.flags.append(
                ngettext(
                    "%(num)d photo flagged as near-duplicates",
                    "%(num)d photos flagged as near-duplicates",
                    n,
                )
            )
        if not user.active:
            entrant.excluded = _("The account was deleted.")
        entrant.excluded = contest.excluded.get(str(user_id), entrant.excluded)
        if user_id in team or can(user, project, Capability.VIEW):
            entrant.excluded = str(TEAM_EXCLUDED)
        result.append(entrant)
    return sorted(result, key=lambda e: (-e.entries, e.pseudonym))


def entries_of(user: User, contest: Contest) -> int:
    """Return how many entries ``user`` has in ``contest`` now."""
    return next((e.entries for e in standings(contest) if e.user.id == user.id), 0)


def exclude_entrant(contest: Contest, actor: User, pseudonym: str, reason: str) -> None:
    """Leave the entrant known as ``pseudonym`` out of the draw, with the reason (audited).

    The team knows entrants only by pseudonym, so that is how one is named here.
    """
    _require_manager(actor, contest.project)
    if contest.status is not ContestStatus.OPEN:
        raise DomainError(_("Entrants can only be excluded before the draw."))
    reason = " ".join(reason.split())[:200]
    if not reason:
        raise DomainError(_("Say why this entrant is excluded."), field="reason", status=422)
    entrant = next((e for e in standings(contest) if e.pseudonym == pseudonym), None)
    if entrant is None:
        raise DomainError(_("No entrant has that pseudonym in this contest."), status=422)
    contest.excluded = {**contest.excluded, str(entrant.user.id): reason}
    record_event(
        actor,
        "contest.entrant_excluded",
        contest,
        project_id=contest.project_id,
        user=entrant.user.id,
    )


# --- the draw -------------------------------------------------------------------------------


def _key(seed: str, pseudonym: str, entries: int) -> float:
    digest = hashlib.sha256(f"{seed}:{pseudonym}".encode()).digest()
    u = (int.from_bytes(digest, "big") + 0.5) / 2**256  # uniform in (0, 1)
    return math.log(u) / entries


def draw_order(seed: str, entries: list[dict[str, Any]]) -> list[str]:
    """Return the pseudonyms in the order the seed draws them (reproducible by anyone)."""
    eligible = [e for e in entries if e["entries"] > 0]
    ranked = sorted(
        eligible, key=lambda e: (-_key(seed, e["contributor"], e["entries"]), e["contributor"])
    )
    return [e["contributor"] for e in ranked]


def draw(contest: Contest, actor: User) -> list[ContestWinner]:
    """Freeze the entries, reveal the seed, pick and tell the winners."""
    _require_manager(actor, contest.project)
    if contest.status is not ContestStatus.OPEN:
        raise DomainError(_("This contest has already been drawn."))
    if utcnow() < contest.ends_at:
        raise DomainError(
            _(
                "The contest runs until %(date)s; draw after that.",
                date=format_datetime(contest.ends_at),
            )
        )
    entrants = [e for e in standings(contest) if e.excluded is None and e.entries > 0]
    if not entrants:
        raise DomainError(_("Nobody has an entry, so there is nothing to draw."))
    by_pseudonym = {e.pseudonym: e for e in entrants}
    frozen = sorted(
        ({"contributor": e.pseudonym, "entries": e.entries} for e in entrants),
        key=lambda row: row["contributor"],
    )
    order = draw_order(contest.seed, frozen)
    winners = []
    now = utcnow()
    for rank, pseudonym in enumerate(order[: contest.winner_count], start=1):
        entrant = by_pseudonym[pseudonym]
        winner = ContestWinner(
            contest_id=contest.id,
            rank=rank,
            user_id=entrant.user.id,
            pseudonym=pseudonym,
            entries=entrant.entries,
            flags=list(entrant.flags),
            notified_at=now,
        )
        db.session.add(winner)
        winners.append(winner)
        notify(
            entrant.user,
            "contest",
            _l(
                "You won “%(contest)s” for %(project)s: %(prize)s. "
                "The team will send your prize and record it here.",
                contest=contest.title,
                project=contest.project.title,
                prize=contest.prize,
            ),
            local_url("contests.contest", contest_id=contest.id),
            email_subject=_l("You won a prize: %(contest)s", contest=contest.title),
        )
    contest.entries = frozen
    contest.status = ContestStatus.DRAWN
    contest.drawn_at = now
    contest.drawn_by_id = actor.id
    db.session.flush()
    record_event(
        actor,
        "contest.drawn",
        contest,
        project_id=contest.project_id,
        seed=contest.seed,
        winners=[w.pseudonym for w in winners],
    )
    return winners


def cancel(contest: Contest, actor: User, reason: str) -> None:
    """Call an open contest off, say why, and tell everyone who had an entry (audited).

    The seed stays secret: nothing was drawn with it.
    """
    _require_manager(actor, contest.project)
    if contest.status is not ContestStatus.OPEN:
        raise DomainError(_("Only a contest that has not been drawn can be cancelled."))
    reason = " ".join(reason.split())[:300]
    if not reason:
        raise DomainError(
            _("Say why the contest is cancelled; entrants are told."), field="reason", status=422
        )
    entrants = [e for e in standings(contest) if e.entries > 0]
    contest.status = ContestStatus.CANCELLED
    contest.cancelled_at = utcnow()
    contest.cancel_reason = reason
    for entrant in entrants:
        notify(
            entrant.user,
            "contest",
            _l(
                "“%(contest)s” for %(project)s was cancelled: %(reason)s",
                contest=contest.title,
                project=contest.project.title,
                reason=reason,
            ),
            local_url("contests.contest", contest_id=contest.id),
        )
    db.session.flush()
    record_event(
        actor,
        "contest.cancelled",
        contest,
        project_id=contest.project_id,
        reason=reason,
        entrants=len(entrants),
    )


def verify(contest: Contest) -> bool:
    """Return whether a drawn contest's seed, commitment, entries and winners agree."""
    if contest.status is not ContestStatus.DRAWN or contest.entries is None:
        return False
    order = draw_order(contest.seed, contest.entries)
    return (
        commitment_for(contest.seed) == contest.seed_commitment
        and [w.pseudonym for w in contest.winners] == order[: len(contest.winners)]
    )


def record_fulfilment(winner: ContestWinner, actor: User, note: str) -> None:
    """Record how a winner's prize was delivered (a code or a note) and tell them."""
    contest = winner.contest
    _require_manager(actor, contest.project)
    note = note.strip()
    if not note or len(note) > 1000:
        raise DomainError(
            _("Write how the prize was delivered (a code or a note, up to 1,000 characters)."),
            field="fulfilment",
            status=422,
        )
    winner.fulfilment = note
    winner.fulfilled_at = utcnow()
    winner.fulfilled_by_id = actor.id
    notify(
        winner.user,
        "contest",
        _l(
            "Your prize for “%(contest)s” has been sent: %(note)s",
            contest=contest.title,
            note=note,
        ),
        local_url("contests.contest", contest_id=contest.id),
        email_subject=_l("Your prize: %(contest)s", contest=contest.title),
    )
    record_event(
        actor, "contest.prize_fulfilled", contest, project_id=contest.project_id, rank=winner.rank
    )


def contests_of(project: Project) -> list[Contest]:
    """Return the project's contests, newest first."""
    return list(
        db.session.scalars(
            select(Contest).where(Contest.project_id == project.id).order_by(Contest.id.desc())
        )
    )
