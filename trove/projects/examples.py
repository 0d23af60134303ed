"""The example photos of a brief: stripped like contributions, shown on the brief.

Functions flush but never commit; the view that calls one commits.
"""

from __future__ import annotations

from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from trove.accounts.models import User
from trove.audit.service import record_event
from trove.errors import DomainError
from trove.extensions import db
from trove.files import get_storage
from trove.media import MediaError, process_image
from trove.projects.models import (
    Capability,
    Project,
    ProjectExample,
)
from trove.projects.service import is_editable, require_capability

#: Examples are shown this wide on the brief.
EXAMPLE_SIZE = 1280
MAX_EXAMPLES = 12


def why_no_more_examples(project: Project) -> str | None:
    """Return why no example can be added to the brief now (None: one can)."""
    if not is_editable(project):
        return _("This brief cannot be edited now.")
    if len(project.examples) >= MAX_EXAMPLES:
        return _("A brief can show at most %(count)s examples.", count=MAX_EXAMPLES)
    return None


def add_example(
    project: Project, user: User, image: BinaryIO | None, caption: str, *, good: bool
) -> ProjectExample:
    """Strip an example photo like a contribution, store it and show it on the brief."""
    require_capability(user, project, Capability.MANAGE)
    refusal = why_no_more_examples(project)
    if refusal is not None:
        raise DomainError(refusal, status=422)
    if image is None:
        raise DomainError(_("Choose a photo."), field="image", status=422)
    try:
        processed = process_image(
            image.read(),
            thumb_sizes=(EXAMPLE_SIZE,),
            max_pixels=int(current_app.config["MAX_IMAGE_MEGAPIXELS"]) * 1_000_000,
        )
    except MediaError as error:
        raise DomainError(str(error), field="image", status=422) from None
    storage = get_storage()
    key = storage.put_original(processed.data, processed.format, sha256=processed.sha256)
    storage.put_derived(key, EXAMPLE_SIZE, processed.thumbnails[EXAMPLE_SIZE])
    example = ProjectExample(
        project_id=project.id,
        good=good,
        caption=caption.strip(),
        storage_key=key,
        width=processed.width,
        height=processed.height,
    )
    project.examples.append(example)
    db.session.flush()
    record_event(user, "project.example_added", project, project_id=project.id)
    return example


def remove_example(project: Project, example: ProjectExample, user: User) -> str | None:
    """Take ``example`` off the brief; return its storage key if nothing else uses the file.

    Stored files are named by their content, so the same picture may back another example
    or a contribution: the caller deletes the file after the commit only when this returns
    its key.
    """
    from trove.submissions.models import Submission  # submissions build on projects

    if not is_editable(project):
        raise DomainError(_("This brief cannot be edited now."), status=409)
    key = example.storage_key
    project.examples.remove(example)
    record_event(user, "project.example_removed", project, project_id=project.id)
    db.session.flush()
    shared = db.session.scalar(
        select(ProjectExample.id).where(ProjectExample.storage_key == key).limit(1)
    ) or db.session.scalar(select(Submission.id).where(Submission.storage_key == key).limit(1))
    return None if shared else key
