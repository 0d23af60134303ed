"""Wizard step 3: good and bad example photos, stripped like contributions."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, url_for
from flask_login import current_user, login_required

from trove.audit.service import record_event
from trove.errors import DomainError
from trove.extensions import db
from trove.files import get_storage, send_private_file
from trove.htmx import redirect_after_change, render
from trove.media import MediaError, process_image
from trove.projects import service
from trove.projects.access import load_project
from trove.projects.forms import ExampleForm
from trove.projects.models import Capability, ProjectExample
from trove.projects.views import bp

EXAMPLE_SIZE = 1280
MAX_EXAMPLES = 12


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
    error = None
    if not service.is_editable(project):
        error = "This brief cannot be edited now."
    elif len(project.examples) >= MAX_EXAMPLES:
        error = f"A brief can show at most {MAX_EXAMPLES} examples."
    elif not form.validate_on_submit():
        error = None  # field errors are shown by the form
    elif not form.image.data or not form.image.data.filename:
        form.image.errors = ["Choose a photo."]
    else:
        data = form.image.data.read()
        try:
            processed = process_image(
                data,
                thumb_sizes=(EXAMPLE_SIZE,),
                max_pixels=int(current_app.config["MAX_IMAGE_MEGAPIXELS"]) * 1_000_000,
            )
        except MediaError as exc:
            form.image.errors = [str(exc)]
        else:
            storage = get_storage()
            key = storage.put_original(processed.data, processed.format)
            storage.put_derived(key, EXAMPLE_SIZE, processed.thumbnails[EXAMPLE_SIZE])
            example = ProjectExample(
                project_id=project.id,
                good=form.kind.data == "good",
                caption=form.caption.data.strip(),
                storage_key=key,
                width=processed.width,
                height=processed.height,
            )
            project.examples.append(example)
            db.session.flush()
            record_event(current_user, "project.example_added", project, project_id=project.id)
            db.session.commit()
            flash("Example added.", "success")
            return redirect_after_change(
                url_for("projects.edit_step", project_id=project.id, step=3)
            )
    if error:
        flash(error, "error")
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
    try:
        unused_key = service.remove_example(project, example, current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        if unused_key is not None:
            get_storage().delete_original(unused_key)
        flash("Example removed.", "info")
    return redirect_after_change(url_for("projects.edit_step", project_id=project.id, step=3))


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
