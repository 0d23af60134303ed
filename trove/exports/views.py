"""Dataset versions: cut, follow the build, download, record uses; the deletion list."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from trove.errors import DomainError
from trove.exports import deletions, service
from trove.exports.forms import VersionForm
from trove.exports.jobs import archive_name
from trove.exports.models import DatasetVersion, UseKind
from trove.extensions import db
from trove.files import get_storage, send_private_file
from trove.htmx import apply_change, redirect_after_change, refuse_change, render
from trove.projects.access import load_project
from trove.projects.models import Capability
from trove.projects.service import can
from trove.security import get_or_404

bp = Blueprint("exports", __name__)


def _load_version(version_id: int, capability: Capability = Capability.VIEW) -> DatasetVersion:
    version = get_or_404(DatasetVersion, version_id)
    load_project(version.project_id, capability)
    return version


def _project_context(project: object, form: VersionForm | None = None) -> dict:
    return {
        "project": project,
        "versions": service.versions_of(project),  # type: ignore[arg-type]
        "form": form or VersionForm(formdata=None),
        "eligible": db.session.query(
            service.eligible_query(project, {}).subquery()  # type: ignore[arg-type]
        ).count(),
        "can_steward": can(current_user, project, Capability.STEWARD),  # type: ignore[arg-type]
        "can_manage": can(current_user, project, Capability.MANAGE),  # type: ignore[arg-type]
        "withdrawn": deletions.deletion_entries(project),  # type: ignore[arg-type]
        "outstanding": deletions.outstanding_deletions(project),  # type: ignore[arg-type]
        "default_seed": service.default_seed(project),  # type: ignore[arg-type]
    }


@bp.get("/projects/<int:project_id>/datasets")
@login_required
def project_datasets(project_id: int) -> Response:
    """List the project's dataset versions, the deletion list and who must still delete."""
    project = load_project(project_id, Capability.VIEW)
    return render("exports/project.html", **_project_context(project))


@bp.post("/projects/<int:project_id>/datasets")
@login_required
def cut(project_id: int) -> Response:
    """Cut a new dataset version and start writing its archive."""
    project = load_project(project_id, Capability.STEWARD)
    form = VersionForm()
    if not form.validate_on_submit():
        return _cut_form(project, form, 422)

    def refused(error: DomainError) -> Response:
        if error.field is None:
            form.form_errors.append(error.message)
        else:
            getattr(form, error.field).errors.append(error.message)
        return _cut_form(project, form, error.status)

    return apply_change(
        lambda: service.cut_version(project, current_user, form.version_request()),
        done=lambda version: redirect_after_change(
            url_for("exports.version", version_id=version.id),
            flash=_("Version %(number)s is being built.", number=version.number),
        ),
        on_error=refused,
    )


def _cut_form(project: object, form: VersionForm, status: int) -> Response:
    return render(
        "exports/project.html", block="cut_form", status=status, **_project_context(project, form)
    )


def _version_context(version: DatasetVersion, use_error: DomainError | None = None) -> dict:
    return {
        "version": version,
        "project": version.project,
        "splits": service.split_counts(version),
        "can_steward": can(current_user, version.project, Capability.STEWARD),
        "use_kinds": list(UseKind),
        "use_error": use_error,
    }


@bp.get("/datasets/<int:version_id>")
@login_required
def version(version_id: int) -> Response:
    """Show a version: its build progress, contents, changelog and recorded uses."""
    dataset = _load_version(version_id)
    return render("exports/version.html", block="status", **_version_context(dataset))


@bp.get("/datasets/<int:version_id>/download")
@login_required
def download(version_id: int) -> Response:
    """Stream the version's zip to a data steward (audited)."""
    dataset = _load_version(version_id, Capability.STEWARD)
    try:
        service.record_download(dataset, current_user)
    except DomainError as error:
        db.session.rollback()
        return refuse_change(url_for("exports.version", version_id=dataset.id), error)
    storage = get_storage()
    name = storage.export_object(archive_name(dataset))
    if storage.object_info(name) is None:
        db.session.rollback()
        abort(404)
    db.session.commit()
    return send_private_file(
        name, "application/zip", filename=dataset.download_name, attachment=True
    )


@bp.post("/datasets/<int:version_id>/uses")
@login_required
def add_use(version_id: int) -> Response:
    """Record a use of the version (shown to its contributors)."""
    dataset = _load_version(version_id)
    location = url_for("exports.version", version_id=dataset.id)
    form = request.form
    return apply_change(
        lambda: service.add_use(
            dataset,
            current_user,
            form.get("kind", ""),
            form.get("description", ""),
            form.get("url", ""),
        ),
        done=lambda _result: redirect_after_change(
            location,
            flash=_("Use recorded. Contributors of this version can see it."),
            template="exports/version.html",
            block="uses",
            **_version_context(dataset),
        ),
        on_error=lambda error: refuse_change(
            location,
            error,
            template="exports/version.html",
            block="uses",
            **_version_context(dataset, error),
        ),
    )


@bp.get("/projects/<int:project_id>/deletion-list.json")
@login_required
def deletion_list(project_id: int) -> Response:
    """Return the project's deletion list (a stable URL for the team's scripts)."""
    project = load_project(project_id, Capability.VIEW)
    response = jsonify(deletions.deletion_list(project))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/projects/<int:project_id>/deletion-list/confirm")
@login_required
def confirm_deletion(project_id: int) -> Response:
    """Confirm that every withdrawn photo so far is deleted from your copies."""
    project = load_project(project_id, Capability.VIEW)
    deletions.confirm_deletion(project, current_user)
    db.session.commit()
    return redirect_after_change(
        url_for("exports.project_datasets", project_id=project.id),
        flash=_("Thank you. Your confirmation is recorded."),
    )
