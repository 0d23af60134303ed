"""Load a project for the current user: invisible → 404, visible but forbidden → 403."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from trove.extensions import db, login_manager
from trove.projects.models import Capability, Project
from trove.projects.service import can, can_see


def load_project(project_id: int, capability: Capability | None = None) -> Project:
    """Return the project if the current user may see it (and hold ``capability``)."""
    project = db.session.get(Project, project_id)
    if project is None or not can_see(current_user, project):
        abort(404)
    if capability is not None and not can(current_user, project, capability):
        if not current_user.is_authenticated:
            abort(login_manager.unauthorized())
        abort(403)
    return project
