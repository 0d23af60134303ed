"""The projects blueprint: catalogue, brief, wizard, vetting and team pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("projects", __name__)

from trove.projects.views import catalogue, examples, manage, team, wizard  # noqa: E402,F401
