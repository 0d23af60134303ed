"""Who may learn who a contributor is; everyone else sees a per-project pseudonym.

Contributors appear on every team screen (photos, review, datasets, contests, the audit
log) under the pseudonym dataset exports use (:func:`trove.exports.service.pseudonym_for`),
never by name, e-mail or file name. Their name and PayPal address are shown only where
paying them needs it: the finance screens, and the owner sending a contest prize. A photo's
original file name is shown to its contributor alone.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import gettext as _

from trove.audit.models import AuditEvent
from trove.exports.service import pseudonym_for
from trove.extensions import db
from trove.projects.models import Capability, Project
from trove.projects.service import can
from trove.submissions.models import Submission


def can_identify_contributors(user: Any, project: Project) -> bool:
    """Return whether ``user`` may see who the contributors of ``project`` are (to pay them)."""
    return can(user, project, Capability.FINANCE)


def can_see_original_filename(user: Any, submission: Submission) -> bool:
    """Return whether ``user`` may see the file name ``submission`` was uploaded under."""
    return getattr(user, "is_authenticated", False) and submission.contributor_id == user.id


def audit_actor(event: AuditEvent) -> str:
    """Return who did ``event``: a team member or admin by name, a contributor by pseudonym."""
    actor = event.actor
    if actor is None:
        return _("System")
    project = db.session.get(Project, event.project_id) if event.project_id else None
    if project is None:
        return actor.display_name if actor.is_lab_member else _("A contributor")
    if can(actor, project, Capability.VIEW):
        return actor.display_name
    return pseudonym_for(project, actor.id)


def init_app(app: Flask) -> None:
    """Offer the identity rules to templates."""
    app.add_template_global(pseudonym_for, "pseudonym")
    for rule in (can_identify_contributors, can_see_original_filename, audit_actor):
        app.add_template_global(rule)
