"""Contest pages: start one, follow the leaderboard, draw, verify, record prizes."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from trove.accounts.service import referral_code_for
from trove.contests import service
from trove.contests.forms import ContestForm
from trove.contests.models import Contest, ContestStatus, ContestWinner
from trove.errors import DomainError
from trove.extensions import db
from trove.htmx import apply_change, redirect_after_change, render
from trove.identity import can_identify_contributors
from trove.mail import site_url
from trove.projects.access import load_project
from trove.projects.forms import show_refusal
from trove.projects.models import Capability, Project
from trove.projects.service import can
from trove.security import get_or_404
from trove.timeutil import utcnow

bp = Blueprint("contests", __name__)


@bp.app_template_global("open_contests")
def open_contests(project: Project) -> list[Contest]:
    """Return the project's contests that have not been drawn or cancelled."""
    return [c for c in service.contests_of(project) if c.status is ContestStatus.OPEN]


@bp.get("/projects/<int:project_id>/contests")
@login_required
def project_contests(project_id: int) -> Response:
    """List the project's contests; owners start new ones here."""
    project = load_project(project_id, Capability.VIEW)
    return render(
        "contests/project.html",
        project=project,
        contests=service.contests_of(project),
        form=ContestForm(),
        can_manage=can(current_user, project, Capability.MANAGE),
    )


@bp.post("/projects/<int:project_id>/contests")
@login_required
def create(project_id: int) -> Response:
    """Start a contest (its seed's commitment is published at once)."""
    project = load_project(project_id, Capability.MANAGE)
    form = ContestForm()
    if not form.validate_on_submit():
        return _contest_form(project, form, 422)

    def refused(error: DomainError) -> Response:
        show_refusal(form, error)
        return _contest_form(project, form, error.status)

    return apply_change(
        lambda: service.create_contest(project, current_user, form.terms()),
        done=lambda contest: redirect_after_change(
            url_for("contests.contest", contest_id=contest.id),
            flash=_("Contest started. Its draw's commitment is published on its page."),
        ),
        on_error=refused,
    )


def _contest_form(project: Project, form: ContestForm, status: int) -> Response:
    return render(
        "contests/project.html",
        block="form",
        status=status,
        project=project,
        contests=service.contests_of(project),
        form=form,
        can_manage=True,
    )


def _load(contest_id: int) -> Contest:
    contest = get_or_404(Contest, contest_id)
    load_project(contest.project_id)  # 404 unless the project is visible to this user
    return contest


def _context(contest: Contest, error: DomainError | None = None) -> dict:
    project = contest.project
    is_team = can(current_user, project, Capability.VIEW)
    standings = service.standings(contest) if is_team else []
    mine = None
    referral_link = None
    if current_user.is_authenticated and not is_team:
        mine = service.entries_of(current_user, contest)
        if contest.referral_bonus and contest.status is ContestStatus.OPEN:
            code = referral_code_for(current_user)
            db.session.commit()
            referral_link = site_url(url_for("accounts.signup_form", ref=code))
    return {
        "contest": contest,
        "project": project,
        "is_team": is_team,
        "can_manage": can(current_user, project, Capability.MANAGE),
        "standings": standings,
        "mine": mine,
        "referral_link": referral_link,
        "verified": service.verify(contest),
        "error": error,
        "now": utcnow(),
    }


@bp.get("/contests/<int:contest_id>")
def contest(contest_id: int) -> Response:
    """Show a contest: prize, rules, window, commitment; the team sees the leaderboard."""
    return render("contests/contest.html", **_context(_load(contest_id)))


@bp.get("/contests/<int:contest_id>/entries.json")
def entries(contest_id: int) -> Response:
    """Return the entries of the draw (after it, for anyone; before it, for the team)."""
    found = _load(contest_id)
    if found.status is ContestStatus.DRAWN:
        body = {
            "contest": found.id,
            "seed_commitment": found.seed_commitment,
            "seed": found.seed,
            "winner_count": found.winner_count,
            "entries": found.entries,
            "winners": [w.pseudonym for w in found.winners],
            "method": "winners are the contributors with the largest log(u)/entries, u = "
            "(int(sha256(seed + ':' + contributor)) + 0.5) / 2**256",
        }
    elif can(current_user, found.project, Capability.VIEW):
        body = {
            "contest": found.id,
            "seed_commitment": found.seed_commitment,
            "entries": [
                {"contributor": e.pseudonym, "entries": e.entries}
                for e in service.standings(found)
                if e.excluded is None
            ],
        }
    else:
        abort(404)
    return jsonify(body)


def _change(contest_id: int, action: Callable[[Contest], object], done: str) -> Response:
    found = _load(contest_id)
    return apply_change(
        lambda: action(found),
        done=lambda _result: redirect_after_change(
            url_for("contests.contest", contest_id=found.id), flash=done
        ),
        on_error=lambda error: render(
            "contests/contest.html", status=error.status, **_context(found, error)
        ),
    )


@bp.post("/contests/<int:contest_id>/exclude")
@login_required
def exclude(contest_id: int) -> Response:
    """Leave an entrant (named by pseudonym) out of the draw, with a reason."""
    return _change(
        contest_id,
        lambda c: service.exclude_entrant(
            c, current_user, request.form.get("contributor", ""), request.form.get("reason", "")
        ),
        _("Entrant excluded from the draw."),
    )


@bp.post("/contests/<int:contest_id>/draw")
@login_required
def draw(contest_id: int) -> Response:
    """Draw the winners and reveal the seed."""
    return _change(
        contest_id,
        lambda c: service.draw(c, current_user),
        _("Winners drawn and told. The seed is now published."),
    )


@bp.post("/contests/<int:contest_id>/cancel")
@login_required
def cancel(contest_id: int) -> Response:
    """Call the contest off, with a reason entrants are told."""
    return _change(
        contest_id,
        lambda c: service.cancel(c, current_user, request.form.get("reason", "")),
        _("Contest cancelled; everyone with an entry has been told."),
    )


@bp.get("/contests/winners/<int:winner_id>/prize")
@login_required
def prize(winner_id: int) -> Response:
    """Show the owner who a winner is, to send the prize (the one place beside finance)."""
    winner = get_or_404(ContestWinner, winner_id)
    project = load_project(winner.contest.project_id, Capability.MANAGE)
    if not can_identify_contributors(current_user, project):
        abort(403)
    return render("contests/prize.html", winner=winner, contest=winner.contest, project=project)


@bp.post("/contests/winners/<int:winner_id>/fulfil")
@login_required
def fulfil(winner_id: int) -> Response:
    """Record how a winner's prize was delivered."""
    winner = get_or_404(ContestWinner, winner_id)
    return _change(
        winner.contest_id,
        lambda c: service.record_fulfilment(
            winner, current_user, request.form.get("fulfilment", "")
        ),
        _("Prize recorded; the winner has been told."),
    )
