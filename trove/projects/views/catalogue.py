"""Public pages: the catalogue of open projects and each brief."""

from __future__ import annotations

from flask import Response, request

from trove.htmx import render
from trove.money import CURRENCIES
from trove.projects.access import load_project
from trove.projects.models import Capability
from trove.projects.queries import SORTS, CatalogueFilters, catalogue
from trove.projects.service import can
from trove.projects.views import bp


@bp.get("/projects")
def index() -> Response:
    """List open projects, with search, filters and pages."""
    filters = CatalogueFilters.from_args(request.args)
    page = catalogue(filters)
    return render(
        "projects/catalogue.html",
        block="results",
        page=page,
        filters=filters,
        sorts=SORTS,
        currencies=list(CURRENCIES),
    )


@bp.get("/projects/<int:project_id>")
def brief(project_id: int) -> Response:
    """Show a project's brief."""
    from flask_login import current_user

    project = load_project(project_id)
    return render(
        "projects/brief.html",
        project=project,
        is_team=can(current_user, project, Capability.VIEW),
        can_manage=can(current_user, project, Capability.MANAGE),
        can_review=can(current_user, project, Capability.REVIEW),
        can_pay=can(current_user, project, Capability.FINANCE),
    )
