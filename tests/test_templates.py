"""Templates name states through the enums registered as template globals."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_every_state_a_template_names_exists(app):
    """A misspelt ``XStatus.NAME`` would be undefined in Jinja and compare false silently."""
    globals_ = app.jinja_env.globals
    named = [
        (path.relative_to(TEMPLATES), match.group(1), match.group(2))
        for path in TEMPLATES.rglob("*.html")
        for match in re.finditer(r"\b(\w+Status)\.([A-Z_]+)\b", path.read_text())
    ]
    assert named
    missing = [
        (str(path), enum, name)
        for path, enum, name in named
        if enum not in globals_ or not hasattr(globals_[enum], name)
    ]
    assert missing == []


def test_templates_compare_no_status_strings():
    """Templates ask the enums or the models' helpers, never ``.status.value == "..."``."""
    compared = re.compile(r"status\.value\s*(==|!=|in\b)|\(\"status\.value\"")
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if compared.search(path.read_text())
    ]
    assert offenders == []
