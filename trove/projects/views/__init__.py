"""The projects blueprint: catalogue, brief, wizard, vetting and team pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("projects", __name__)

from trove.projects.views import (  # noqa: E402,F401
    catalogue,
    examples,
    manage,
    team,
    translations,
    wizard,
)
