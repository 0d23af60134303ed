"""A contributor's side of consent: a photo's receipt and uses, withdrawal, data, deletion."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, logout_user

from trove.audit.service import record_event
from trove.consent import service
from trove.consent.mydata import my_data_file
from trove.errors import DomainError
from trove.exports.service import versions_with
from trove.extensions import db, limiter
from trove.files import get_storage
from trove.htmx import apply_change, redirect_after_change, render
from trove.ids import parse_id
from trove.projects.models import Project
from trove.submissions.models import Submission, SubmissionStatus
from trove.timeutil import utcnow

bp = Blueprint("consent", __name__)

MAX_SELECTED = 500


@bp.app_template_global("withdrawable_count")
def withdrawable_count(project: Project) -> int:
    """Return how many of the current user's photos in ``project`` can be withdrawn."""
    if not current_user.is_authenticated:
        return 0
    return len(service.withdrawable(current_user, project_id=project.id))


def _own_photo(submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.contributor_id != current_user.id:
        abort(404)
    return submission


@bp.get("/me/photos/<int:submission_id>")
@login_required
def photo(submission_id: int) -> Response:
    """Show one of my photos: its consent receipt, the versions that use it, withdrawal."""
    submission = _own_photo(submission_id)
    return render(
        "consent/photo.html",
        submission=submission,
        versions=versions_with(submission),
    )


def _selection() -> tuple[list[Submission], Project | None]:
    source = request.form if request.method == "POST" else request.args
    project_id = parse_id(source.get("project"))
    if project_id is not None:
        project = db.session.get(Project, project_id)
        if project is None:
            abort(404)
        return service.withdrawable(current_user, project_id=project.id), project
    ids = [i for i in map(parse_id, source.getlist("photo")[:MAX_SELECTED]) if i is not None]
    return service.withdrawable(current_user, ids=ids), None


@bp.get("/me/withdraw")
@login_required
def confirm_withdrawal() -> Response:
    """Explain what withdrawing the chosen photos does, and ask once to confirm."""
    photos, project = _selection()
    if not photos:
        return redirect_after_change(
            url_for("submissions.mine"),
            flash=_("Choose at least one photo that has not been withdrawn yet."),
            category="error",
        )
    approved = sum(1 for p in photos if p.status is SubmissionStatus.APPROVED)
    grace = max(p.project.withdrawal_grace_days for p in photos)
    return render(
        "consent/withdraw.html",
        photos=photos,
        project=project,
        approved=approved,
        grace_days=grace,
    )


@bp.post("/me/withdraw")
@login_required
def withdraw() -> Response:
    """Withdraw the chosen photos at once."""
    photos, _project = _selection()
    return apply_change(
        lambda: service.request_withdrawal(photos, current_user),
        done=lambda count: _withdrawn(photos, count),
        on_error=url_for("submissions.mine"),
    )


def _withdrawn(photos: list[Submission], count: int) -> Response:
    location = (
        url_for("consent.photo", submission_id=photos[0].id)
        if len(photos) == 1
        else url_for("submissions.mine", status="withdrawn")
    )
    return redirect_after_change(
        location,
        flash=ngettext(
            "%(num)d photo withdrawn. It is out of review and every new dataset version now, "
            "and on the project's deletion list.",
            "%(num)d photos withdrawn. They are out of review and every new dataset version "
            "now, and on the project's deletion list.",
            count,
        ),
    )


@bp.get("/me/data")
@login_required
def my_data() -> Response:
    """Download everything Trove holds about me as one zip (audited)."""
    record_event(current_user, "account.data_downloaded", current_user)
    db.session.commit()
    spool = my_data_file(current_user, get_storage())
    response = send_file(
        spool,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"trove-my-data-{utcnow():%Y-%m-%d}.zip",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/me/delete")
@login_required
def delete_form() -> Response:
    """Explain what deleting the account does and what it would affect."""
    return render(
        "consent/delete.html", check=service.check_account_deletion(current_user), error=None
    )


@bp.post("/me/delete")
@login_required
# The password check makes this a password oracle (and an argon2 hash per try): throttle it
# like signing in.
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def delete() -> Response:
    """Delete my account: erase personal data; withdraw or keep photos as chosen."""
    choice = request.form.get("photos", "")

    def delete_account() -> None:
        if choice not in ("withdraw", "keep"):
            raise DomainError(_("Choose what happens to your photos."), field="photos", status=422)
        service.delete_account(
            current_user,
            request.form.get("password", ""),
            withdraw_photos=choice == "withdraw",
            forfeit_earnings=request.form.get("forfeit") == "on",
        )

    return apply_change(
        delete_account,
        done=lambda _result: _deleted(),
        on_error=lambda error: render(
            "consent/delete.html",
            check=service.check_account_deletion(current_user),
            error=error,
            choice=choice,
            status=error.status,
        ),
    )


def _deleted() -> Response:
    logout_user()
    return redirect_after_change(
        url_for("main.index"),
        flash=_(
            "Your account is deleted and your personal data erased. Thank you for contributing."
        ),
    )
