"""The onboarding wizard: five steps, each saved as a draft."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from trove.errors import DomainError
from trove.extensions import db
from trove.htmx import apply_change, redirect_after_change, render
from trove.money import format_money
from trove.projects import service
from trove.projects.access import load_project
from trove.projects.forms import (
    DataUseForm,
    ExampleForm,
    PurposeForm,
    QuantityPayForm,
    RulesForm,
    show_refusal,
)
from trove.projects.models import BriefVersion, Capability, Project
from trove.projects.views import bp

STEP_TEMPLATES = {
    1: "projects/wizard/purpose.html",
    2: "projects/wizard/data.html",
    3: "projects/wizard/examples.html",
    4: "projects/wizard/pay.html",
    5: "projects/wizard/rules.html",
}
STEP_FORMS: dict[int, Any] = {1: PurposeForm, 2: DataUseForm, 4: QuantityPayForm, 5: RulesForm}


def _lab_member_only() -> None:
    if not current_user.is_lab_member:
        abort(403)


def _form_for(step: int, project: Project, *, formdata: bool) -> Any:
    form_class = STEP_FORMS[step]
    if not formdata:
        form = form_class(formdata=None, obj=project)
        if step == 4 and project.pay_minor:
            from trove.money import to_decimal_string

            form.pay.data = to_decimal_string(project.pay_minor, project.currency)
        return form
    return form_class()


def _step_page(project: Project, step: int, form: Any, *, status: int = 200) -> Response:
    context: dict[str, Any] = {
        "project": project,
        "step": step,
        "steps": service.WIZARD_STEPS,
        "form": form,
        "missing": service.missing_for_submission(project),
        "editable": service.is_editable(project),
    }
    if step == 3:
        context["example_form"] = form
    return render(STEP_TEMPLATES[step], block="form", status=status, **context)


def _load_for_edit(project_id: int) -> Project:
    return load_project(project_id, Capability.MANAGE)


@bp.get("/projects/new")
@login_required
def new() -> Response:
    """Show step 1 for a new project."""
    _lab_member_only()
    return render(
        "projects/wizard/purpose.html",
        project=None,
        step=1,
        steps=service.WIZARD_STEPS,
        form=PurposeForm(),
        missing=[],
        editable=True,
    )


@bp.post("/projects")
@login_required
def create() -> Response:
    """Create the draft from step 1 and go on to step 2."""
    _lab_member_only()
    form = PurposeForm()
    if not form.validate_on_submit():
        return render(
            "projects/wizard/purpose.html",
            block="form",
            project=None,
            step=1,
            steps=service.WIZARD_STEPS,
            form=form,
            missing=[],
            editable=True,
            status=422,
        )
    project = service.create_project(current_user, form.title.data)
    service.save_brief(project, current_user, 1, form.brief_data())
    db.session.commit()
    return redirect_after_change(
        _step_url(project, 2),
        flash=_("Draft saved. You can come back to it at any time from Your projects."),
    )


@bp.get("/projects/<int:project_id>/brief/<int:step>")
@login_required
def edit_step(project_id: int, step: int) -> Response:
    """Show one step of the wizard with the saved values."""
    project = _load_for_edit(project_id)
    if step not in STEP_TEMPLATES:
        abort(404)
    form = ExampleForm() if step == 3 else _form_for(step, project, formdata=False)
    return _step_page(project, step, form)


@bp.post("/projects/<int:project_id>/brief/<int:step>")
@login_required
def save_step(project_id: int, step: int) -> Response:
    """Save one step and go on to the next."""
    project = _load_for_edit(project_id)
    if step not in STEP_TEMPLATES:
        abort(404)
    if step == 3:
        # Examples are added one by one; "Continue" just records the step as done.
        project.wizard_step = max(project.wizard_step, 4)
        db.session.commit()
        return redirect_after_change(_step_url(project, 4))
    form = _form_for(step, project, formdata=True)
    if not form.validate_on_submit():
        return _step_page(project, step, form, status=422)

    def refused(error: DomainError) -> Response:
        show_refusal(form, error)
        return _step_page(project, step, form, status=422)

    return apply_change(
        lambda: _save(project, step, form),
        done=lambda version: _saved(project, step, version),
        on_error=refused,
    )


def _save(project: Project, step: int, form: Any) -> BriefVersion | None:
    """Save the step's fields (step 5 confirms the rules); return a new version if made."""
    if step == 5:
        service.confirm_rules(project, current_user)
        return None
    return service.save_brief(project, current_user, step, form.brief_data())


def _saved(project: Project, step: int, version: BriefVersion | None) -> Response:
    if version is not None:
        return redirect_after_change(
            url_for("projects.brief", project_id=project.id),
            flash=_("Saved as version %(number)s of the brief.", number=version.number),
        )
    if step == 5:
        return redirect_after_change(_step_url(project, 5))
    return redirect_after_change(_step_url(project, step + 1), flash=_("Saved."))


def _step_url(project: Project, step: int) -> str:
    return url_for("projects.edit_step", project_id=project.id, step=step)


@bp.post("/projects/<int:project_id>/brief/4/preview")
@login_required
def preview_budget(project_id: int) -> Response:
    """Return the budget line for the values typed so far (live, while typing)."""
    project = _load_for_edit(project_id)
    form = QuantityPayForm()
    form.validate()
    budget = form.budget_text()
    return render(
        "projects/wizard/pay.html",
        block="budget",
        project=project,
        form=form,
        budget=budget,
        pay_error=form.pay.errors[0] if form.pay.errors else None,
    )


def budget_line(project: Project) -> str | None:
    """Return the saved budget for display."""
    if project.budget_minor is None:
        return None
    return format_money(project.budget_minor, project.currency)
