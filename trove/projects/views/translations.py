"""Translating a brief: the owner writes each field in another language."""

from __future__ import annotations

from flask import Response, abort, request, url_for
from flask_babel import get_locale, ngettext
from flask_login import current_user, login_required

from trove.errors import DomainError
from trove.htmx import apply_change, redirect_after_change, render
from trove.i18n import DEFAULT_LOCALE, LANGUAGES
from trove.projects.access import load_project
from trove.projects.models import TRANSLATABLE_FIELDS, Capability, Project
from trove.projects.translations import (
    BriefText,
    brief_field_label,
    brief_in,
    save_translation,
    translation_state,
)
from trove.projects.views import bp


def _page(project: Project, locale: str, *, error: DomainError | None = None) -> Response:
    return render(
        "projects/translations.html",
        project=project,
        locale=locale,
        languages={code: name for code, name in LANGUAGES.items() if code != DEFAULT_LOCALE},
        fields=translation_state(project, locale),
        error=error,
        status=error.status if error else 200,
    )


bp.add_app_template_global(brief_field_label)


@bp.app_template_global()
def brief_text(project: Project) -> BriefText:
    """Return ``project``'s brief words in the page's language (templates' one door)."""
    return brief_in(project, str(get_locale()))


@bp.get("/projects/<int:project_id>/translations/<locale>")
@login_required
def translations(project_id: int, locale: str) -> Response:
    """Show the brief's fields beside their translation into ``locale``."""
    project = load_project(project_id, Capability.MANAGE)
    if locale not in LANGUAGES or locale == DEFAULT_LOCALE:
        abort(404)
    return _page(project, locale)


@bp.post("/projects/<int:project_id>/translations/<locale>")
@login_required
def save_translations(project_id: int, locale: str) -> Response:
    """Save the owner's translation of the brief into ``locale``."""
    project = load_project(project_id, Capability.MANAGE)
    texts = {name: request.form[name] for name in TRANSLATABLE_FIELDS if name in request.form}
    return apply_change(
        lambda: save_translation(project, current_user, locale, texts),
        done=lambda changed: redirect_after_change(
            url_for("projects.translations", project_id=project.id, locale=locale),
            flash=ngettext(
                "Translation saved (%(num)d field changed).",
                "Translation saved (%(num)d fields changed).",
                changed,
            ),
        ),
        on_error=lambda error: _page(project, locale, error=error),
    )
