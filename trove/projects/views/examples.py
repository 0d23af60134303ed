"""Wizard step 3: good and bad example photos, stripped like contributions."""

from __future__ import annotations

from flask import Response, abort, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from trove.errors import DomainError
from trove.extensions import db
from trove.files import get_storage, send_private_file
from trove.htmx import apply_change, redirect_after_change, render
from trove.projects import examples, service
from trove.projects.access import load_project
from trove.projects.examples import EXAMPLE_SIZE
from trove.projects.forms import ExampleForm, show_refusal
from trove.projects.models import Capability, Project, ProjectExample
from trove.projects.views import bp


def _example_or_404(project_id: int, example_id: int) -> ProjectExample:
    example = db.session.get(ProjectExample, example_id)
    if example is None or example.project_id != project_id:
        abort(404)
    return example


@bp.post("/projects/<int:project_id>/examples")
@login_required
def add_example(project_id: int) -> Response:
    """Add an example photo: strip its metadata, store it, show it on the brief."""
    project = load_project(project_id, Capability.MANAGE)
    form = ExampleForm()
    # A brief that takes no more examples says so before any field is checked.
    if examples.why_no_more_examples(project) is None and not form.validate_on_submit():
        return _examples_form(project, form)

    def refused(error: DomainError) -> Response:
        show_refusal(form, error)
        return _examples_form(project, form)

    return apply_change(
        lambda: examples.add_example(
            project, current_user, form.photo(), form.caption.data, good=form.kind.data == "good"
        ),
        done=lambda _result: redirect_after_change(_step_3(project), flash=_("Example added.")),
        on_error=refused,
    )


def _step_3(project: Project) -> str:
    return url_for("projects.edit_step", project_id=project.id, step=3)


def _examples_form(project: Project, form: ExampleForm) -> Response:
    return render(
        "projects/wizard/examples.html",
        block="form",
        project=project,
        step=3,
        steps=service.WIZARD_STEPS,
        form=form,
        missing=service.missing_for_submission(project),
        editable=service.is_editable(project),
        status=422,
    )


@bp.post("/projects/<int:project_id>/examples/<int:example_id>/delete")
@login_required
def delete_example(project_id: int, example_id: int) -> Response:
    """Remove an example from the brief."""
    project = load_project(project_id, Capability.MANAGE)
    example = _example_or_404(project.id, example_id)
    return apply_change(
        lambda: examples.remove_example(project, example, current_user),
        done=lambda unused_key: _example_removed(project, unused_key),
        on_error=_step_3(project),
    )


def _example_removed(project: Project, unused_key: str | None) -> Response:
    if unused_key is not None:  # after the commit: no row points to the file any more
        get_storage().delete_original(unused_key)
    return redirect_after_change(_step_3(project), flash=_("Example removed."), category="info")


@bp.get("/projects/<int:project_id>/examples/<int:example_id>.jpg")
def example_image(project_id: int, example_id: int) -> Response:
    """Send an example photo to whoever may read the brief."""
    project = load_project(project_id)
    example = _example_or_404(project.id, example_id)
    return send_private_file(
        get_storage().derived_object(example.storage_key, EXAMPLE_SIZE),
        "image/jpeg",
        filename=f"example-{example.id}.jpg",
    )
